@migration
Feature: Legacy writers keep working after the migration
  Code that still names only profiles writes through the migrated schema unchanged: its
  rows get the user ids, and a write into a conversation merged away lands in the one it
  was merged into.

  Background:
    Given a legacy chat database with every hard case
    And the migration has run

  Scenario: A message naming only a profile gets the user behind it
    When a legacy writer sends a message naming only a student profile
    Then the message has the user behind that profile as its sender

  Scenario: A message into a conversation merged away lands in the one it was merged into
    When a legacy writer sends a message into a conversation that was merged away
    Then the message is in the conversation it was merged into
