@chat @messaging
Feature: Basic messaging between users
  The seed's checklist, basic messaging: open the chat, send a text message,
  receive it, and view the history. After the migration a user chats as
  themselves, whatever profile they used before.

  Background:
    Given the chat users Alice, Bob and Carol
    And Alice has a conversation with Bob

  Scenario: Opening the chat lists a migrated user's conversations
    Given before the migration, Alice as a student and Carol as a tutor chatted:
      | from  | text                   |
      | Carol | Homework is on page 12 |
    When Alice opens the chat
    Then the chat opens
    And Alice's conversation list shows the conversation with Carol, last message "Homework is on page 12", 1 unread
    And Alice's conversation list shows the conversation with Bob, no last message, 0 unread

  Scenario: A text message is sent
    When Alice sends "Are we still on for Friday?" to Bob
    Then the message is sent as text from Alice

  Scenario: The recipient receives the message, unread until read
    When Alice sends "Are we still on for Friday?" to Bob
    Then Bob's history with Alice shows "Are we still on for Friday?" from Alice
    And Bob's conversation list shows the conversation with Alice, last message "Are we still on for Friday?", 1 unread
    And Alice's conversation list shows the conversation with Bob, last message "Are we still on for Friday?", 0 unread
    When Bob marks the conversation with Alice read
    Then Bob's conversation list shows the conversation with Alice, last message "Are we still on for Friday?", 0 unread

  Scenario: The history pages back with a cursor, newest first
    Given Alice has sent 7 numbered messages to Bob
    When Bob reads his history with Alice 3 messages a page
    Then he gets 3 pages holding message 7 down to message 1, each once
