"""Every schema change the migration makes, as data: what `plan --sql` prints, what
squawk lints, and what `apply` runs one statement at a time under `lock_timeout`.

Expand only: columns are added (nullable, no default), foreign keys are added
`NOT VALID` and validated later, indexes are built `CONCURRENTLY` after the data is
de-duplicated, and the legacy profile columns stay (nullable, so user-only writers
can leave them out). Nothing legacy is dropped, which is what makes rollback exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from .actors import ACTORS

SCHEMA = "chatgate_migration"


@dataclass(frozen=True)
class Ddl:
    """One statement. `concurrent` ones run outside any transaction block."""

    name: str
    sql: str
    concurrent: bool = False
    # A query answering true when the statement's effect is already there (for the
    # statements PostgreSQL has no IF NOT EXISTS for); apply then skips it.
    skip_if: str | None = None
    index: str | None = None  # the index a CREATE INDEX statement builds


@dataclass(frozen=True)
class UniqueKey:
    """A user-keyed uniqueness the migration establishes (after de-duplicating)."""

    table: str
    columns: tuple[str, ...]
    index: str

    @property
    def ddl(self) -> Ddl:
        cols = ", ".join(self.columns)
        return Ddl(
            f"unique index {self.index}",
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {self.index} "
            f"ON {self.table} ({cols});",
            concurrent=True,
            index=self.index,
        )


UNIQUE_KEYS = (
    UniqueKey(
        "conversation_participants",
        ("conversation_id", "user_id"),
        "ux_participants_conversation_user",
    ),
    UniqueKey(
        "message_reactions",
        ("message_id", "user_id", "reaction"),
        "ux_reactions_message_user_reaction",
    ),
    UniqueKey("message_read_receipts", ("message_id", "user_id"), "ux_read_receipts_message_user"),
    UniqueKey(
        "blocked_chat_contacts", ("blocker_user_id", "blocked_user_id"), "ux_blocks_blocker_blocked"
    ),
    UniqueKey("chat_settings", ("user_id",), "ux_chat_settings_user"),
)

BOOKKEEPING = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.ledger (
    step        text PRIMARY KEY,
    state       text NOT NULL CHECK (state IN ('running', 'done')),
    last_id     bigint NOT NULL DEFAULT 0,
    rows        bigint NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
-- Each legacy row as it was before the migration first changed or removed it, and
-- which of its columns the migration changed (rollback restores those, or the whole
-- row when it was removed).
CREATE TABLE IF NOT EXISTS {SCHEMA}.original_rows (
    table_name text NOT NULL,
    row_id     integer NOT NULL,
    row        jsonb NOT NULL,
    columns    text[] NOT NULL,
    reason     text NOT NULL,
    removed    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (table_name, row_id)
);
-- A digest of every legacy row when apply began (the verify baseline).
CREATE TABLE IF NOT EXISTS {SCHEMA}.checksums (
    table_name text NOT NULL,
    row_id     integer NOT NULL,
    digest     text NOT NULL,
    PRIMARY KEY (table_name, row_id)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.merged_conversations (
    conversation_id integer PRIMARY KEY,
    merged_into     integer NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.orphans (
    table_name   text NOT NULL,
    row_id       integer NOT NULL,
    user_column  text NOT NULL,
    profile_type text NOT NULL,
    profile_id   integer NOT NULL,
    kept_user_id integer,
    reason       text NOT NULL CHECK (reason IN ('profile row is gone', 'profile has no user')),
    PRIMARY KEY (table_name, row_id, user_column)
);
"""

# The legacy profile columns every chat table keeps, made nullable for user-only writers.
PROFILE_COLUMNS = tuple(
    (actor.table, column)
    for actor in ACTORS
    if not actor.added and actor.table != "conversations"
    for column in (actor.profile_id, actor.profile_type)
)

NEW_COLUMNS = (
    ("conversations", "created_by_user_id"),
    ("conversations", "merged_into_id"),
    ("chat_messages", "pinned_by_user_id"),
)
FOREIGN_KEYS = (
    (
        "conversations",
        "fk_conversations_created_by_user",
        "created_by_user_id",
        "users (id) ON DELETE SET NULL",
    ),
    (
        "conversations",
        "fk_conversations_merged_into",
        "merged_into_id",
        "conversations (id) ON DELETE SET NULL",
    ),
    (
        "chat_messages",
        "fk_messages_pinned_by_user",
        "pinned_by_user_id",
        "users (id) ON DELETE SET NULL",
    ),
)
PLAIN_INDEXES = (
    ("idx_conversations_created_by_user", "conversations (created_by_user_id)"),
    (
        "idx_conversations_merged_into",
        "conversations (merged_into_id) WHERE merged_into_id IS NOT NULL",
    ),
    ("idx_messages_sender_user", "chat_messages (sender_user_id)"),
    (
        "idx_messages_pinned_by_user",
        "chat_messages (pinned_by_user_id) WHERE pinned_by_user_id IS NOT NULL",
    ),
    ("idx_call_logs_caller_user", "call_logs (caller_user_id)"),
    ("idx_blocks_blocked_user", "blocked_chat_contacts (blocked_user_id)"),
    ("idx_reactions_user", "message_reactions (user_id)"),
    ("idx_read_receipts_user", "message_read_receipts (user_id)"),
)

