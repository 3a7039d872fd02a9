@matrix
Feature: Every kind of conversation, in every direction
  Users and companies can both start conversations. The backend names every
  party by its explicit kind, makes the initiator the channel's creator, and
  both sides can open the channel with their own Stream token.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the company "Lolo Academy" is run by "Lina" as its owner
    And the user "Amr"

  Scenario Outline: <initiator> starts a <conversation type> conversation with <recipient>
    When <who starts> starts a conversation with "<recipient>"
    Then the conversation is created
    And the conversation type is "<conversation type>"
    And the Stream channel's members are exactly "<initiator>" and "<recipient>"
    And the channel was created by "<initiator>"
    And <initiator opens> can open the channel in the app
    And <recipient opens> can open the channel in the app

    Examples:
      | initiator     | recipient     | conversation type | who starts                              | initiator opens                          | recipient opens                          |
      | the owner     | Amr           | user_user         | "the owner"                             | "the owner"                              | "Amr"                                    |
      | Amr           | Sat Education | user_company      | "Amr"                                   | "Amr"                                    | "the owner", acting as "Sat Education"   |
      | Sat Education | Amr           | user_company      | "the owner", acting as "Sat Education"  | "the owner", acting as "Sat Education"   | "Amr"                                    |
      | Sat Education | Lolo Academy  | company_company   | "the owner", acting as "Sat Education"  | "the owner", acting as "Sat Education"   | "Lina", acting as "Lolo Academy"         |

  Scenario: Someone outside the conversation cannot open its channel
    Given the user "a stranger"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation is created
    And "a stranger" cannot open the channel in the app
