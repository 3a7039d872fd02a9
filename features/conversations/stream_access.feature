@security
Feature: Stream tokens reach only the chats their holder is part of
  The backend hands the app a Stream token per profile. A company's token and
  a user's token read and write only the channels that identity is a member
  of: no identity the backend syncs is an app-wide Stream admin.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the user "Amr"
    And the user "Lina"

  Scenario: A company's token works in its own chat
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then "the owner", acting as "Sat Education", can open the channel in the app
    And "the owner", acting as "Sat Education", can send a message in the channel

  Scenario: A company's token cannot read or write a chat it is not part of
    When "Lina" starts a conversation with "Amr"
    Then "the owner", acting as "Sat Education", cannot open the channel in the app
    And "the owner", acting as "Sat Education", cannot send a message in the channel
    And "the owner", acting as "Sat Education", cannot find the channel in Stream

  Scenario: A user's token cannot read or write a chat they are not part of
    Given the user "a stranger"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then "a stranger" cannot open the channel in the app
    And "a stranger" cannot send a message in the channel
    And "a stranger" cannot find the channel in Stream

  Scenario: No identity the backend syncs is an app-wide Stream admin
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "the owner" asks for a Stream token acting as "Sat Education"
    Then Stream has no app-wide admin among the identities the backend synced
