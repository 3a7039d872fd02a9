@security
Feature: Only the right people act as a company and read a conversation
  The company in a request is checked against the signed-in person, and a
  conversation is visible to its participants and its creator only: anyone
  else gets the same 404 as for a conversation that does not exist.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the company "Lolo Academy" is run by "Lina" as its owner
    And the user "Amr"

  Scenario: Acting as a company you do not run is refused
    When "Amr", acting as "Sat Education", starts a conversation with "Lina"
    Then the request is refused with status 403
    And Stream was not called

  Scenario: A plain member of a company cannot act as it
    Given the user "Sam" is a member of "Sat Education"
    When "Sam", acting as "Sat Education", starts a conversation with "Amr"
    Then the request is refused with status 403
    And Stream was not called

  Scenario: A company-to-company conversation must say which company is acting
    When "the owner" starts a company-to-company conversation with "Lolo Academy" without saying which company
    Then the request is refused with status 400
    And the error mentions "company_id"
    And Stream was not called

  Scenario: The creator can read the conversation right after creating it
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "the owner" reads the conversation
    Then the conversation is returned

  Scenario: The recipient can read the conversation
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "Amr" reads the conversation
    Then the conversation is returned

  Scenario: A stranger cannot read the conversation
    Given the user "a stranger"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "a stranger" reads the conversation
    Then the request is refused with status 404

  Scenario: A stranger cannot tell a conversation that exists from one that does not
    Given the user "a stranger"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    And "a stranger" reads the conversation
    And "a stranger" reads a conversation that does not exist
    Then the two answers are the same 404

  Scenario: Creating a conversation needs a signed-in person
    When someone who is not signed in starts a conversation with "Amr"
    Then the request is refused with status 401
    And Stream was not called
