@migration @chatgate_bookkeeping
Feature: The orphan report
  Rows whose profile is gone, or whose profile has no user, are orphans: the migration
  keeps them with the user id they were written with and lists each one, with why, in
  chatgate_migration.orphans, which `chatgate migrate apply` also counts.

  Scenario: Every orphan is in the report, with its reason
    Given a legacy chat database with every hard case
    When the migration runs
    Then every orphan is in the migration's report
    And the report names deleted profiles and advertisers without a user