# The triggers compat.sql puts on every chat table.
TRIGGERS = ("chatgate_keep", "chatgate_baseline")


def compat_sql() -> str:
    return resources.files(__package__).joinpath("compat.sql").read_text()


# call_logs.status: the legacy CHECK, and the one the user-based chat's calls need
# (cancelled and no_answer, as migrate_call_status_add_cancelled.py later added).
CALL_STATUS_CHECK = "call_logs_status_check"
LEGACY_CALL_STATUSES = ("initiated", "ringing", "answered", "missed", "declined", "ended", "failed")
CALL_STATUSES = (*LEGACY_CALL_STATUSES, "cancelled", "no_answer")


def call_status_check(statuses: tuple[str, ...]) -> str:
    return "CHECK (status IN (" + ", ".join(f"'{s}'" for s in statuses) + "))"


def expand() -> list[Ddl]:
    """Bookkeeping, new columns, NOT VALID foreign keys, nullable profile columns, and
    the compatibility triggers; each statement is brief (catalog-only)."""
    statements = [Ddl("bookkeeping schema", BOOKKEEPING.strip())]
    statements += [
        Ddl(
            f"add {table}.{column}",
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} integer;",
        )
        for table, column in NEW_COLUMNS
    ]
    statements += [
        Ddl(
            f"foreign key {name}",
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
            f"REFERENCES {target} NOT VALID;",
            skip_if=f"SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{name}')",
        )
        for table, name, column, target in FOREIGN_KEYS
    ]
    statements += [
        Ddl(
            f"nullable {table}.{column}",
            f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL;",
            skip_if="SELECT is_nullable = 'YES' FROM information_schema.columns "
            f"WHERE table_schema = current_schema() AND table_name = '{table}' "
            f"AND column_name = '{column}'",
        )
        for table, column in PROFILE_COLUMNS
    ]
    statements.append(
        Ddl(
            "widen call_logs.status",
            f"ALTER TABLE call_logs DROP CONSTRAINT IF EXISTS {CALL_STATUS_CHECK}, "
            f"ADD CONSTRAINT {CALL_STATUS_CHECK} {call_status_check(CALL_STATUSES)} NOT VALID;",
            skip_if="SELECT coalesce(bool_or(pg_get_constraintdef(oid) LIKE '%cancelled%'), false) "
            f"FROM pg_constraint WHERE conname = '{CALL_STATUS_CHECK}'",
        )
    )
    statements.append(Ddl("compatibility triggers", compat_sql()))
    return statements


def indexes() -> list[Ddl]:
    """The user-keyed unique indexes (after de-duplication) and the lookup indexes."""
    unique = [key.ddl for key in UNIQUE_KEYS]
    plain = [
        Ddl(
            f"index {name}",
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {target};",
            concurrent=True,
            index=name,
        )
        for name, target in PLAIN_INDEXES
    ]
    return unique + plain


def validate() -> list[Ddl]:
    """Validate the NOT VALID constraints (SHARE UPDATE EXCLUSIVE: writes go on)."""
    constraints = [(table, name) for table, name, _, _ in FOREIGN_KEYS]
    constraints.append(("call_logs", CALL_STATUS_CHECK))
    return [
        Ddl(f"validate {name}", f"ALTER TABLE {table} VALIDATE CONSTRAINT {name};")
        for table, name in constraints
    ]


def all_statements() -> list[Ddl]:
    """Every statement apply runs, in order (the backfill and policies run between
    `expand()` and `indexes()`)."""
    return expand() + indexes() + validate()


# The squawk rules the migration's DDL breaks on purpose, and why (tests/test_migration_lint.py
# fails on any other rule, and on any of these that no longer fires).
DELIBERATE = {
    "ban-drop-constraint": "call_logs' status CHECK is replaced, in the same statement, by a "
    "wider one (adding cancelled and no_answer; NOT VALID, validated at the end): every "
    "status legacy code writes stays valid, and rollback puts the original back",
    "ban-drop-not-null": "the legacy profile columns become nullable so that user-only "
    "writers can leave them out; legacy readers still get a profile on every row written "
    "by legacy writers, and rollback gives user-only rows theirs back",
    "prefer-bigint-over-int": "the new columns reference users.id and conversations.id, and "
    "the bookkeeping's row ids mirror the chat tables' ids, all integer in the legacy schema; "
    "bigint columns would not match them",
    "prefer-robust-stmts": "PostgreSQL has no IF NOT EXISTS for ADD CONSTRAINT or DROP NOT "
    "NULL; apply guards each such statement with a catalog check (skip_if) and the ledger",
}


def script(lock_timeout_ms: int, statement_timeout_ms: int) -> str:
    """The DDL as one SQL script, with the timeouts apply sets (what `plan --sql` prints)."""
    lines = [
        "-- chatgate migrate: the schema changes, in order. Between the expand statements and",
        "-- the indexes, apply runs the snapshot, the backfill and the policies in batches.",
        f"SET lock_timeout = '{lock_timeout_ms}ms';",
        f"SET statement_timeout = '{statement_timeout_ms}ms';",
    ]
    for statement in all_statements():
        lines.append(f"-- {statement.name}")
        lines.append(statement.sql.rstrip().rstrip(";") + ";")
    return "\n".join(lines) + "\n"
