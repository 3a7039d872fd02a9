@chat @migrated_history
Feature: Chat written before the migration is there after it
  The migration is backward compatible: messages written through the old
  student, tutor and parent profiles show after it, keyed by user, to the
  right people and from the right sender.

  Background:
    Given the chat users Alice, Bob and Carol
    And before the migration, Alice as a student and Bob as a tutor chatted:
      | from  | text                      |
      | Alice | Can we move the lesson?   |
      | Bob   | Sure, Thursday at five    |

  Scenario: Messages from before the migration show to both people, from the right sender
    Then Alice's history with Bob shows "Can we move the lesson?" from Alice
    And Alice's history with Bob shows "Sure, Thursday at five" from Bob
    And Bob's history with Alice shows "Can we move the lesson?" from Alice
    And Bob's history with Alice shows "Sure, Thursday at five" from Bob

  Scenario: Someone else never sees a conversation from before the migration
    When Carol reads the history of Alice and Bob
    Then it is refused with status 404
    And Carol's conversation list is empty

  Scenario: A conversation from before the migration goes on
    When Alice starts a conversation with Bob
    Then the existing conversation is returned
    When Alice sends "Thursday it is" to Bob
    Then Bob's history with Alice shows "Thursday it is" from Alice
    And Bob's history with Alice shows "Sure, Thursday at five" from Bob
