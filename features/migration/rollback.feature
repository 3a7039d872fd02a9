@migration @rollback
Feature: Rollback gives the legacy database back exactly, keeping what was written since
  chatgate's rollback undoes its migration from the originals it kept: no pg_dump
  restore, so chat written after the migration stays. A team's script brings its own
  rollback, so these scenarios apply to chatgate's migration only.

  Background:
    Given a legacy chat database with every hard case

  Scenario: Migrating then rolling back gives back the legacy content and schema
    Given the legacy content and schema are noted
    When the migration runs
    And the migration is rolled back
    Then the content and schema are as noted

  Scenario: A message a user-only writer sent since gets its sender's profile back
    Given the migration has run
    When a user-only writer sends a message in a group as a user with one profile there
    And the migration is rolled back
    Then that message names the profile its sender has in that group

  Scenario: Rollback refuses and changes nothing when a new row fits no single profile
    Given the migration has run
    When a user-only writer adds a block by a user with several profiles
    And the migration is rolled back
    Then the rollback is refused, naming that block
    And nothing was changed by the refused rollback
