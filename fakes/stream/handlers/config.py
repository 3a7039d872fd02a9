"""App configuration besides channel types: commands, blocklists and custom permissions."""

from __future__ import annotations

import re
from typing import Any

from .. import texts
from ..call import Call
from ..clock import stream_time
from ..errors import input_error, not_found
from ..models import Blocklist
from ..validation import check_batch, check_role_name, expect, optional, required

# -- commands ------------------------------------------------------------------


def _command_fields(body: dict[str, Any]) -> dict[str, str]:
    fields = {}
    for key in ("description", "args", "set"):
        value = optional(body, key, str)
        if value is not None:
            fields[key] = value
    return fields


def create_command(call: Call) -> dict[str, Any]:
    """POST /commands (CreateCommand): a custom slash command."""
    app, body = call.app, call.body
    name = check_role_name(required(body, "name", str), "name")
    if name in app.commands:
        raise input_error(texts.COMMAND_EXISTS.format(name=name))
    now = stream_time(call.now)
    command = {"name": name, "description": "", "args": "", "set": "", "custom": True}
    command.update(_command_fields(body), created_at=now, updated_at=now)
    app.commands[name] = command
    return {"command": dict(command)}


def _command(call: Call) -> dict[str, Any]:
    command = call.app.commands.get(call.params["name"])
    if command is None:
        raise not_found(texts.COMMAND_NOT_FOUND.format(name=call.params["name"]))
    return command


def _custom_command(call: Call) -> dict[str, Any]:
    command = _command(call)
    if not command["custom"]:
        raise input_error(texts.COMMAND_BUILT_IN.format(name=command["name"]))
    return command


def list_commands(call: Call) -> dict[str, Any]:
    """GET /commands (ListCommands): the built-in commands, then the custom ones."""
    return {"commands": [dict(c) for c in call.app.commands.values()]}


def get_command(call: Call) -> dict[str, Any]:
    """GET /commands/{name} (GetCommand): the command's fields at the top level."""
    return dict(_command(call))


def update_command(call: Call) -> dict[str, Any]:
    """PUT /commands/{name} (UpdateCommand): description, args, set."""
    command = _custom_command(call)
    command.update(_command_fields(call.body), updated_at=stream_time(call.now))
    return {"command": dict(command)}


def delete_command(call: Call) -> dict[str, Any]:
    """DELETE /commands/{name} (DeleteCommand): also leaves every channel type's commands."""
    app = call.app
    name = _custom_command(call)["name"]
    del app.commands[name]
    for config in app.channel_types.values():
        config["commands"] = [c for c in config.get("commands", []) if c != name]
    return {"name": name}


# -- blocklists --------------------------------------------------------------------

BLOCKLIST_TYPES = ("word", "regex", "domain", "email")


def _words(body: dict[str, Any]) -> list[str]:
    words = required(body, "words", list)
    check_batch(words, "words", 10_000)
    return [expect(word, str, f"words[{index}]") for index, word in enumerate(words)]


def _blocklist_body(record: Blocklist) -> dict[str, Any]:
    return {
        "name": record.name,
        "type": record.type,
        "words": list(record.words),
        "created_at": stream_time(record.created_at),
        "updated_at": stream_time(record.updated_at),
    }


def create_blocklist(call: Call) -> dict[str, Any]:
    """POST /blocklists (CreateBlockList)."""
    app, body = call.app, call.body
    name = check_role_name(required(body, "name", str), "name")
    if name in app.blocklists:
        raise input_error(texts.BLOCKLIST_EXISTS.format(name=name))
    kind = optional(body, "type", str) or "word"
    if kind not in BLOCKLIST_TYPES:
        raise input_error(texts.BLOCKLIST_TYPE.format(types=", ".join(BLOCKLIST_TYPES)))
    words = _words(body)
    if kind == "regex":
        _check_patterns(words)
    app.blocklists[name] = Blocklist(name, kind, words, call.now, call.now)
    return {}


def _check_patterns(words: list[str]) -> None:
    for index, word in enumerate(words):
        try:
            re.compile(word)
        except re.error as error:
            raise input_error(texts.BAD_PATTERN.format(index=index, error=error)) from None


def _blocklist(call: Call) -> Blocklist:
    record = call.app.blocklists.get(call.params["name"])
    if record is None:
        raise not_found(texts.BLOCKLIST_NOT_FOUND.format(name=call.params["name"]))
    return record


def list_blocklists(call: Call) -> dict[str, Any]:
    """GET /blocklists (ListBlockLists). UNCONFIRMED: live apps also list built-in ones."""
    return {"blocklists": [_blocklist_body(b) for b in call.app.blocklists.values()]}


def get_blocklist(call: Call) -> dict[str, Any]:
    """GET /blocklists/{name} (GetBlockList)."""
    return {"blocklist": _blocklist_body(_blocklist(call))}


def update_blocklist(call: Call) -> dict[str, Any]:
    """PUT /blocklists/{name} (UpdateBlockList): the words are replaced."""
    record = _blocklist(call)
    words = _words(call.body)
    if record.type == "regex":
        _check_patterns(words)
    record.words = words
    record.updated_at = call.now
    return {}


def delete_blocklist(call: Call) -> dict[str, Any]:
    """DELETE /blocklists/{name} (DeleteBlockList): channel types using it lose it."""
    app = call.app
    name = _blocklist(call).name
    del app.blocklists[name]
    for config in app.channel_types.values():
        if config.get("blocklist") == name:
            config.pop("blocklist")
    return {}


# -- custom permissions ------------------------------------------------------------------


def _permission_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("name", "action", "description", "owner", "same_team", "condition", "level"):
        if body.get(key) is not None:
            kind: type = (
                bool if key in ("owner", "same_team") else dict if key == "condition" else str
            )
            fields[key] = expect(body[key], kind, key)
    return fields


def create_permission(call: Call) -> dict[str, Any]:
    """POST /permissions (CreateCustomPermission). UNCONFIRMED: the fake stores custom
    permissions and lists them; it does not evaluate them."""
    app, body = call.app, call.body
    permission_id = check_role_name(required(body, "id", str), "id")
    if permission_id in app.permissions:
        raise input_error(texts.PERMISSION_EXISTS.format(id=permission_id))
    required(body, "action", str)
    app.permissions[permission_id] = {
        "id": permission_id,
        "custom": True,
        **_permission_fields(body),
    }
    return {}


def _permission(call: Call) -> dict[str, Any]:
    record = call.app.permissions.get(call.params["id"])
    if record is None:
        raise not_found(texts.PERMISSION_NOT_FOUND.format(id=call.params["id"]))
    return record


def get_permission(call: Call) -> dict[str, Any]:
    """GET /permissions/{id} (GetCustomPermission)."""
    return {"permission": dict(_permission(call))}


def list_permissions(call: Call) -> dict[str, Any]:
    """GET /permissions (ListPermissions). UNCONFIRMED: Stream lists its built-in
    permissions too; the fake lists the custom ones."""
    return {"permissions": [dict(p) for p in call.app.permissions.values()]}


def update_permission(call: Call) -> dict[str, Any]:
    """PUT /permissions/{id} (UpdateCustomPermission)."""
    _permission(call).update(_permission_fields(call.body))
    return {}


def delete_permission(call: Call) -> dict[str, Any]:
    """DELETE /permissions/{id} (DeleteCustomPermission)."""
    del call.app.permissions[_permission(call)["id"]]
    return {}
