@idempotency
Feature: Repeated and simultaneous requests make one conversation
  The app retries on timeouts and users double-tap. The same request, again or
  at the same moment, gives the same conversation and one Stream channel.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the user "Amr"

  Scenario: Eight identical requests at once give one conversation
    When "the owner", acting as "Sat Education", starts the same conversation with "Amr" 8 times at once
    Then all 8 requests succeed with the same channel
    And Stream holds 1 channel
    And the Stream channel's members are exactly "Sat Education" and "Amr"
