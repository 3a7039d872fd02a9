@chat @calls
Feature: Voice and video calls
  The seed's checklist, media: make a voice or video call. A call moves
  through its states (initiated, ringing, answered, ended) and lands in the
  call log of everyone in it. The call types are voice and video, as the
  database allows; there is no "audio" call.

  Background:
    Given the chat users Alice and Bob
    And Alice has a conversation with Bob

  Scenario Outline: A <call_type> call rings, is answered and ends
    When Alice starts a <call_type> call with Bob
    Then the call is initiated
    When Bob rings the call
    Then the call is ringing
    When Bob answers the call
    Then the call is answered
    When Alice ends the call
    Then the call is ended, with its duration
    And Bob's call log shows the <call_type> call from Alice as ended
    And Alice's call log shows the <call_type> call from Alice as ended

    Examples:
      | call_type |
      | voice     |
      | video     |

  Scenario: An audio call is refused: the call types are voice and video
    When Alice starts an audio call with Bob
    Then it is refused with status 400, saying "call_type"
    And Alice's call log is empty

  Scenario: A declined call cannot be answered any more
    Given Alice has started a video call with Bob
    And Bob has declined the call
    When Bob answers the call
    Then it is refused with status 409
    And Bob's call log shows the video call from Alice as declined

  Scenario: Only the callee answers a call
    Given Alice has started a video call with Bob
    When Alice answers the call
    Then it is refused with status 403
