"""The user-based chat's SQL, on the migrated schema (reference/migration): every query
keys people by user id; conversations merged away by the migration are never shown."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from psycopg.types.json import Jsonb

from chatgate.reference.db import Connection, Row

# Messages one user sees in a conversation: not deleted for everyone, not deleted for
# them, and not before the moment they cleared the chat ("delete for me").
_VISIBLE = """
    m.conversation_id = %(conversation)s
    AND NOT coalesce(m.deleted_for_everyone, false)
    AND NOT coalesce(m.deleted_for_user_ids, '[]'::jsonb) @> to_jsonb(%(me)s::int)
    AND (p.chat_cleared_at IS NULL OR m.created_at > p.chat_cleared_at)
"""
_PARTICIPANT_IDS = """ARRAY(SELECT o.user_id FROM conversation_participants o
    WHERE o.conversation_id = c.id AND coalesce(o.is_active, true) ORDER BY o.user_id)"""
_MESSAGE_COLUMNS = (
    "m.id, m.conversation_id, m.sender_user_id, m.message_type, m.content, m.media_url, "
    "m.created_at"
)


def is_migrated(conn: Connection) -> bool:
    """Has the user-keyed schema the chat needs (its new columns and unique keys)?"""
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname = 'ux_participants_conversation_user'"
    ).fetchone()
    assert row is not None
    return bool(row["n"])


def user_exists(conn: Connection, user_id: int) -> bool:
    return conn.execute("SELECT 1 FROM users WHERE id = %s", (user_id,)).fetchone() is not None


def missing_users(conn: Connection, user_ids: list[int]) -> list[int]:
    """The ids among `user_ids` that name no user, ascending."""
    rows = conn.execute(
        "SELECT u FROM unnest(%s::int[]) AS u WHERE NOT EXISTS "
        "(SELECT 1 FROM users WHERE id = u) ORDER BY u",
        (user_ids,),
    ).fetchall()
    return [int(r["u"]) for r in rows]


def direct_between(conn: Connection, me: int, other: int) -> int | None:
    """The live direct conversation of exactly these two users, if there is one."""
    row = conn.execute(
        """
        SELECT c.id FROM conversations c
        JOIN conversation_participants p ON p.conversation_id = c.id
        WHERE c.type = 'direct' AND c.merged_into_id IS NULL
        GROUP BY c.id
        HAVING array_agg(DISTINCT p.user_id ORDER BY p.user_id) = %s::int[]
        ORDER BY c.id LIMIT 1
        """,
        (sorted((me, other)),),
    ).fetchone()
    return None if row is None else int(row["id"])


def lock_pair(conn: Connection, me: int, other: int) -> None:
    """Serialise get-or-create of one pair's direct conversation (until the transaction ends)."""
    low, high = sorted((me, other))
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (low, high))


def insert_direct(conn: Connection, me: int, other: int) -> int:
    """A new direct conversation of two users, written by user id only."""
    row = conn.execute(
        """
        WITH c AS (
            INSERT INTO conversations (type, created_by_user_id) VALUES ('direct', %(me)s)
            RETURNING id
        ), members AS (
            INSERT INTO conversation_participants (conversation_id, user_id)
            SELECT c.id, u FROM c, unnest(%(users)s::int[]) AS u
        )
        SELECT id FROM c
        """,
        {"me": me, "users": [me, other]},
    ).fetchone()
    assert row is not None
    return int(row["id"])


def insert_group(conn: Connection, me: int, name: str, members: list[int]) -> int:
    """A new group named `name`, made by `me` (its admin) with `members`, by user id only."""
    row = conn.execute(
        """
        WITH c AS (
            INSERT INTO conversations (type, name, created_by_user_id)
            VALUES ('group', %(name)s, %(me)s) RETURNING id
        ), members AS (
            INSERT INTO conversation_participants (conversation_id, user_id, role)
            SELECT c.id, u, CASE WHEN u = %(me)s THEN 'admin' ELSE 'member' END
            FROM c, unnest(%(users)s::int[]) AS u
        )
        SELECT id FROM c
        """,
        {"me": me, "name": name, "users": [me, *members]},
    ).fetchone()
    assert row is not None
    return int(row["id"])


def add_participant(conn: Connection, conversation: int, user: int) -> None:
    """`user` takes part in the conversation: a new row, or their old one active again
    (someone who left can be added back); nothing changes for a participant."""
    conn.execute(
        """
        INSERT INTO conversation_participants (conversation_id, user_id) VALUES (%s, %s)
        ON CONFLICT (conversation_id, user_id) DO UPDATE
            SET is_active = true, left_at = NULL, joined_at = now(), updated_at = now()
            WHERE NOT coalesce(conversation_participants.is_active, true)
        """,
        (conversation, user),
    )


