"""Webhooks: with the app setting `webhook_url` (and, to choose, `webhook_events`), the
fake POSTs Stream-shaped events signed like Stream (`X-Signature`: HMAC-SHA256 of the
body with the app's secret), so `StreamChat.verify_webhook` accepts them.

Events are built from the answers of successful operations, queued, and delivered by
one background thread, in order, with bounded retries. Every attempt is recorded in
the journal as operation `WebhookDelivery`; a fault rule on that operation fails
(`error`, `rate_limit`, `drop`) or delays (`latency`) an attempt. Only loopback URLs
are accepted: the fake never calls out of the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from . import render
from .clock import stream_time
from .handlers.messages import deletes_for_me

if TYPE_CHECKING:
    from .call import Call
    from .clock import Clock
    from .faults import Faults
    from .journal import Journal

log = logging.getLogger("chatgate.fake_stream")

DELIVERY = "WebhookDelivery"
MAX_ATTEMPTS = 3
# Between attempts: 0.2 s, then 0.4 s (UNCONFIRMED: Stream's own retry schedule).
BACKOFF_S = 0.2
TIMEOUT_S = 3.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The event types the fake sends (issue 14's list); `webhook_events` picks among them.
EVENT_TYPES = (
    "message.new",
    "message.updated",
    "message.deleted",
    "reaction.new",
    "reaction.updated",
    "reaction.deleted",
    "channel.created",
    "channel.updated",
    "channel.deleted",
    "member.added",
    "member.removed",
    "user.updated",
    "user.deleted",
)


def loopback(url: str) -> bool:
    """True for an http(s) URL on this machine's loopback interface."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


def sign(secret: str, body: bytes) -> str:
    """Stream's X-Signature: hex HMAC-SHA256 of the raw body with the api secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- events from answers -------------------------------------------------------------


def _channel_fields(channel: dict[str, Any]) -> dict[str, Any]:
    return {"cid": channel["cid"], "channel_type": channel["type"], "channel_id": channel["id"]}


def _message_event(kind: str, call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    message = answer["message"]
    if message.get("type") in ("ephemeral", "error") or _pending(call, message):
        return []
    channel = call.app.channels.get(message["cid"])
    fields = {"cid": message["cid"]}
    if channel is not None:
        fields.update(channel_type=channel.type, channel_id=channel.id)
    event = {"type": kind, **fields, "message": message, "user": message.get("user")}
    if kind == "message.deleted":
        event["hard_delete"] = message["id"] not in call.app.messages
    return [event]


def _deleted_message(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """message.deleted; a delete "for me" says so with `deleted_for_me` and its user, and
    carries the message as everyone else still sees it (UNCONFIRMED: the JS SDK reads
    `deleted_for_me` on message.deleted events; that webhooks get them is a guess)."""
    events = _message_event("message.deleted", call, answer)
    if deletes_for_me(call):
        user = call.body.get("user") or {}
        user_id = user.get("id") or call.principal.user_id
        for event in events:
            event.update(deleted_for_me=True, user=render.user_ref(call.app, user_id))
    return events


def _pending(call: Call, message: dict[str, Any]) -> bool:
    record = call.app.messages.get(message["id"])
    return record is not None and record.pending


def _reaction_event(kind: str) -> Callable[[Call, dict[str, Any]], list[dict[str, Any]]]:
    """reaction.new / reaction.deleted; a sent reaction that changed one the user had
    (a re-send, or enforce_unique) is reaction.updated."""

    def build(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
        reaction = answer["reaction"]
        updated = kind == "reaction.new" and call.updated_reaction
        events = _message_event("reaction.updated" if updated else kind, call, answer)
        for item in events:
            item.update(reaction=reaction, user=reaction.get("user"))
        return events

    return build


def _posted_message(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """message.new for the message an UpdateChannel or TruncateChannel posted."""
    return _message_event("message.new", call, answer) if "message" in answer else []


def _channel_event(kind: str) -> Callable[[Call, dict[str, Any]], list[dict[str, Any]]]:
    def build(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
        channel = answer["channel"]
        events = [{"type": kind, **_channel_fields(channel), "channel": channel}]
        if kind == "channel.updated":
            events += _member_events(call, channel) + _posted_message(call, answer)
        return events

    return build


def _member_events(call: Call, channel: dict[str, Any]) -> list[dict[str, Any]]:
    """member.added for the users the update made members (not those who already were),
    and member.removed for its remove_members."""
    removed = [
        item.get("user_id") if isinstance(item, dict) else item
        for item in call.body.get("remove_members") or []
    ]
    return [
        {"type": kind, **_channel_fields(channel), "member": {"user_id": user_id}}
        for kind, user_ids in (("member.added", call.added_members), ("member.removed", removed))
        for user_id in user_ids
    ]


def _image_action(call: Call) -> str | None:
    form = call.body.get("form_data")
    return form.get("image_action") if isinstance(form, dict) else None


def _sent_giphy(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """message.new when a giphy preview's `send` action posts it to the channel."""
    return _message_event("message.new", call, answer) if _image_action(call) == "send" else []


