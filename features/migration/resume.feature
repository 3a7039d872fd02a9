@migration
Feature: A migration killed partway resumes
  A run killed with SIGKILL keeps the batches it committed; the next run goes on from
  there and ends where an uninterrupted run would have.

  Scenario: Killed in the middle of its backfill, a re-run finishes the job
    Given a legacy chat database with every hard case
    And a copy of it, migrated without interruption
    When the migration is killed with SIGKILL in the middle of its backfill
    Then the schema changes and batches it committed before the kill are still there
    When the migration runs again
    Then every invariant of the migrated schema holds
    And the data equals that of the copy migrated without interruption
