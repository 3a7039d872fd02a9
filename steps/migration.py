"""Steps of the @migration scenarios: thin, over the migration driver and what
`migration_observe` reads; every assertion says what it expected and what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, then, when

from chatgate.fixtures.targets import migration_observe as observe
from chatgate.fixtures.targets.migration_driver import (
    Interruption,
    MigrationDriver,
    NotApplicable,
    Outcome,
    WriterReport,
)


@dataclass
class MigrationScenario:
    """What one scenario noted on the way."""

    picked: dict[str, Any] = field(default_factory=dict)
    noted: observe.Snapshot | None = None
    outcome: Outcome | None = None
    writer: WriterReport | None = None
    interruption: Interruption | None = None
    copy: str | None = None


@pytest.fixture
def migration_scenario() -> MigrationScenario:
    return MigrationScenario()


def _applicable(verb: Any, *args: Any) -> Any:
    try:
        return verb(*args)
    except NotApplicable as reason:
        pytest.skip(str(reason))


def _rolled_back_ok(scenario: MigrationScenario) -> None:
    assert scenario.outcome is not None, "nothing was rolled back"
    assert scenario.outcome.ok, f"the rollback failed: {scenario.outcome.error}"


def _migrated(migration: MigrationDriver, scenario: MigrationScenario) -> None:
    scenario.outcome = migration.migrate()
    assert scenario.outcome.ok, f"the migration failed: {scenario.outcome.error}"


# -- the database --------------------------------------------------------------
@given("a legacy chat database with every hard case")
def legacy(migration: MigrationDriver) -> None:
    assert migration.query("SELECT count(*) FROM chat_messages")[0][0] > 0, "no messages generated"


@given("the legacy content and schema are noted")
def note(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.noted = observe.snapshot(migration)


@given("a copy of it, migrated without interruption")
def uninterrupted_copy(
    migration: MigrationDriver,
    migration_scenario: MigrationScenario,
    request: pytest.FixtureRequest,
) -> None:
    migration_scenario.copy = request.getfixturevalue("legacy_database_copy")
    copy = MigrationDriver(migration.target, migration_scenario.copy)
    outcome = copy.migrate()
    assert outcome.ok, f"the uninterrupted migration of the copy failed: {outcome.error}"


# -- running -------------------------------------------------------------------
@given("the migration has run")
@when("the migration runs")
def runs(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    _migrated(migration, migration_scenario)


@when("the migration runs again")
def runs_again(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.noted = migration_scenario.noted or observe.snapshot(migration)
    _migrated(migration, migration_scenario)


@when("the migration is killed with SIGKILL in the middle of its backfill")
def killed(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.noted = observe.snapshot(migration)
    migration_scenario.interruption = _applicable(migration.interrupt_in_backfill)


@when("the migration runs while a legacy writer keeps sending messages as parents")
def runs_with_writer(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.outcome, migration_scenario.writer = migration.migrate_with_writer(
        observe.parent_senders(migration)
    )


@when("the migration is rolled back")
def rolled_back(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.picked["before rollback"] = observe.snapshot(migration)
    migration_scenario.outcome = _applicable(migration.rollback)


# -- the hard cases --------------------------------------------------------------
@given("a user with settings rows of several profiles that disagree on privacy")
def disagreeing_settings(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    user, rows = observe.user_with_disagreeing_settings(migration)
    migration_scenario.picked.update(user=user, settings=rows)


@then("that user has one settings row")
def one_settings_row(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    user = migration_scenario.picked["user"]
    rows = observe.settings_of(migration, user)
    assert len(rows) == 1, f"user {user} has {len(rows)} settings rows after the migration: {rows}"


@then("its privacy values are the most restrictive of the rows it replaced")
def most_restrictive(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    before = migration_scenario.picked["settings"]
    (after,) = observe.settings_of(migration, migration_scenario.picked["user"])
    expected = observe.most_restrictive(before)[:3]
    assert after[:3] == expected, (
        f"(who_can_message, read_receipts, disable_forwarding) is {after[:3]}; the most "
        f"restrictive of {[r[:3] for r in before]} is {expected}"
    )


@then("its other values are those of the most recently updated of them")
def latest_for_the_rest(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    before = migration_scenario.picked["settings"]
    (after,) = observe.settings_of(migration, migration_scenario.picked["user"])
    assert after[3] == before[0][3], (
        f"font_size is {after[3]!r}; the latest row had {before[0][3]!r}"
    )


@given("a user who is in one conversation through two profiles")
def twice_in_a_conversation(
    migration: MigrationDriver, migration_scenario: MigrationScenario
) -> None:
    conversation, user, rows = observe.user_in_a_conversation_twice(migration)
    migration_scenario.picked.update(conversation=conversation, user=user, participants=rows)


@then("that user is one participant of that conversation")
def one_participant(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    picked = migration_scenario.picked
    rows = observe.participant_rows(migration, picked["conversation"], picked["user"])
    assert len(rows) == 1, (
        f"user {picked['user']} has {len(rows)} participant rows in conversation "
        f"{picked['conversation']}: {rows}"
    )


@then("that participant joined when the first of the profiles joined, with the flags of both")
def earliest_with_flags(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    picked = migration_scenario.picked
    before = picked["participants"]
    expected = (min(r[0] for r in before), any(r[1] for r in before), any(r[2] for r in before))
    (after,) = observe.participant_rows(migration, picked["conversation"], picked["user"])
    assert after == expected, (
        f"(joined_at, is_muted, is_pinned) is {after}; expected {expected} from {before}"
    )


@given("a user who blocked another user several times across profiles")
def repeated_block(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.picked["pair"] = observe.repeated_block(migration)


@then("one block remains between those two users")
def one_block(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    blocker, blocked = migration_scenario.picked["pair"]
    count = observe.blocks_between(migration, blocker, blocked)
    assert count == 1, f"user {blocker} blocks user {blocked} {count} times after the migration"


@given("a message with the same reaction from two profiles of one user")
def repeated_reaction(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.picked["reaction"] = observe.repeated_reaction(migration)


@then("that user has that reaction on that message once")
def reaction_once(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    message, user, reaction = migration_scenario.picked["reaction"]
    count = observe.reactions_of(migration, message, user, reaction)
    assert count == 1, f"user {user} has {reaction} on message {message} {count} times"


@then("no user has read a message twice")
def read_once(migration: MigrationDriver) -> None:
    repeated = observe.repeated_reads(migration)
    assert repeated == [], f"(message, user) pairs with several read receipts: {repeated}"


@given("two users with two direct conversations through different profiles")
def two_directs(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    users, ids, messages = observe.pair_with_two_directs(migration)
    migration_scenario.picked.update(users=users, directs=ids, messages=messages)


@then("those users have one direct conversation left, the oldest")
def one_direct(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    picked = migration_scenario.picked
    live = observe.live_directs_of(migration, picked["users"])
    assert live == picked["directs"][:1], (
        f"users {picked['users']} have the direct conversations {live} left; expected only the "
        f"oldest of {picked['directs']}"
    )


@then("it holds the messages of both")
def holds_both(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    picked = migration_scenario.picked
    count = observe.messages_in(migration, picked["directs"][0])
    assert count == picked["messages"], (
        f"conversation {picked['directs'][0]} holds {count} messages; the two had "
        f"{picked['messages']}"
    )


@then("the other is kept, marked as merged into it")
def kept_and_marked(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    oldest, *others = migration_scenario.picked["directs"]
    marks = {other: observe.merged_into(migration, other) for other in others}
    assert marks == dict.fromkeys(others, oldest), (
        f"merged_into_id of {others}: {marks}; expected {oldest}"
    )


@given("messages sent by a profile that has since been deleted")
def deleted_profile(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.picked["orphans"] = observe.messages_of_deleted_profiles(migration)


@then("those messages keep the user they were written with")
def keep_user(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    before = migration_scenario.picked["orphans"]
    after = observe.senders_of(migration, [m for m, _ in before])
    assert after == before, f"(message, sender user) before: {before}; after: {after}"


@given("messages sent by an advertiser that has no user")
def userless_advertiser(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.picked["advertised"] = observe.messages_of_userless_advertisers(migration)


@then("no row that names a profile is left without a user")
def no_nulls(migration: MigrationDriver) -> None:
    nulls = [
        c
        for c in migration.verification().checks
        if c.name.startswith("no silent NULL") and not c.ok
    ]
    assert nulls == [], "; ".join(f"{c.name}: {c.detail}" for c in nulls)


@then("every invariant of the migrated schema holds")
def invariants(migration: MigrationDriver) -> None:
    breaches = migration.verification().breaches
    assert breaches == [], "invariants breached: " + "; ".join(
        f"{c.name}: {c.detail}" for c in breaches
    )


@then("every orphan is in the migration's report")
def orphans_reported(migration: MigrationDriver) -> None:
    if not migration.target.ours:
        pytest.skip(
            "the orphan report is chatgate's own table; a team's script reports its own way"
        )
    checks = [c for c in migration.verification().checks if c.name == "every orphan reported"]
    assert checks, "verify did not check the orphan report"
    assert checks[0].ok, checks[0].detail
    assert not checks[0].skipped, f"there is no orphan report: {checks[0].detail}"


@then("the report names deleted profiles and advertisers without a user")
def report_reasons(migration: MigrationDriver) -> None:
    reasons = {
        r[0] for r in migration.query("SELECT DISTINCT reason FROM chatgate_migration.orphans")
    }
    expected = {"profile row is gone", "profile has no user"}
    assert reasons == expected, (
        f"the report's reasons are {sorted(reasons)}; expected {sorted(expected)}"
    )


# -- idempotency, rollback, resume -----------------------------------------------------
@then("the database is exactly as the first run left it")
def unchanged(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    before, after = migration_scenario.noted, observe.snapshot(migration)
    assert before is not None
    changed = [t for t in before.content if before.content[t] != after.content[t]]
    assert changed == [], f"the second run changed the rows of {changed}"
    assert after.schema == before.schema, "the second run changed the schema"


@then("the content and schema are as noted")
def as_noted(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    _rolled_back_ok(migration_scenario)
    noted, now = migration_scenario.noted, observe.snapshot(migration)
    assert noted is not None
    changed = [t for t in noted.content if noted.content[t] != now.content[t]]
    assert changed == [], f"after apply and rollback these tables differ from before: {changed}"
    assert now.schema == noted.schema, "after apply and rollback the schema differs from before"


@when("a user-only writer sends a message in a group as a user with one profile there")
def user_only_message(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    conversation, profile, kind, user = observe.group_participant(migration)
    message = observe.send_as_user(migration, conversation, user)
    migration_scenario.picked.update(message=message, profile=(kind, profile))


@then("that message names the profile its sender has in that group")
def profile_back(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    _rolled_back_ok(migration_scenario)
    found = observe.sender_profile(migration, migration_scenario.picked["message"])
    expected = migration_scenario.picked["profile"]
    assert found == expected, f"the message names {found}; its sender's profile there is {expected}"


@when("a user-only writer adds a block by a user with several profiles")
def user_only_block(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    migration_scenario.picked["block"] = observe.block_by_a_user_with_several_profiles(migration)


@then("the rollback is refused, naming that block")
def refused(migration_scenario: MigrationScenario) -> None:
    outcome = migration_scenario.outcome
    assert outcome is not None
    assert not outcome.ok, "the rollback went ahead"
    named = f"blocked_chat_contacts #{migration_scenario.picked['block']} "
    assert named in outcome.error, f"the refusal does not name {named.strip()}: {outcome.error}"


@then("nothing was changed by the refused rollback")
def refused_changed_nothing(
    migration: MigrationDriver, migration_scenario: MigrationScenario
) -> None:
    before, after = migration_scenario.picked["before rollback"], observe.snapshot(migration)
    assert after == before, "the refused rollback changed the database"


@then("the schema changes and batches it committed before the kill are still there")
def committed_work_kept(migration_scenario: MigrationScenario) -> None:
    interruption = migration_scenario.interruption
    assert interruption is not None
    assert interruption.committed_steps > 0, (
        "nothing the run did before the kill is in the database: a crash loses all its work"
    )


@then("the data equals that of the copy migrated without interruption")
def equals_copy(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    assert migration_scenario.copy is not None
    mine = observe.snapshot(migration).content
    theirs = observe.snapshot(MigrationDriver(migration.target, migration_scenario.copy)).content
    differing = [t for t in mine if mine[t] != theirs[t]]
    assert differing == [], f"after the kill and the re-run these tables differ: {differing}"


# -- online ------------------------------------------------------------------------
@then("the migration succeeded")
def succeeded(migration_scenario: MigrationScenario) -> None:
    assert migration_scenario.outcome is not None
    assert migration_scenario.outcome.ok, (
        f"the migration failed: {migration_scenario.outcome.error}"
    )


@then("the writer had no error")
def writer_ok(migration_scenario: MigrationScenario) -> None:
    assert migration_scenario.writer is not None
    errors = migration_scenario.writer.errors
    assert errors == [], f"{len(errors)} of the writer's inserts failed, e.g. {errors[:3]}"


@then("every message the writer sent is there, with its sender's user")
def writer_messages(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    assert migration_scenario.writer is not None
    written = migration_scenario.writer.written
    found = observe.messages_with_parent_senders(migration, written)
    assert len(found) == len(written), (
        f"{len(written) - len(found)} of {len(written)} messages are gone"
    )
    wrong = [m for m, ok in found if not ok]
    assert wrong == [], f"messages whose sender user is not the parent's user: {wrong[:10]}"


@then("it held no lock that blocks writers when it was stopped")
def no_blocking_locks(migration_scenario: MigrationScenario) -> None:
    assert migration_scenario.interruption is not None
    held = migration_scenario.interruption.writer_blocking_locks
    assert held == [], f"in the middle of its work the migration held {held}: writers wait for it"


# -- compatibility -------------------------------------------------------------------
@when("a legacy writer sends a message naming only a student profile")
def legacy_message(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    conversation, profile, kind, user = observe.student_participant(migration)
    sender, _ = observe.send_as_profile(migration, conversation, profile, kind)
    migration_scenario.picked.update(sender=sender, user=user)


@then("the message has the user behind that profile as its sender")
def sender_user(migration_scenario: MigrationScenario) -> None:
    picked = migration_scenario.picked
    assert picked["sender"] == picked["user"], (
        f"the message's sender_user_id is {picked['sender']}; the profile's user is "
        f"{picked['user']}"
    )


@when("a legacy writer sends a message into a conversation that was merged away")
def into_merged(migration: MigrationDriver, migration_scenario: MigrationScenario) -> None:
    merged, kept, profile, kind = _applicable(observe.merged_away_participant, migration)
    _, landed = observe.send_as_profile(migration, merged, profile, kind)
    migration_scenario.picked.update(landed=landed, kept=kept)


@then("the message is in the conversation it was merged into")
def landed(migration_scenario: MigrationScenario) -> None:
    picked = migration_scenario.picked
    assert picked["landed"] == picked["kept"], (
        f"the message is in conversation {picked['landed']}; it was merged into {picked['kept']}"
    )
