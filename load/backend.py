"""The conversation half's backend API (docs/backend-contract.md) as the load profiles use
it: provider states to make people, then creations, reads, lists and tokens.

Requests are named by route, not URL (`GET /api/chat/conversations/{id}`), so Locust's
statistics keep one row per route however many ids a run makes. Creation rows are named
by what they create (`create: company -> new user`), the figure the gates read.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from chatgate.naming import StreamNaming

from .records import Created

SEED_ROUTE = "/api/test/provider-state"
CONVERSATIONS = "/api/chat/conversations"
CREATE_PREFIX = "create: "
# Stream's words when a channel names members it does not know: the incident itself.
MISSING_MEMBERS = "don't exist"

_faker = Faker()


@dataclass(frozen=True)
class Person:
    id: str
    bearer: str


@dataclass
class Cast:
    """The people one simulated client acts with: an owner running one company."""

    owner: Person
    company_id: str
    users: list[Person] = field(default_factory=list)


class BackendError(Exception):
    """An answer the contract does not allow for a request that should succeed."""


def _people(count: int) -> list[dict[str, str]]:
    return [{"id": str(uuid.uuid4()), "name": _faker.name()} for _ in range(count)]


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _error_text(response: Any) -> str:
    """The backend's error, with ids replaced so that one kind of failure is one row."""
    try:
        text = str(response.json().get("error") or response.text)
    except ValueError:
        text = str(response.text)[:300]
    return _UUID.sub("<id>", text)


class BackendClient:
    """Contract calls over a Locust HTTP client (FastHttpUser's `client`)."""

    def __init__(self, client: Any, naming: StreamNaming) -> None:
        self.client = client
        self.naming = naming

    def _seed(self, body: dict[str, Any]) -> dict[str, str]:
        with self.client.post(
            SEED_ROUTE, json=body, name=f"POST {SEED_ROUTE}", catch_response=True
        ) as answer:
            if answer.status_code // 100 != 2:
                answer.failure(f"{answer.status_code}: {_error_text(answer)}")
                raise BackendError(f"provider state refused ({answer.status_code})")
            return dict(answer.json()["data"]["tokens"])

    def cast(self, users: int) -> Cast:
        """A new owner, their company and `users` people Stream has never seen."""
        owner = _people(1)[0]
        company = str(uuid.uuid4())
        people = _people(users)
        tokens = self._seed(
            {
                "users": [owner, *people],
                "companies": [{"id": company, "name": _faker.company()}],
                "memberships": [{"company_id": company, "user_id": owner["id"], "role": "owner"}],
            }
        )
        return Cast(
            Person(owner["id"], tokens[owner["id"]]),
            company,
            [Person(p["id"], tokens[p["id"]]) for p in people],
        )

    def more_users(self, cast: Cast, users: int) -> None:
        """Add `users` never-seen people to `cast`."""
        people = _people(users)
        tokens = self._seed({"users": people})
        cast.users.extend(Person(p["id"], tokens[p["id"]]) for p in people)

    def create(
        self,
        what: str,
        actor: Person,
        body: dict[str, Any],
        members: tuple[str, ...],
        creator: str,
    ) -> Created | None:
        """POST a conversation; the record of it for the consistency check, None on failure
        (then counted by Locust, with the backend's words)."""
        with self.client.post(
            CONVERSATIONS,
            json=body,
            headers={"Authorization": f"Bearer {actor.bearer}"},
            name=CREATE_PREFIX + what,
            catch_response=True,
        ) as answer:
            if answer.status_code // 100 != 2:
                answer.failure(f"{answer.status_code}: {_error_text(answer)}")
                return None
            conversation_id = answer.json()["data"]["id"]
            return Created(conversation_id, self.naming.cid(conversation_id), members, creator)

    def company_to_user(self, cast: Cast, user: Person, what: str) -> Created | None:
        """The company (acting through its owner) opens a conversation with `user`."""
        return self.create(
            what,
            cast.owner,
            {
                "conversation_type": "user_company",
                "participant_ids": [user.id],
                "company_id": cast.company_id,
            },
            (self._stream_id("company", cast.company_id), self._stream_id("user", user.id)),
            self._stream_id("company", cast.company_id),
        )

    def user_to_company(self, cast: Cast, user: Person) -> Created | None:
        """`user`, as themselves, opens a conversation with the company."""
        return self.create(
            "user -> company",
            user,
            {"conversation_type": "user_company", "participant_ids": [cast.company_id]},
            (self._stream_id("user", user.id), self._stream_id("company", cast.company_id)),
            self._stream_id("user", user.id),
        )

    def get(self, actor: Person, conversation_id: str) -> None:
        self._read("GET", f"{CONVERSATIONS}/{conversation_id}", actor, f"{CONVERSATIONS}/{{id}}")

    def list_company(self, cast: Cast) -> None:
        path = f"{CONVERSATIONS}?profile_type=company&company_id={cast.company_id}"
        self._read("GET", path, cast.owner, CONVERSATIONS)

    def token(self, actor: Person) -> None:
        self._read("POST", "/api/chat/token?profile_type=user", actor, "/api/chat/token")

    def _read(self, method: str, path: str, actor: Person, route: str) -> None:
        with self.client.request(
            method,
            path,
            headers={"Authorization": f"Bearer {actor.bearer}"},
            name=f"{method} {route}",
            catch_response=True,
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {_error_text(answer)}")

    def _stream_id(self, kind: str, entity_id: str) -> str:
        return self.naming.stream_id(kind, entity_id)
