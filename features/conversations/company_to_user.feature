@company_to_user
Feature: A company can start a chat with any user
  The fix brief's checklist. A company must be able to message a user whether
  or not either of them has used chat before: the backend syncs both to
  Stream Chat before it creates the channel.

  Scenario Outline: <case>
    Given the company "<company>" is run by "the owner" as its owner
    And the user "<user>"
    And "<company>" <company history> used chat
    And "<user>" <user history> used chat
    When "the owner", acting as "<company>", starts a conversation with "<user>"
    Then the conversation is created
    And the Stream channel's members are exactly "<company>" and "<user>"
    And every member was synced to Stream before the channel was created
    And Stream has "<company>" with the company role
    And Stream has "<user>" with role "user"
    And "<user>" can open the channel in the app

    Examples:
      | case                                     | company        | company history | user       | user history |
      | Sat Education to Amr still works         | Sat Education  | has already     | Amr        | has already  |
      | Lolo Academy to Amr works                | Lolo Academy   | has already     | Amr        | has never    |
      | any company to any user works            | any company    | has never       | any user   | has never    |
      | a new company to an existing user works  | a new company  | has never       | Amr        | has already  |
      | an existing company to a new user works  | Sat Education  | has already     | a new user | has never    |
