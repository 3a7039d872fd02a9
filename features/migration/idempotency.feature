@migration
Feature: Running the migration twice changes nothing

  Scenario: A second run finds nothing to do
    Given a legacy chat database with every hard case
    And the migration has run
    When the migration runs again
    Then the database is exactly as the first run left it
