@token
Feature: The app gets a Stream token for the profile it acts as
  POST /api/chat/token gives a Stream user token for the signed-in person, or
  for a company they run when the app switches to the company's profile.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the company "Lolo Academy" is run by "Lina" as its owner
    And the user "Amr"

  Scenario: A user token names the user
    When "Amr" asks for a Stream token as a user
    Then the token is issued
    And the token is for "Amr"
    And the token answer says profile "user" with no company

  Scenario: A company token names the company
    When "the owner" asks for a Stream token acting as "Sat Education"
    Then the token is issued
    And the token is for "Sat Education"
    And the token answer says profile "company" with company "Sat Education"

  Scenario: A company admin gets the company's token
    Given the user "Sam" is an admin of "Sat Education"
    When "Sam" asks for a Stream token acting as "Sat Education"
    Then the token is issued
    And the token is for "Sat Education"

  @security
  Scenario: A company the person does not belong to is refused
    When "the owner" asks for a Stream token acting as "Lolo Academy"
    Then the request is refused with status 403
    And the error mentions "member"
    And Stream has no user for "Lolo Academy"

  @security
  Scenario: A plain member cannot act as the company
    Given the user "Sam" is a member of "Sat Education"
    When "Sam" asks for a Stream token acting as "Sat Education"
    Then the request is refused with status 403

  Scenario: A company token without company_id is a bad request
    When "the owner" asks for a Stream token as a company without naming it
    Then the request is refused with status 400
    And the error is "company_id is required when profile_type=company"

  @security
  Scenario: The token endpoint needs a signed-in person
    When someone who is not signed in asks for a Stream token
    Then the request is refused with status 401

  Scenario: The token endpoint is POST, not GET
    When "Amr" asks for a Stream token with GET
    Then the request is refused