def _created_channel(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    return _channel_event("channel.created")(call, answer) if call.created_channel else []


def _user_events(kind: str) -> Callable[[Call, dict[str, Any]], list[dict[str, Any]]]:
    def build(_call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
        users = answer.get("users")
        listed = list(users.values()) if isinstance(users, dict) else [answer.get("user")]
        return [{"type": kind, "user": user} for user in listed if isinstance(user, dict)]

    return build


def _deleted_users(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    task = call.app.tasks.get(answer.get("task_id", ""))
    results = task.result if task is not None else {}
    return [
        {"type": "user.deleted", "user": {"id": user_id}}
        for user_id, outcome in results.items()
        if isinstance(outcome, dict) and outcome.get("status") == "ok"
    ]


BUILDERS: dict[str, Callable[[Call, dict[str, Any]], list[dict[str, Any]]]] = {
    "SendMessage": lambda call, answer: _message_event("message.new", call, answer),
    "CommitMessage": lambda call, answer: _message_event("message.new", call, answer),
    "UpdateMessage": lambda call, answer: _message_event("message.updated", call, answer),
    "UpdateMessagePartial": lambda call, answer: _message_event("message.updated", call, answer),
    "DeleteMessage": _deleted_message,
    "RunMessageAction": _sent_giphy,
    "SendReaction": _reaction_event("reaction.new"),
    "DeleteReaction": _reaction_event("reaction.deleted"),
    "GetOrCreateChannel": _created_channel,
    "GetOrCreateDistinctChannel": _created_channel,
    "UpdateChannel": _channel_event("channel.updated"),
    "UpdateChannelPartial": _channel_event("channel.updated"),
    "DeleteChannel": _channel_event("channel.deleted"),
    "TruncateChannel": _posted_message,
    "UpdateUsers": _user_events("user.updated"),
    "UpdateUsersPartial": _user_events("user.updated"),
    "DeleteUser": _user_events("user.deleted"),
    "DeleteUsers": _deleted_users,
}


def events_for(call: Call, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The webhook events an operation's answer makes, filtered by `webhook_events`."""
    build = BUILDERS.get(call.operation)
    url = call.app.settings.get("webhook_url")
    if build is None or not isinstance(url, str) or not url:
        return []
    wanted = call.app.settings.get("webhook_events") or EVENT_TYPES
    created_at = stream_time(call.now)
    return [
        {**event, "created_at": created_at}
        for event in build(call, answer)
        if event["type"] in wanted
    ]


# -- delivery ------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    api_key: str
    secret: str
    url: str
    body: bytes
    webhook_id: str


class WebhookSender:
    """One background thread delivering queued events in order, with retries."""

    def __init__(self, journal: Journal, faults: Faults, clock: Clock) -> None:
        self.journal = journal
        self.faults = faults
        self.clock = clock
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition()

    def send(self, delivery: Delivery) -> None:
        """Queue one delivery; the sender thread starts with the first."""
        with self._idle:
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fake-stream-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(delivery)

    def idle(self, timeout: float) -> bool:
        """Wait until every queued delivery is done (delivered or out of retries);
        False if `timeout` seconds pass first. Tests wait on this, never on a sleep."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                self._deliver(delivery)
            except Exception:  # the sender must outlive any one delivery
                log.exception("webhook delivery to %s failed", delivery.url)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _deliver(self, delivery: Delivery) -> None:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if self._attempt(delivery, attempt):
                return
            if attempt < MAX_ATTEMPTS:
                time.sleep(BACKOFF_S * 2 ** (attempt - 1))  # retry backoff, not synchronisation

    def _attempt(self, delivery: Delivery, attempt: int) -> bool:
        started = time.perf_counter()
        fault = self.faults.take(DELIVERY, "POST", delivery.url)
        if fault is not None and fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)  # an injected latency fault
        status = 0
        if fault is not None and fault.kind in ("error", "rate_limit"):
            status = fault.status or fault.error().status
        elif fault is None or fault.kind == "latency":
            headers = {
                "Content-Type": "application/json",
                "X-Signature": sign(delivery.secret, delivery.body),
                "X-Api-Key": delivery.api_key,
                "X-Webhook-Id": delivery.webhook_id,
                "X-Webhook-Attempt": str(attempt),
            }
            try:
                status = requests.post(
                    delivery.url, data=delivery.body, headers=headers, timeout=TIMEOUT_S
                ).status_code
            except requests.RequestException:
                status = 0
        self.journal.record(
            time=self.clock.now(),
            received_s=self.journal.elapsed(started),
            api_key=delivery.api_key,
            operation=DELIVERY,
            method="POST",
            path=delivery.url,
            query={"attempt": str(attempt), "webhook_id": delivery.webhook_id},
            body=delivery.body,
            status=status,
            principal=None,
            matched=True,
        )
        return 200 <= status < 300


def deliveries(call: Call, answer: dict[str, Any]) -> list[Delivery]:
    """The signed deliveries of an operation's events, encoded now (the answer changes
    after the handler, the event must not)."""
    app = call.app
    return [
        Delivery(
            app.api_key,
            app.api_secret,
            str(app.settings["webhook_url"]),
            json.dumps(event, separators=(",", ":")).encode(),
            app.ids.uuid(),
        )
        for event in events_for(call, answer)
    ]
