@channel_id
Feature: Channel ids are deterministic, initiator-aware and fit Stream's limit
  Stream refuses channel ids over 64 characters. The id depends on who starts
  the conversation, so two companies run by the same person get two channels
  with the same user, and the same request always lands on the same channel.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the company "Lolo Academy" is run by "the owner" as its owner
    And the user "Amr"

  Scenario: Two companies run by the same person get two channels with the same user
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then both conversations are created
    And the two conversations have different channels
    And Stream holds 2 channels
    And the channel of the first conversation was created by "Sat Education"
    And the channel of the second conversation was created by "Lolo Academy"

  Scenario: One company writing to two users gets two channels
    Given the user "Lina"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "the owner", acting as "Sat Education", starts a conversation with "Lina"
    Then both conversations are created
    And the two conversations have different channels
    And the channel of the first conversation has exactly "Sat Education" and "Amr"
    And the channel of the second conversation has exactly "Sat Education" and "Lina"

  Scenario: One user writing to two companies gets two channels
    When "Amr" starts a conversation with "Sat Education"
    And "Amr" starts a conversation with "Lolo Academy"
    Then both conversations are created
    And the two conversations have different channels
    And the channel of the first conversation has exactly "Amr" and "Sat Education"
    And the channel of the second conversation has exactly "Amr" and "Lolo Academy"

  Scenario: A user starting the chat gets a different channel than the company starting it
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "Amr" starts a conversation with "Sat Education"
    Then both conversations are created
    And the two conversations have different channels

  Scenario: The same request twice gives the same channel
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then both conversations are created
    And the two conversations have the same channel
    And Stream holds 1 channel

  Scenario Outline: A <conversation type> channel id fits in 64 characters
    Given the user "Nadia"
    When <who starts> starts a conversation with "<recipient>"
    Then the conversation is created
    And the channel id is at most 64 characters long
    And the channel id only uses letters, digits, "-" and "_"

    Examples:
      | conversation type | who starts                             | recipient    |
      | user_user         | "Amr"                                  | Nadia        |
      | user_company      | "the owner", acting as "Sat Education" | Amr          |
      | company_company   | "the owner", acting as "Sat Education" | Lolo Academy |
