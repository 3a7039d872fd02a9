"""A legacy chat database to migrate: realistic shapes plus every hard case the
migration must handle, the same for the same seed, loaded with COPY.

The hard cases (real-world-cases.md, B2.3), each present at least `hard_cases` times:

- users with several profiles, and one chat_settings row per profile;
- one user in one conversation through two profiles (a group, and a legacy "self chat");
- duplicate blocks across profiles (one user blocked two profiles of another, or
  blocked the same profile from two of their own);
- two direct conversations between the same two users, through different profiles;
- reactions (and read receipts) from two profiles of one user on one message;
- chat rows whose profile row is gone;
- advertisers without a user (decoupled), whose chat rows still carry the user id
  they were written with.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from faker import Faker

DEFAULT_SEED = 20260201
MIN_USERS = 10
MAX_USERS = 5_000_000
BASE_TIME = datetime(2025, 9, 1, 8, 0)
REACTIONS = ("👍", "❤️", "😂", "🎉", "🙏", "😮")
WHO_CAN_MESSAGE = ("everyone", "connections", "none")
LAST_SEEN = ("everyone", "connections", "nobody")
# Sent to the progress sink: (table, rows written so far, rows expected).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Profile:
    kind: str
    id: int
    owner: int | None  # the user behind the profile (None: an advertiser without a user)
    stored_user: int  # what the chat rows store in their NOT NULL user id columns
    gone: bool = False  # its profile row was deleted; its chat rows remain


@dataclass
class Conversation:
    id: int
    type: str
    creator: Profile
    members: list[Profile]
    created_at: datetime
    name: str | None = None
    two_profile_user: int | None = None  # a user present through two profiles


@dataclass
class Dataset:
    """Everything but the messages, which are streamed (there can be millions)."""

    users: list[tuple[Any, ...]] = field(default_factory=list)
    profiles: dict[str, list[Profile]] = field(default_factory=dict)
    conversations: list[Conversation] = field(default_factory=list)
    blocks: list[tuple[Profile, Profile]] = field(default_factory=list)
    connections: list[tuple[Profile, Profile, str]] = field(default_factory=list)
    settings: list[Profile] = field(default_factory=list)


@dataclass(frozen=True)
class SeedOptions:
    users: int
    seed: int = DEFAULT_SEED
    messages_per_conversation: int = 8  # on average
    hard_cases: int | None = None  # default: max(2, users // 250)

    def __post_init__(self) -> None:
        if not MIN_USERS <= self.users <= MAX_USERS:
            raise ValueError(
                f"the number of users must be between {MIN_USERS} and {MAX_USERS}, got {self.users}"
            )
        if not 1 <= self.messages_per_conversation <= 1000:
            raise ValueError(
                "messages per conversation must be between 1 and 1000, "
                f"got {self.messages_per_conversation}"
            )

    @property
    def cases(self) -> int:
        return self.hard_cases if self.hard_cases is not None else max(2, self.users // 250)


class _Builder:
    """Builds the dataset in memory, deterministically from the seed."""

    def __init__(self, options: SeedOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.faker = Faker()
        self.faker.seed_instance(options.seed)
        self.data = Dataset(profiles={k: [] for k in ("student", "tutor", "parent", "advertiser")})
        self.by_user: dict[int, list[Profile]] = {}
        self._clock = BASE_TIME

    def tick(self, seconds: int) -> datetime:
        self._clock += timedelta(seconds=seconds)
        return self._clock

    def profile(
        self, kind: str, owner: int | None, *, stored_user: int | None = None, gone: bool = False
    ) -> Profile:
        pool = self.data.profiles[kind]
        made = Profile(kind, len(pool) + 1, owner, stored_user or owner or 0, gone)
        pool.append(made)
        if owner is not None:
            self.by_user.setdefault(owner, []).append(made)
        return made

    def build(self) -> Dataset:
        self._users()
        self._settings()
        self._conversations()
        self._blocks()
        self._connections()
        return self.data

    def _connections(self) -> None:
        """Half the pairs of users in a direct conversation are connected; some asked."""
        seen: set[tuple[int, int]] = set()
        for conversation in self.data.conversations:
            if conversation.type != "direct" or len(conversation.members) != 2:
                continue
            asker, asked = conversation.members
            pair = (
                min(asker.stored_user, asked.stored_user),
                max(asker.stored_user, asked.stored_user),
            )
            if asker.stored_user == asked.stored_user or pair in seen:
                continue
            seen.add(pair)
            status = self.rng.choices(
                ("accepted", "pending", "rejected", ""), weights=(50, 10, 5, 35)
            )[0]
            if status:
                self.data.connections.append((asker, asked, status))

    def _users(self) -> None:
        n, cases = self.options.users, self.options.cases
        for uid in range(1, n + 1):
            first, last = self.faker.first_name(), self.faker.last_name()
            several = uid <= 2 * cases or self.rng.random() < 0.2
            kinds = self._kinds(several)
            for kind in kinds:
                self.profile(kind, uid)
            self.data.users.append(
                (
                    uid,
                    f"{first}.{last}.{uid}@example.org".lower(),
                    first,
                    self.faker.first_name_male(),
                    last,
                    self.faker.numerify("+2519########"),
                    json.dumps(kinds),
                    kinds[0],
                    f"https://media.example.org/avatars/{uid}.jpg",
                    True,
                    self.tick(60),
                )
            )
        for uid in self.rng.sample(range(1, n + 1), max(cases, n // 30)):
            if not any(p.kind == "advertiser" for p in self.by_user[uid]):
                self.profile("advertiser", uid)
        # Decoupled advertisers: no user here any more; their old rows keep a user id.
        for _ in range(cases):
            self.profile("advertiser", None, stored_user=self.rng.randint(1, n))
        # Profiles deleted after they chatted: the user stays, the profile row goes.
        for uid in range(2 * cases + 1, 3 * cases + 1):
            self.profile(
                "tutor" if "tutor" not in self._kinds_of(uid) else "student", uid, gone=True
            )

    def _kinds(self, several: bool) -> list[str]:
        kinds = ["student", "tutor", "parent"]
        if several:
            return self.rng.sample(kinds, self.rng.choice((2, 2, 3)))
        return [self.rng.choices(kinds, weights=(55, 25, 20))[0]]

    def _kinds_of(self, uid: int) -> set[str]:
        return {p.kind for p in self.by_user.get(uid, [])}

    def _all_profiles(self) -> list[Profile]:
        return [p for pool in self.data.profiles.values() for p in pool]

    def _own(self, uid: int) -> list[Profile]:
        """The user's profiles that still exist."""
        return [p for p in self.by_user.get(uid, []) if not p.gone]

    def _several(self) -> list[int]:
        """Users with more than one existing profile, in id order."""
        return [uid for uid in self.by_user if len(self._own(uid)) > 1]

    def _settings(self) -> None:
        for uid in self.by_user:
            own = self._own(uid)
            if len(own) > 1 or self.rng.random() < 0.6:
                self.data.settings.extend(own)

    def _conversation(self, type_: str, members: list[Profile], **extra: Any) -> Conversation:
        made = Conversation(
            id=len(self.data.conversations) + 1,
            type=type_,
            creator=members[0],
            members=members,
            created_at=self.tick(self.rng.randint(5, 90)),
            **extra,
        )
        self.data.conversations.append(made)
        return made

    def _pick(
        self, profiles: Sequence[Profile], count: int, exclude_users: set[int]
    ) -> list[Profile]:
        chosen: list[Profile] = []
        while len(chosen) < count:
            candidate = self.rng.choice(profiles)
            if candidate.stored_user not in exclude_users:
                chosen.append(candidate)
                exclude_users.add(candidate.stored_user)
        return chosen

    def _conversations(self) -> None:
        n, cases = self.options.users, self.options.cases
        everyone = self._all_profiles()
        several = self._several()
        for _ in range(n * 3 // 2):
            self._conversation("direct", self._pick(everyone, 2, set()))
        for _ in range(n // 5):
            members = self._pick(everyone, self.rng.randint(3, 8), set())
            self._conversation("group", members, name=self.faker.catch_phrase()[:60])
        for uid in several[:cases]:
            mine = self._own(uid)[:2]
            others = self._pick(everyone, 3, {uid})
            self._conversation(
                "group", [others[0], *mine, *others[1:]], name="Family chat", two_profile_user=uid
            )
            # Two direct conversations between the same two users, through two profiles.
            other = self._pick(everyone, 1, {uid})[0]
            self._conversation("direct", [mine[0], other])
            self._conversation("direct", [mine[1], other])
        for uid in several[: max(1, cases // 2)]:
            mine = self._own(uid)[:2]
            self._conversation("direct", mine, two_profile_user=uid)  # a legacy self chat
        outsiders = [p for p in everyone if p.gone or p.owner is None]
        for profile in outsiders:
            other = self._pick(everyone, 1, {profile.stored_user})[0]
            self._conversation("direct", [profile, other])

    def _blocks(self) -> None:
        everyone = self._all_profiles()
        seen: set[tuple[str, int, str, int]] = set()

        def block(blocker: Profile, blocked: Profile) -> None:
            key = (blocker.kind, blocker.id, blocked.kind, blocked.id)
            if key not in seen and blocker.stored_user != blocked.stored_user:
                seen.add(key)
                self.data.blocks.append((blocker, blocked))

        for _ in range(self.options.users // 20):
            blocker, blocked = self._pick(everyone, 2, set())
            block(blocker, blocked)
        several = self._several()
        cases = self.options.cases
        for a, b in zip(several[:cases], several[cases : 2 * cases], strict=True):
            a1, a2 = self._own(a)[:2]
            b1, b2 = self._own(b)[:2]
            block(a1, b1)
            block(a1, b2)  # one user blocked two profiles of another
            block(a2, b1)  # and the same profile from a second profile of their own


def _message_rows(
    builder: _Builder,
    data: Dataset,
    reactions: list[tuple[Any, ...]],
    receipts: list[tuple[Any, ...]],
) -> Iterator[tuple[Any, ...]]:
    """Each conversation's messages; fills `reactions` and `receipts` on the way."""
    rng, options = builder.rng, builder.options
    sentences = [builder.faker.sentence(nb_words=rng.randint(3, 14)) for _ in range(500)]
    message_id = 0
    for conversation in data.conversations:
        count = max(1, round(rng.expovariate(1 / options.messages_per_conversation)))
        at = conversation.created_at
        first_id = message_id + 1
        for index in range(count):
            message_id += 1
            at += timedelta(seconds=rng.randint(20, 3600))
            sender = rng.choice(conversation.members)
            kind = rng.choices(("text", "image", "file", "audio"), weights=(90, 5, 3, 2))[0]
            pinned_by = rng.choice(conversation.members) if rng.random() < 0.01 else None
            deleted = rng.random() < 0.02
            reply_to = (
                rng.randint(first_id, message_id - 1) if index and rng.random() < 0.1 else None
            )
            yield (
                message_id,
                conversation.id,
                sender.id,
                sender.kind,
                sender.stored_user,
                kind,
                None if kind in ("image", "audio") else rng.choice(sentences),
                None if kind == "text" else f"https://media.example.org/{kind}/{message_id}",
                json.dumps({"size": rng.randint(10_000, 5_000_000)}) if kind != "text" else None,
                reply_to,
                deleted,
                at + timedelta(minutes=5) if deleted else None,
                pinned_by is not None,
                at if pinned_by else None,
                pinned_by.id if pinned_by else None,
                pinned_by.kind if pinned_by else None,
                at,
                at,
            )
            for reader in conversation.members:
                if reader is not sender and rng.random() < 0.3:
                    receipts.append(
                        _actor_row(message_id, reader, at + timedelta(seconds=rng.randint(1, 600)))
                    )
            if rng.random() < 0.1:
                reactor = rng.choice(conversation.members)
                reactions.append(
                    (*_actor_row(message_id, reactor, at)[:4], rng.choice(REACTIONS), at)
                )
        if conversation.two_profile_user is not None:
            _two_profile_reads(conversation, first_id, at, reactions, receipts)


def _actor_row(message_id: int, profile: Profile, at: datetime) -> tuple[Any, ...]:
    return (message_id, profile.id, profile.kind, profile.stored_user, at)


def _two_profile_reads(
    conversation: Conversation,
    message_id: int,
    at: datetime,
    reactions: list[tuple[Any, ...]],
    receipts: list[tuple[Any, ...]],
) -> None:
    """Both profiles of the two-profile user react to and read the first message."""
    mine = [p for p in conversation.members if p.owner == conversation.two_profile_user]
    for offset, profile in enumerate(mine):
        reactions.append((message_id, profile.id, profile.kind, profile.stored_user, "👍", at))
        receipts.append(_actor_row(message_id, profile, at + timedelta(seconds=offset + 1)))


def _unique(
    rows: Iterable[tuple[Any, ...]], key: Callable[[tuple[Any, ...]], Any]
) -> Iterator[tuple[Any, ...]]:
    """`rows` without repeats of a unique key (the first one stays)."""
    seen: set[Any] = set()
    for row in rows:
        k = key(row)
        if k not in seen:
            seen.add(k)
            yield row


def _participant_rows(builder: _Builder, data: Dataset) -> Iterator[tuple[Any, ...]]:
    rng = builder.rng
    row_id = 0
    for conversation in data.conversations:
        for position, member in enumerate(conversation.members):
            row_id += 1
            active = rng.random() > 0.03
            joined = conversation.created_at + timedelta(seconds=position)
            yield (
                row_id,
                conversation.id,
                member.id,
                member.kind,
                member.stored_user,
                "admin" if conversation.type == "group" and position == 0 else "member",
                rng.random() < 0.1,
                rng.random() < 0.05,
                active,
                joined,
                None if active else joined + timedelta(days=3),
                joined,
                joined,
            )


def _conversation_rows(data: Dataset) -> Iterator[tuple[Any, ...]]:
    for c in data.conversations:
        yield (c.id, c.type, c.name, c.creator.id, c.creator.kind, c.created_at, c.created_at)


def _call_rows(builder: _Builder, data: Dataset) -> Iterator[tuple[Any, ...]]:
    rng = builder.rng
    row_id = 0
    for conversation in data.conversations:
        if rng.random() > 0.2:
            continue
        row_id += 1
        caller = rng.choice(conversation.members)
        started = conversation.created_at + timedelta(hours=rng.randint(1, 200))
        status = rng.choice(("ended", "ended", "missed", "declined", "failed"))
        answered = started + timedelta(seconds=8) if status == "ended" else None
        duration = rng.randint(10, 3600) if answered else None
        ended = answered + timedelta(seconds=duration) if answered and duration else started
        participants = [
            {"profile_id": m.id, "profile_type": m.kind, "joined_at": None, "left_at": None}
            for m in conversation.members
        ]
        yield (
            row_id,
            conversation.id,
            caller.id,
            caller.kind,
            caller.stored_user,
            rng.choice(("voice", "video")),
            status,
            started,
            answered,
            ended,
            duration,
            json.dumps(participants),
            started,
        )


def _connection_rows(data: Dataset) -> Iterator[tuple[Any, ...]]:
    for row_id, (asker, asked, status) in enumerate(data.connections, start=1):
        yield (
            row_id,
            asker.stored_user,
            asked.stored_user,
            asker.kind,
            asked.kind,
            asker.id,
            asked.id,
            status,
            BASE_TIME,
        )


def _block_rows(builder: _Builder, data: Dataset) -> Iterator[tuple[Any, ...]]:
    for row_id, (blocker, blocked) in enumerate(data.blocks, start=1):
        yield (
            row_id,
            blocker.id,
            blocker.kind,
            blocker.stored_user,
            blocked.id,
            blocked.kind,
            blocked.stored_user,
            builder.rng.choice((None, "spam", "harassment", "not interested")),
            builder.tick(7),
        )


SETTINGS_COLUMNS = (
    "id",
    "user_id",
    "profile_id",
    "profile_type",
    "who_can_message",
    "read_receipts",
    "online_status",
    "typing_indicators",
    "message_notifications",
    "last_seen_visibility",
    "font_size",
    "disable_forwarding",
    "allow_calls_from",
    "created_at",
    "updated_at",
)


def _settings_rows(builder: _Builder, data: Dataset) -> Iterator[tuple[Any, ...]]:
    rng = builder.rng
    for row_id, profile in enumerate(data.settings, start=1):
        at = builder.tick(3)
        yield (
            row_id,
            profile.stored_user,
            profile.id,
            profile.kind,
            rng.choices(WHO_CAN_MESSAGE, weights=(70, 25, 5))[0],
            rng.random() > 0.2,
            rng.random() > 0.2,
            rng.random() > 0.1,
            rng.random() > 0.1,
            rng.choices(LAST_SEEN, weights=(70, 20, 10))[0],
            rng.choice(("small", "medium", "large")),
            rng.random() < 0.1,
            rng.choices(WHO_CAN_MESSAGE, weights=(70, 25, 5))[0],
            at,
            at,
        )


def _profile_rows(
    kind: str, profiles: Iterable[Profile], builder: _Builder
) -> Iterator[tuple[Any, ...]]:
    for p in profiles:
        if p.gone:
            continue
        created = BASE_TIME - timedelta(days=30)
        if kind in ("student", "tutor"):
            yield (p.id, p.owner, f"{kind}{p.id}", True, created)
        elif kind == "parent":
            yield (p.id, p.owner, created)
        else:
            yield (p.id, p.owner, builder.faker.company(), created)


PROFILE_COLUMNS = {
    "student": "id, user_id, username, is_active, created_at",
    "tutor": "id, user_id, username, is_active, created_at",
    "parent": "id, user_id, created_at",
    "advertiser": "id, user_id, company_name, created_at",
}
COPIES: tuple[tuple[str, str], ...] = (
    (
        "conversations",
        "id, type, name, created_by_profile_id, created_by_profile_type, created_at, updated_at",
    ),
    (
        "conversation_participants",
        "id, conversation_id, profile_id, profile_type, user_id, role, is_muted, is_pinned, "
        "is_active, joined_at, left_at, created_at, updated_at",
    ),
    (
        "chat_messages",
        "id, conversation_id, sender_profile_id, sender_profile_type, sender_user_id, "
        "message_type, content, media_url, media_metadata, reply_to_id, is_deleted, "
        "deleted_at, is_pinned, pinned_at, pinned_by_profile_id, pinned_by_profile_type, "
        "created_at, updated_at",
    ),
    (
        "message_reactions",
        "id, message_id, profile_id, profile_type, user_id, reaction, created_at",
    ),
    ("message_read_receipts", "id, message_id, profile_id, profile_type, user_id, read_at"),
    (
        "call_logs",
        "id, conversation_id, caller_profile_id, caller_profile_type, caller_user_id, call_type, "
        "status, started_at, answered_at, ended_at, duration_seconds, participants, created_at",
    ),
    (
        "blocked_chat_contacts",
        "id, blocker_profile_id, blocker_profile_type, blocker_user_id, blocked_profile_id, "
        "blocked_profile_type, blocked_user_id, reason, blocked_at",
    ),
    ("chat_settings", ", ".join(SETTINGS_COLUMNS)),
    (
        "connections",
        "id, requested_by, recipient_id, requester_type, recipient_type, "
        "requester_profile_id, recipient_profile_id, status, created_at",
    ),
)
USER_COLUMNS = (
    "id, email, first_name, father_name, last_name, phone, roles, active_role, "
    "profile_picture, is_active, created_at"
)


def _copy(
    conn: psycopg.Connection[Any],
    table: str,
    columns: str,
    rows: Iterable[tuple[Any, ...]],
    expected: int,
    progress: Progress | None,
) -> int:
    written = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
            if progress is not None and written % 10_000 == 0:
                progress(table, written, expected)
    if progress is not None:
        progress(table, written, max(expected, written))
    return written


def _with_ids(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for row_id, row in enumerate(rows, start=1):
        yield (row_id, *row)


def seed_legacy(
    conn: psycopg.Connection[Any], options: SeedOptions, progress: Progress | None = None
) -> dict[str, int]:
    """Load a generated legacy dataset into the (empty) legacy tables in one transaction;
    returns the rows written per table."""
    builder = _Builder(options)
    data = builder.build()
    reactions: list[tuple[Any, ...]] = []
    receipts: list[tuple[Any, ...]] = []
    messages = len(data.conversations) * options.messages_per_conversation
    counts: dict[str, int] = {}
    with conn.transaction():
        counts["users"] = _copy(conn, "users", USER_COLUMNS, data.users, len(data.users), progress)
        for kind, profiles in data.profiles.items():
            table = f"{kind}_profiles"
            rows = _profile_rows(kind, profiles, builder)
            counts[table] = _copy(conn, table, PROFILE_COLUMNS[kind], rows, len(profiles), progress)
        sources: dict[str, tuple[Iterable[tuple[Any, ...]], int]] = {
            "conversations": (_conversation_rows(data), len(data.conversations)),
            "conversation_participants": (
                _participant_rows(builder, data),
                sum(len(c.members) for c in data.conversations),
            ),
            "chat_messages": (_message_rows(builder, data, reactions, receipts), messages),
            # Keyed like the legacy unique constraints: (message, profile, reaction) and
            # (message, profile).
            "message_reactions": (_with_ids(_unique(reactions, lambda r: (*r[:3], r[4]))), 0),
            "message_read_receipts": (_with_ids(_unique(receipts, lambda r: r[:3])), 0),
            "call_logs": (_call_rows(builder, data), len(data.conversations) // 5),
            "blocked_chat_contacts": (_block_rows(builder, data), len(data.blocks)),
            "chat_settings": (_settings_rows(builder, data), len(data.settings)),
            "connections": (_connection_rows(data), len(data.connections)),
        }
        for table, columns in COPIES:
            rows, expected = sources[table]
            expected = expected or (
                len(reactions) if table == "message_reactions" else len(receipts)
            )
            counts[table] = _copy(conn, table, columns, rows, expected, progress)
        for table in counts:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"greatest((SELECT max(id) FROM {table}), 1))"
            )
    return counts
