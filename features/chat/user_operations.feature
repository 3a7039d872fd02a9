@chat @user_operations
Feature: Starting, listing, searching and deleting conversations
  The seed's checklist, user operations: start a new conversation, view all
  conversations, search them on the server, and delete a conversation for
  oneself.

  Background:
    Given the chat users Alice, Bob and Carol

  Scenario: Starting a conversation twice gets the same one
    When Alice starts a conversation with Bob
    Then a new conversation is created
    When Bob starts a conversation with Alice
    Then the existing conversation is returned

  Scenario: Nobody starts a conversation with themselves
    When Alice starts a conversation with Alice
    Then it is refused with status 400
    And Alice's conversation list is empty

  Scenario: The conversation list shows every conversation, latest activity first
    Given Alice has a conversation with Bob
    And Alice has a conversation with Carol
    And Bob has sent "Lunch at noon?" to Alice
    And Carol has sent "Did you get my notes?" to Alice
    Then Alice's conversation list is, latest first: Carol, Bob
    And Alice's conversation list shows the conversation with Carol, last message "Did you get my notes?", 1 unread
    And Alice's conversation list shows the conversation with Bob, last message "Lunch at noon?", 1 unread

  Scenario: Searching finds a conversation by the other person's name
    Given Alice has a conversation with Bob
    And Alice has a conversation with Carol
    When Alice searches her conversations for "carol"
    Then the search finds only the conversation with Carol

  Scenario: Searching finds a conversation by a message's text
    Given Alice has a conversation with Bob
    And Alice has a conversation with Carol
    And Bob has sent "The ALGEBRA homework is due" to Alice
    When Alice searches her conversations for "algebra"
    Then the search finds only the conversation with Bob

  Scenario: Searching takes % as a plain character
    Given Alice has a conversation with Bob
    And Alice has a conversation with Carol
    And Bob has sent "We scored 100% on the test" to Alice
    When Alice searches her conversations for "0%"
    Then the search finds only the conversation with Bob

  Scenario: Deleting a conversation hides its history for me only
    Given Alice has a conversation with Bob
    And Alice has sent "See you at five" to Bob
    And Bob has sent "Five works" to Alice
    When Alice deletes the conversation with Bob
    Then it succeeds
    And Alice's history with Bob is empty
    And Bob's history with Alice shows "See you at five" from Alice
    And Bob's history with Alice shows "Five works" from Bob
    When Alice searches her conversations for "five works"
    Then the search finds nothing

  Scenario: Messages after deleting a conversation show again
    Given Alice has a conversation with Bob
    And Bob has sent "Old news" to Alice
    And Alice has deleted the conversation with Bob
    When Bob sends "Fresh news" to Alice
    Then Alice's history with Bob shows "Fresh news" from Bob
    And Alice's history with Bob does not show "Old news"
