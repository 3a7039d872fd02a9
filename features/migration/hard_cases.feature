@migration
Feature: Every hard case of the profile-to-user migration, each with its policy
  A legacy chat database names each actor by a profile: a student, tutor, parent or
  advertiser profile. After the migration every chat row is keyed by the user behind
  its profile, and each case that broke the original script has an explicit policy.

  Background:
    Given a legacy chat database with every hard case

  Scenario: A user's settings rows of several profiles merge into the most restrictive
    Given a user with settings rows of several profiles that disagree on privacy
    When the migration runs
    Then that user has one settings row
    And its privacy values are the most restrictive of the rows it replaced
    And its other values are those of the most recently updated of them

  Scenario: A user in one conversation through two profiles becomes one participant
    Given a user who is in one conversation through two profiles
    When the migration runs
    Then that user is one participant of that conversation
    And that participant joined when the first of the profiles joined, with the flags of both

  Scenario: Blocks repeated across profiles collapse to one per pair of users
    Given a user who blocked another user several times across profiles
    When the migration runs
    Then one block remains between those two users

  Scenario: Reactions and read receipts repeated across one user's profiles collapse
    Given a message with the same reaction from two profiles of one user
    When the migration runs
    Then that user has that reaction on that message once
    And no user has read a message twice

  Scenario: Two direct conversations of one pair of users merge into the oldest
    Given two users with two direct conversations through different profiles
    When the migration runs
    Then those users have one direct conversation left, the oldest
    And it holds the messages of both
    And the other is kept, marked as merged into it

  Scenario: Messages of a profile deleted since keep the user they were written with
    Given messages sent by a profile that has since been deleted
    When the migration runs
    Then those messages keep the user they were written with

  Scenario: Rows of an advertiser without a user are never left without a user
    Given messages sent by an advertiser that has no user
    When the migration runs
    Then no row that names a profile is left without a user

  Scenario: Every invariant of the user-keyed schema holds after the migration
    When the migration runs
    Then every invariant of the migrated schema holds
