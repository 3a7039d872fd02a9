@chat @privacy
Feature: Blocks and privacy settings, enforced by the server
  The seed's checklist, privacy: block a user, unblock a user, update the
  privacy settings, and check the blocked users list. A block works both ways
  and the server enforces it, failing closed.

  Background:
    Given the chat users Alice, Bob and Carol
    And Alice has a conversation with Bob

  Scenario: A blocked user can no longer message the blocker
    Given Alice has blocked Bob
    When Bob sends "Why so quiet?" to Alice
    Then it is refused with status 403
    And Alice's history with Bob does not show "Why so quiet?"

  Scenario: The blocker cannot message the user they blocked either
    Given Alice has blocked Bob
    When Alice sends "One last thing" to Bob
    Then it is refused with status 403
    And Bob's history with Alice does not show "One last thing"

  Scenario Outline: A block refuses a new conversation <direction>
    Given Alice has blocked Carol
    When <starter> starts a conversation with <other>
    Then it is refused with status 403
    And <starter>'s conversation list does not show the conversation with <other>

    Examples:
      | direction          | starter | other |
      | from the blocked   | Carol   | Alice |
      | from the blocker   | Alice   | Carol |

  Scenario Outline: A block refuses a call <direction>
    Given Alice has blocked Bob
    When <caller> starts a video call with <callee>
    Then it is refused with status 403
    And <callee>'s call log is empty

    Examples:
      | direction          | caller | callee |
      | from the blocked   | Bob    | Alice  |
      | from the blocker   | Alice  | Bob    |

  Scenario Outline: A block keeps a user out of the other's group <direction>
    Given Alice has a group "Study group" with Bob
    And <blocker> has blocked <blocked>
    When Alice adds Carol to "Study group"
    Then it is refused with status 403
    And the group "Study group" has Alice and Bob only

    Examples:
      | direction            | blocker | blocked |
      | when the adder blocks | Alice   | Carol   |
      | when the added blocks | Carol   | Alice   |

  Scenario: Blocking lists the user, unblocking lets them write again
    When Alice blocks Bob
    Then Alice's blocked list is Bob
    When Alice unblocks Bob
    Then Alice's blocked list is empty
    When Bob sends "Friends again?" to Alice
    Then Alice's history with Bob shows "Friends again?" from Bob

  Scenario: The blocked users list shows only the users blocked now
    Given Alice has blocked Bob
    And Alice has blocked Carol
    When Alice unblocks Bob
    Then Alice's blocked list is Carol

  Scenario: Privacy settings start at their defaults
    Then Alice's settings have who_can_message "everyone"
    And Alice's settings have read_receipts true
    And Alice's settings have last_seen_visibility "everyone"

  Scenario: The first settings update and a later one both succeed
    When Alice sets her who_can_message to "connections"
    Then it succeeds
    When Alice sets her read_receipts to false
    Then it succeeds
    And Alice's settings have who_can_message "connections"
    And Alice's settings have read_receipts false
    When Alice sets her who_can_message to "everyone"
    Then it succeeds
    And Alice's settings have who_can_message "everyone"

  Scenario: Connections only: strangers are refused, connections let in
    Given Alice and Carol are connected
    And Bob has sent "Before the change" to Alice
    And Alice has set her who_can_message to "connections"
    When Carol starts a conversation with Alice
    Then a new conversation is created
    When Bob sends "After the change" to Alice
    Then it is refused with status 403
    And Alice's history with Bob does not show "After the change"

  Scenario: Nobody: even a connection is refused
    Given Alice and Bob are connected
    And Alice has set her who_can_message to "none"
    When Bob sends "Anyone there?" to Alice
    Then it is refused with status 403
    When Carol starts a conversation with Alice
    Then it is refused with status 403

  Scenario: Read receipts show how far the other has read
    Given Alice has sent "Did you see this?" to Bob
    And Bob has marked the conversation with Alice read
    Then Alice sees that Bob has read up to "Did you see this?"

  Scenario: Read receipts off hide the read mark
    Given Alice has sent "Did you see this?" to Bob
    And Bob has marked the conversation with Alice read
    And Bob has set his read_receipts to false
    Then Alice sees no read mark from Bob
