@roles
Feature: Stream stores companies with the company role and users as users
  A company synced without a role gets Stream's default "user". The backend
  always sends the role its policy gives (by default the custom role "company",
  which reaches only the company's own channels), and a later sync repairs an
  identity Stream already holds with the wrong one.

  Background:
    Given the company "Sat Education" is run by "the owner" as its owner
    And the user "Amr"

  Scenario: Roles are set when a company messages a user
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation is created
    And Stream has "Sat Education" with the company role
    And Stream has "Amr" with role "user"

  Scenario: A company Stream already knows with the default role is repaired
    Given "Sat Education" has already used chat
    And Stream has "Sat Education" with role "user"
    When "the owner", acting as "Sat Education", starts a conversation with "Amr"
    Then the conversation is created
    And Stream has "Sat Education" with the company role

  Scenario: A company token syncs the company with its role first
    When "the owner" asks for a Stream token acting as "Sat Education"
    Then the token is issued
    And Stream has "Sat Education" with the company role
