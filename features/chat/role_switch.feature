@chat @role_switch @migrated_history
Feature: One person, one chat, whatever role they chatted in
  Before the migration a person with a student and a tutor profile had two
  chat identities. After it they have one: every conversation of every
  profile, in one list, without switching role.

  Background:
    Given the chat user Alice, who was a student and a tutor before the migration
    And the chat user Bob, who was a tutor and a parent before the migration
    And the chat user Carol

  Scenario: Conversations of both roles are in one list
    Given before the migration, Alice as a student and Bob as a tutor chatted:
      | from  | text                  |
      | Bob   | Bring your calculator |
    And before the migration, Alice as a tutor and Carol as a student chatted:
      | from  | text               |
      | Carol | Is Monday still on? |
    Then Alice's conversation list shows the conversation with Bob, last message "Bring your calculator", 1 unread
    And Alice's conversation list shows the conversation with Carol, last message "Is Monday still on?", 1 unread
    When Alice sends "Yes, Monday" to Carol
    Then Carol's history with Alice shows "Yes, Monday" from Alice

  Scenario: A pair who chatted through two roles each has one history
    Given before the migration, Alice as a student, Alice as a tutor, Bob as a tutor and Bob as a parent chatted:
      | from             | text                          |
      | Bob as a tutor   | Bring your calculator         |
      | Bob as a parent  | How is my son doing in maths? |
      | Alice as a tutor | He is doing well              |
    Then Alice's conversation list has one conversation with Bob
    And Alice's history with Bob shows "Bring your calculator" from Bob
    And Alice's history with Bob shows "How is my son doing in maths?" from Bob
    And Bob's history with Alice shows "He is doing well" from Alice
    When Bob starts a conversation with Alice
    Then the existing conversation is returned