def conversation(conn: Connection, conversation_id: int) -> Row:
    """A conversation's id, type, name and active participants (ascending user ids)."""
    row = conn.execute(
        f"SELECT c.id, c.type, c.name, {_PARTICIPANT_IDS} AS participant_user_ids "
        "FROM conversations c WHERE c.id = %s",
        (conversation_id,),
    ).fetchone()
    assert row is not None
    return row


def participation(conn: Connection, conversation: int, me: int) -> Row | None:
    """My active participant row in a live conversation, or None."""
    return conn.execute(
        """
        SELECT p.*, c.type AS conversation_type FROM conversation_participants p
        JOIN conversations c ON c.id = p.conversation_id
        WHERE p.conversation_id = %s AND p.user_id = %s AND coalesce(p.is_active, true)
          AND c.merged_into_id IS NULL
        """,
        (conversation, me),
    ).fetchone()


def insert_text(conn: Connection, conversation: int, me: int, text: str) -> Row:
    row = conn.execute(
        f"""
        WITH m AS (
            INSERT INTO chat_messages (conversation_id, sender_user_id, message_type, content)
            VALUES (%s, %s, 'text', %s) RETURNING *
        ), touched AS (
            UPDATE conversations SET last_message_at = (SELECT created_at FROM m),
                updated_at = now() WHERE id = %s
        )
        SELECT {_MESSAGE_COLUMNS} FROM m
        """,
        (conversation, me, text, conversation),
    ).fetchone()
    assert row is not None
    return row


def history(
    conn: Connection, conversation: int, me: int, before: int | None, limit: int
) -> list[Row]:
    """Up to `limit` messages I see, newest first, older than message `before`."""
    return conn.execute(
        f"""
        SELECT {_MESSAGE_COLUMNS} FROM chat_messages m
        JOIN conversation_participants p
          ON p.conversation_id = m.conversation_id AND p.user_id = %(me)s
        WHERE {_VISIBLE} AND (%(before)s::int IS NULL OR m.id < %(before)s::int)
        ORDER BY m.id DESC LIMIT %(limit)s
        """,
        {"conversation": conversation, "me": me, "before": before, "limit": limit},
    ).fetchall()


def message_in(conn: Connection, conversation: int, message: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM chat_messages WHERE id = %s AND conversation_id = %s",
        (message, conversation),
    ).fetchone()
    return row is not None


def mark_read(conn: Connection, conversation: int, me: int, message: int, at: datetime) -> int:
    """Move my read mark up to `message` (never back); returns the mark after."""
    row = conn.execute(
        "UPDATE conversation_participants SET last_read_message_id = "
        "greatest(coalesce(last_read_message_id, 0), %s), last_read_at = %s "
        "WHERE conversation_id = %s AND user_id = %s RETURNING last_read_message_id",
        (message, at, conversation, me),
    ).fetchone()
    assert row is not None
    return int(row["last_read_message_id"])


def read_marks(conn: Connection, conversation: int, me: int) -> list[Row]:
    """The other active participants' read marks (`read_up_to`, None for nothing read),
    each with their stored read_receipts setting (None: no settings row)."""
    return conn.execute(
        "SELECT p.user_id, p.last_read_message_id AS read_up_to, s.read_receipts "
        "FROM conversation_participants p LEFT JOIN chat_settings s ON s.user_id = p.user_id "
        "WHERE p.conversation_id = %s AND p.user_id <> %s AND coalesce(p.is_active, true) "
        "ORDER BY p.user_id",
        (conversation, me),
    ).fetchall()


