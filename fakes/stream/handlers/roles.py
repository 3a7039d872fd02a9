"""Roles: Stream's built-in roles and an app's custom roles (contract §5.6)."""

from __future__ import annotations

from typing import Any

from .. import render
from ..call import Call
from ..errors import input_error
from ..models import Role
from ..validation import check_role_name, required


def create_role(call: Call) -> dict[str, Any]:
    """POST /roles (CreateRole): a custom role users can then be given."""
    app = call.app
    name = check_role_name(required(call.body, "name", str))
    if name in app.roles:
        raise input_error(f'role "{name}" already exists')
    now = call.now
    role = app.roles[name] = Role(name, custom=True, created_at=now, updated_at=now)
    return {"role": render.role(role)}


def list_roles(call: Call) -> dict[str, Any]:
    """GET /roles (ListRoles): the built-in roles, then the custom ones."""
    return {"roles": [render.role(role) for role in call.app.roles.values()]}


def delete_role(call: Call) -> dict[str, Any]:
    """DELETE /roles/{name} (DeleteRole): only a custom role nobody holds."""
    app, name = call.app, call.params["name"]
    role = app.roles.get(name)
    if role is not None and not role.custom:
        raise input_error(f'role "{name}" is a built-in role and cannot be deleted')
    if role is None:
        # UNCONFIRMED: code 4 and this text are from a 2021 live-API test (JSOLD multitenant.js).
        raise input_error(f'role "{name}" does not exist')
    holder = next(
        (u for u in sorted(app.users.values(), key=lambda u: u.seq) if u.role == name), None
    )
    if holder is not None:
        # UNCONFIRMED: as above; soft-deleted and deactivated users still hold their role.
        raise input_error(
            f'role "{name}" cannot be deleted, at least one user is using this role '
            f'(ie. "{holder.id}")'
        )
    del app.roles[name]
    return {}
