@migration
Feature: The migration runs while the chat is in use
  No downtime: writers go on during the migration and lose nothing, and the migration
  never holds a lock that blocks them while it works through the data.

  Background:
    Given a legacy chat database with every hard case

  Scenario: A writer inserting messages throughout the migration loses none
    When the migration runs while a legacy writer keeps sending messages as parents
    Then the migration succeeded
    And the writer had no error
    And every message the writer sent is there, with its sender's user

  Scenario: Stopped in the middle of its backfill, the migration blocks no writer
    When the migration is killed with SIGKILL in the middle of its backfill
    Then it held no lock that blocks writers when it was stopped
