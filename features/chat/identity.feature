@chat @identity
Feature: Nobody acts as somebody else
  Who acts is the bearer token's user, and nothing else: a user_id in the
  query or the body never changes it (the old chat API took the acting user
  from ?user_id=, so anyone could act as anyone).

  Background:
    Given the chat users Alice, Bob and Mallory
    And Alice has a conversation with Bob
    And Alice has sent "Our secret plan" to Bob
    And Mallory has a conversation with Bob

  Scenario: A user_id in the query does not open someone else's history
    When Mallory reads the history of Alice and Bob, with Alice's user_id in the query
    Then it is refused with status 404

  Scenario: A user_id in the query does not list someone else's conversations
    When Mallory opens the chat, with Alice's user_id in the query
    Then the chat opens
    And the list shows only Mallory's conversation with Bob

  Scenario Outline: Sending with Alice's user_id in the <place> lands as Mallory or is refused
    When Mallory sends "I am Alice" into the conversation of Alice and Bob, with Alice's user_id in the <place>
    Then the message is refused or sent from Mallory
    And Bob's history with Alice does not show "I am Alice"

    Examples:
      | place |
      | query |
      | body  |

  Scenario: A user_id in the query does not change someone else's settings
    When Mallory sets who_can_message to "none", with Alice's user_id in the query
    Then Alice's settings have who_can_message "everyone"
    When Bob sends "Still open?" to Alice
    Then Alice's history with Bob shows "Still open?" from Bob

  Scenario Outline: <route> without a valid token is refused
    When someone with <token> calls <method> <path>
    Then it is refused with status 401

    Examples:
      | route                  | token        | method | path                                        |
      | listing conversations  | no token     | GET    | /api/chat/conversations                     |
      | reading a history      | a made-up one | GET   | /api/chat/conversations/{conversation}/messages |
      | sending a message      | no token     | POST   | /api/chat/conversations/{conversation}/messages |
      | reading the settings   | a made-up one | GET   | /api/chat/settings                          |
      | listing blocked users  | no token     | GET    | /api/chat/blocked                           |
      | the call log           | a made-up one | GET   | /api/chat/calls                             |
