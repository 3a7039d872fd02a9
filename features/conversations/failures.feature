@failure
Feature: Failures are clear and leave nothing half-made
  Unknown people are refused before anything is written. When Stream Chat
  fails for good, the backend says so and stores nothing; when it fails for a
  moment, the backend retries within bounds, honouring Stream's rate-limit
  window, and never waits a fixed time.

  Background:
    Given the company "Lolo Academy" is run by "the owner" as its owner
    And the user "Amr"

  Scenario: An unknown participant is refused and nothing is written
    When "the owner", acting as "Lolo Academy", starts a conversation with an unknown user
    Then the request is refused with status 404
    And the error names the unknown user
    And Stream was not called
    And the conversation list of "the owner", acting as "Lolo Academy", is empty

  Scenario: Stream Chat down gives a clear error and no orphan conversation
    Given Stream Chat fails every channel creation with a server error
    When "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the request fails with a server error that mentions "Stream"
    And Stream has no channel
    And the conversation list of "the owner", acting as "Lolo Academy", is empty
    And the conversation list of "Amr" is empty
    When Stream Chat recovers
    And "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the conversation is created
    And the Stream channel's members are exactly "Lolo Academy" and "Amr"

  Scenario: Stream Chat unreachable gives a clear error
    Given Stream Chat cannot be reached
    When "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the request fails with a server error that mentions "Stream"
    And the conversation list of "the owner", acting as "Lolo Academy", is empty

  Scenario: A passing Stream Chat server error is retried
    Given Stream Chat fails the next channel creation with a 503
    When "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the conversation is created
    And Stream was asked to create the channel 2 times

  Scenario: A rate limit is waited out until Stream's window resets
    Given Stream Chat rate-limits the next user sync, its window resetting in 2 seconds
    When "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the conversation is created
    And Stream was asked to sync users 2 times
    And the backend waited at least 2 seconds before retrying

  Scenario: A rate limit far from its reset fails fast
    Given Stream Chat rate-limits the next user sync, its window resetting in 40 seconds
    When "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the request fails with a server error that mentions "rate limit"
    And Stream has no channel
    And the conversation list of "the owner", acting as "Lolo Academy", is empty

  Scenario: New users that Stream shows late are absorbed without a fixed wait
    Given Stream Chat shows newly synced users to channel operations only after 2 attempts
    When "the owner", acting as "Lolo Academy", starts a conversation with "Amr"
    Then the conversation is created
    And the Stream channel's members are exactly "Lolo Academy" and "Amr"
    And the backend never waited a fixed time
