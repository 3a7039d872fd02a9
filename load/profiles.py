"""The load profiles: Locust users against the backend contract (docs/backend-contract.md),
so the same profile loads the reference, a mutant or a team's staging backend, plus one
that loads the fake Stream directly through the official SDK.

    company-new-user       a company messaging users Stream has never seen (the incident)
    company-existing-user  a company messaging users already synced to Stream
    user-company           users messaging a company
    mixed                  creation, reading a conversation, the list and tokens
    fake-stream            the fake Stream itself: upsert two users, create their channel

(The names are chatgate.load.catalog's, which maps each to its class here.)
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from locust import FastHttpUser, User, constant, task
from stream_chat import StreamChat

from chatgate.fakes.stream.credentials import default_credentials
from chatgate.naming import StreamNaming

from .backend import CREATE_PREFIX, BackendClient, Cast, Person
from .records import Created, Ledger

BATCH = 50  # never-seen people made per provider-state call
LEDGER = Ledger()  # this process's created conversations


def _naming(user: User) -> StreamNaming:
    options = user.environment.parsed_options
    return StreamNaming(options.stream_user_id_format, options.channel_type)


class _BackendUser(FastHttpUser):
    """A simulated client of the backend with its own cast of people."""

    abstract = True
    wait_time = constant(0)
    backend: BackendClient
    cast: Cast

    def on_start(self) -> None:
        self.backend = BackendClient(self.client, _naming(self))
        self.cast = self.backend.cast(BATCH)
        self.fresh: list[Person] = list(self.cast.users)

    def next_user(self) -> Person:
        """A person this client has not opened a conversation with yet."""
        if not self.fresh:
            before = len(self.cast.users)
            self.backend.more_users(self.cast, BATCH)
            self.fresh = self.cast.users[before:]
            self.prepare(self.fresh)
        return self.fresh.pop()

    def prepare(self, people: list[Person]) -> None:
        """What a profile does to new people before using them (nothing by default)."""


class CompanyToNewUser(_BackendUser):
    """A company opens conversations with users Stream has never seen."""

    @task
    def create(self) -> None:
        LEDGER.add(self.backend.company_to_user(self.cast, self.next_user(), "company -> new user"))


class CompanyToExistingUser(_BackendUser):
    """A company opens conversations with users already in Stream (synced by a token)."""

    def on_start(self) -> None:
        super().on_start()
        self.prepare(self.fresh)

    def prepare(self, people: list[Person]) -> None:
        for person in people:
            self.backend.token(person)

    @task
    def create(self) -> None:
        LEDGER.add(
            self.backend.company_to_user(self.cast, self.next_user(), "company -> existing user")
        )


class UserToCompany(_BackendUser):
    """Users open conversations with a company."""

    @task
    def create(self) -> None:
        LEDGER.add(self.backend.user_to_company(self.cast, self.next_user()))


class Mixed(_BackendUser):
    """What a busy app does: creations, reads of a conversation, the list, tokens."""

    def on_start(self) -> None:
        super().on_start()
        self.opened: list[str] = []

    @task(3)
    def create(self) -> None:
        created = self.backend.company_to_user(self.cast, self.next_user(), "company -> new user")
        LEDGER.add(created)
        if created is not None:
            self.opened.append(created.conversation_id)

    @task(3)
    def read(self) -> None:
        if self.opened:
            self.backend.get(self.cast.owner, self.opened[-1])

    @task(2)
    def list_conversations(self) -> None:
        self.backend.list_company(self.cast)

    @task(2)
    def token(self) -> None:
        self.backend.token(self.cast.owner)


class FakeStreamLoad(User):
    """The fake Stream itself, through the official SDK: upsert two users, then create
    their channel. `--host` is the fake's URL. Creations are recorded and checked like a
    backend's."""

    wait_time = constant(0)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        credentials = default_credentials()
        self.stream = StreamChat(
            options.stream_api_key or credentials.api_key,
            options.stream_api_secret or credentials.api_secret,
            base_url=self.host,
        )
        self.channel_type = options.channel_type

    def _timed(self, name: str, call: Any) -> bool:
        started = time.perf_counter()
        error: Exception | None = None
        try:
            call()
        except Exception as failure:  # every failure is reported to Locust, as it would be
            error = failure
        self.environment.events.request.fire(
            request_type="SDK",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
        return error is None

    @task
    def create(self) -> None:
        a, b = f"load-{uuid.uuid4().hex[:16]}", f"load-{uuid.uuid4().hex[:16]}"
        if not self._timed(
            "stream: upsert users", lambda: self.stream.upsert_users([{"id": a}, {"id": b}])
        ):
            return
        channel_id = uuid.uuid4().hex
        channel = self.stream.channel(
            self.channel_type, channel_id, {"members": [a, b], "created_by_id": a}
        )
        if self._timed(CREATE_PREFIX + "stream channel", lambda: channel.query(watch=False)):
            LEDGER.add(Created(channel_id, f"{self.channel_type}:{channel_id}", (a, b), a))
