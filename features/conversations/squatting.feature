@security
Feature: Nobody can claim a conversation's channel ahead of it
  Channel ids are keyed with a server secret, so an outsider cannot compute
  one from public ids and create the channel first; and a create never adopts
  a channel with someone else in it: it refuses with 409.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the user "Amr"

  Scenario: An outsider who pre-creates the computable channel ids gains nothing
    Given "Mallory" has created, as its only member, every channel id an outsider can compute for "Sat Education" and "Amr"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation is created
    And the Stream channel's members are exactly "Sat Education" and "Amr"
    And "Mallory" is not a member of the conversation's channel
    And "Mallory" cannot open the channel in the app

  Scenario: A channel with an outsider in it is never adopted
    Given "the owner", acting as "Sat Education", has started a conversation with "Amr"
    And "Mallory" was added to that conversation's Stream channel
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the request is refused with status 409
    And the error mentions "refusing to adopt"