def _summaries(
    conn: Connection, me: int, matching: str, params: dict[str, Any], limit: int, offset: int
) -> list[Row]:
    """My live conversations that meet `matching` (SQL on `c`), latest activity first, each
    with its participants, its last message I see and how many messages from others I
    have not read."""
    return conn.execute(
        f"""
        SELECT c.id, c.type, c.name, {_PARTICIPANT_IDS} AS participant_user_ids,
            (SELECT row_to_json(last) FROM (
                SELECT {_MESSAGE_COLUMNS} FROM chat_messages m
                WHERE {_VISIBLE.replace("%(conversation)s", "c.id")}
                ORDER BY m.id DESC LIMIT 1) last) AS last_message,
            (SELECT count(*) FROM chat_messages m
             WHERE {_VISIBLE.replace("%(conversation)s", "c.id")}
               AND m.sender_user_id <> %(me)s
               AND m.id > coalesce(p.last_read_message_id, 0)) AS unread
        FROM conversation_participants p
        JOIN conversations c ON c.id = p.conversation_id
        WHERE p.user_id = %(me)s AND coalesce(p.is_active, true) AND c.merged_into_id IS NULL
          {matching}
        ORDER BY coalesce(c.last_message_at, c.created_at) DESC NULLS LAST, c.id DESC
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {**params, "me": me, "limit": limit, "offset": offset},
    ).fetchall()


def conversations_of(conn: Connection, me: int, limit: int, offset: int) -> list[Row]:
    """My live conversations as summaries (`_summaries`)."""
    return _summaries(conn, me, "", {}, limit, offset)


def search(conn: Connection, me: int, text: str, limit: int) -> list[Row]:
    """My live conversations, as summaries, where another participant's name or a message
    I see contains `text` (case-insensitive; `%` and `_` literal), latest activity first."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matching = f"""AND (
        EXISTS (SELECT 1 FROM conversation_participants o JOIN users u ON u.id = o.user_id
                WHERE o.conversation_id = c.id AND o.user_id <> %(me)s
                AND concat_ws(' ', u.first_name, u.father_name, u.last_name) ILIKE %(pattern)s)
        OR EXISTS (SELECT 1 FROM chat_messages m
                   WHERE {_VISIBLE.replace("%(conversation)s", "c.id")}
                   AND m.content ILIKE %(pattern)s))"""
    return _summaries(conn, me, matching, {"pattern": pattern}, limit, 0)


# -- privacy -------------------------------------------------------------------------
SETTINGS = ("who_can_message", "read_receipts", "last_seen_visibility")


def _either_way(
    conn: Connection, table: str, columns: str, me: int, other: int, where: str
) -> bool:
    row = conn.execute(
        f"SELECT 1 FROM {table} WHERE {where} ({columns}) IN "
        "((%(me)s, %(other)s), (%(other)s, %(me)s)) LIMIT 1",
        {"me": me, "other": other},
    ).fetchone()
    return row is not None


def blocked_either_way(conn: Connection, me: int, other: int) -> bool:
    return _either_way(
        conn, "blocked_chat_contacts", "blocker_user_id, blocked_user_id", me, other, ""
    )


def connected(conn: Connection, me: int, other: int) -> bool:
    """An accepted connection, asked by either."""
    return _either_way(
        conn, "connections", "requested_by, recipient_id", me, other, "status = 'accepted' AND"
    )


def settings_of(conn: Connection, user: int) -> Row | None:
    return conn.execute(
        f"SELECT {', '.join(SETTINGS)} FROM chat_settings WHERE user_id = %s", (user,)
    ).fetchone()


def save_settings(conn: Connection, user: int, changes: dict[str, Any]) -> Row:
    """Write `changes` to the user's one settings row: the first write inserts it."""
    columns = list(changes)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    row = conn.execute(
        f"INSERT INTO chat_settings (user_id, {', '.join(columns)}) "
        f"VALUES (%s, {', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates}, updated_at = now() "
        f"RETURNING {', '.join(SETTINGS)}",
        (user, *changes.values()),
    ).fetchone()
    assert row is not None
    return row


def block(conn: Connection, me: int, other: int) -> None:
    conn.execute(
        "INSERT INTO blocked_chat_contacts (blocker_user_id, blocked_user_id) VALUES (%s, %s) "
        "ON CONFLICT (blocker_user_id, blocked_user_id) DO NOTHING",
        (me, other),
    )


def unblock(conn: Connection, me: int, other: int) -> None:
    conn.execute(
        "DELETE FROM blocked_chat_contacts WHERE blocker_user_id = %s AND blocked_user_id = %s",
        (me, other),
    )


def blocked_by(conn: Connection, me: int) -> list[int]:
    rows = conn.execute(
        "SELECT blocked_user_id FROM blocked_chat_contacts WHERE blocker_user_id = %s "
        "ORDER BY blocked_user_id",
        (me,),
    ).fetchall()
    return [int(r["blocked_user_id"]) for r in rows]


def others_in(conn: Connection, conversation: int, me: int) -> list[int]:
    rows = conn.execute(
        "SELECT user_id FROM conversation_participants WHERE conversation_id = %s "
        "AND user_id <> %s AND coalesce(is_active, true) ORDER BY user_id",
        (conversation, me),
    ).fetchall()
    return [int(r["user_id"]) for r in rows]


def clear_for(conn: Connection, conversation: int, me: int, at: datetime) -> None:
    """Delete for me: hide everything up to now from `me` only."""
    conn.execute(
        "UPDATE conversation_participants SET chat_cleared_at = %s, last_read_at = %s "
        "WHERE conversation_id = %s AND user_id = %s",
        (at, at, conversation, me),
    )


# -- media ---------------------------------------------------------------------------
MEDIA_PATH = "/api/chat/media/"
MESSAGE_TYPE = {"image": "image", "file": "file", "voice": "audio"}


def ensure_schema(conn: Connection) -> None:
    """The chat's own table (idempotent; one creator at a time, for CREATE TABLE IF NOT
    EXISTS is not safe against a concurrent one)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('chatgate chat schema'))")
        conn.execute(resources.files(__package__).joinpath("schema.sql").read_text())


def save_media(conn: Connection, me: int, inspected: Any, content: bytes) -> str:
    row = conn.execute(
        "INSERT INTO chat_media (uploader_user_id, kind, mime, size_bytes, sha256, "
        "duration_seconds, content) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id::text",
        (
            me,
            inspected.kind,
            inspected.mime,
            inspected.size,
            inspected.sha256,
            inspected.duration_seconds,
            content,
        ),
    ).fetchone()
    assert row is not None
    return str(row["id"])


def media(conn: Connection, media_id: str) -> Row | None:
    return conn.execute(
        "SELECT id::text AS id, uploader_user_id, kind, mime, size_bytes, duration_seconds, "
        "content FROM chat_media WHERE id = %s",
        (media_id,),
    ).fetchone()


def may_see_media(conn: Connection, media_id: str, me: int) -> bool:
    """The uploader, or a participant of a conversation it was sent in."""
    row = conn.execute(
        "SELECT 1 FROM chat_media a WHERE a.id = %(id)s AND (a.uploader_user_id = %(me)s OR "
        "EXISTS (SELECT 1 FROM chat_messages m JOIN conversation_participants p "
        "ON p.conversation_id = m.conversation_id AND p.user_id = %(me)s "
        "WHERE m.media_url = %(url)s))",
        {"id": media_id, "me": me, "url": MEDIA_PATH + media_id},
    ).fetchone()
    return row is not None


def insert_media_message(
    conn: Connection, conversation: int, me: int, kind: str, url: str, metadata: dict[str, Any]
) -> Row:
    row = conn.execute(
        f"""
        WITH m AS (
            INSERT INTO chat_messages
                (conversation_id, sender_user_id, message_type, media_url, media_metadata)
            VALUES (%s, %s, %s, %s, %s) RETURNING *
        ), touched AS (
            UPDATE conversations SET last_message_at = (SELECT created_at FROM m),
                updated_at = now() WHERE id = %s
        )
        SELECT {_MESSAGE_COLUMNS} FROM m
        """,
        (conversation, me, MESSAGE_TYPE[kind], url, Jsonb(metadata), conversation),
    ).fetchone()
    assert row is not None
    return row


# -- calls ---------------------------------------------------------------------------
# A call as the chat answers it: every one of these is a call_logs column.
CALL_FIELDS = (
    "id",
    "conversation_id",
    "caller_user_id",
    "call_type",
    "status",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_seconds",
)
CALL_COLUMNS = ", ".join(CALL_FIELDS)


def insert_call(
    conn: Connection, conversation: int, me: int, call_type: str, users: list[int]
) -> Row:
    row = conn.execute(
        f"INSERT INTO call_logs (conversation_id, caller_user_id, call_type, status, participants) "
        f"VALUES (%s, %s, %s, 'initiated', %s) RETURNING {CALL_COLUMNS}",
        (conversation, me, call_type, Jsonb([{"user_id": u} for u in users])),
    ).fetchone()
    assert row is not None
    return row


def call(conn: Connection, call_id: int) -> Row | None:
    return conn.execute(
        f"SELECT {CALL_COLUMNS} FROM call_logs WHERE id = %s", (call_id,)
    ).fetchone()


def move_call(conn: Connection, call_id: int, status: str, before: str) -> Row | None:
    """Set the call's status if it is still `before` (so two moves cannot both win)."""
    return conn.execute(
        f"""
        UPDATE call_logs SET status = %(status)s::text,
            answered_at = CASE WHEN %(status)s::text = 'answered' THEN now() ELSE answered_at END,
            ended_at = CASE WHEN %(status)s::text IN ('answered', 'ringing') THEN ended_at
                ELSE now() END,
            duration_seconds = CASE WHEN %(status)s::text = 'ended'
                THEN greatest(0, extract(epoch FROM now() - answered_at))::int
                ELSE duration_seconds END
        WHERE id = %(id)s AND status = %(before)s::text RETURNING {CALL_COLUMNS}
        """,
        {"status": status, "id": call_id, "before": before},
    ).fetchone()


def calls_of(conn: Connection, me: int, limit: int) -> list[Row]:
    """The calls of every live conversation I take part in, newest first."""
    columns = ", ".join(f"l.{f}" for f in CALL_FIELDS)
    return conn.execute(
        f"""
        SELECT {columns} FROM call_logs l
        JOIN conversation_participants p ON p.conversation_id = l.conversation_id
        JOIN conversations c ON c.id = l.conversation_id
        WHERE p.user_id = %s AND coalesce(p.is_active, true) AND c.merged_into_id IS NULL
        ORDER BY l.started_at DESC NULLS LAST, l.id DESC LIMIT %s
        """,
        (me, limit),
    ).fetchall()
