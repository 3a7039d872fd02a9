"""Channel file and image uploads, and imports: stored by the fake and served back."""

from __future__ import annotations

from typing import Any

from chatgate.http.jsonbody import Undecodable, decode_json

from .. import texts
from ..call import Call
from ..channel_config import require_feature
from ..clock import stream_time
from ..errors import input_error, not_found
from ..models import StoredFile
from ..permissions import acting_user, require_channel_access
from ..uploads import FILES_PATH, file_url
from ..validation import int_in_range, optional, query_int, required

# Stream's documented upload limit is 100 MB; the fake's request limit is lower
# (dispatcher.MAX_BODY_BYTES), so that one applies first.
MAX_FILE_BYTES = 100 * 1024 * 1024


def _upload(call: Call, *, image: bool) -> dict[str, Any]:
    app = call.app
    channel = call.channel()
    raw_user = call.body.get("user") or "{}"
    user = decode_json(raw_user) if isinstance(raw_user, str) else None
    if isinstance(user, Undecodable) or not isinstance(user, dict):
        raise input_error(texts.MULTIPART_EXPECTED)
    acting_user(call, {"user": user})
    require_channel_access(call, channel, "UploadAttachment")
    require_feature(app, channel, "uploads")
    upload = call.body.get("file")
    if not isinstance(upload, dict):
        raise input_error(texts.MULTIPART_EXPECTED)
    if len(upload["data"]) > MAX_FILE_BYTES:
        raise input_error(texts.FILE_TOO_BIG.format(limit=MAX_FILE_BYTES))
    content_type = upload["content_type"]
    if image and not content_type.startswith("image/"):
        raise input_error(texts.NOT_AN_IMAGE.format(name=upload["name"], content_type=content_type))
    record = StoredFile(app.ids.uuid(), upload["name"], content_type, upload["data"], channel.cid)
    app.files[record.id] = record
    url = file_url(call.origin, app.api_key, record.id, record.name)
    return {"file": url, **({"thumb_url": url} if image else {})}


def upload_file(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/file (UploadFile): multipart `file` and `user`; the
    answer's `file` URL serves the bytes back (GET, from the fake)."""
    return _upload(call, image=False)


def upload_image(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/image (UploadImage): an `image/*` file; `thumb_url` is
    the same image (UNCONFIRMED: the fake does not resize)."""
    return _upload(call, image=True)


def _stored(call: Call, url: str) -> StoredFile:
    """The channel's file a URL of this fake names."""
    channel = call.channel()
    marker = f"{FILES_PATH}/"
    file_id = url.split(marker, 1)[1].split("/")[1] if marker in url else ""
    record = call.app.files.get(file_id)
    if record is None or record.cid != channel.cid:
        raise not_found(texts.FILE_NOT_FOUND.format(url=url, cid=channel.cid))
    return record


def delete_file(call: Call) -> dict[str, Any]:
    """DELETE /channels/{type}/{id}/file?url= (DeleteFile); /image (DeleteImage) too."""
    url = call.query.get("url") or ""
    if not url:
        raise input_error(texts.REQUIRED_FIELD.format(path="url"))
    del call.app.files[_stored(call, url).id]
    return {}


# -- imports ---------------------------------------------------------------------------------


def create_import_url(call: Call) -> dict[str, Any]:
    """POST /import_urls (CreateImportURL): where to PUT the import file, and its `path`.

    The `upload_url` is the fake's own; PUT the file there (the SDK's own test does)."""
    app = call.app
    filename = required(call.body, "filename", str)
    if not filename:
        raise input_error(texts.REQUIRED_FIELD.format(path="filename"))
    record = StoredFile(app.ids.uuid(), filename, "application/json", b"")
    app.files[record.id] = record
    return {
        "upload_url": file_url(call.origin, app.api_key, record.id, record.name),
        "path": f"{record.id}/{filename}",
    }


def _import_body(task: dict[str, Any]) -> dict[str, Any]:
    return {"import_task": dict(task)}


def create_import(call: Call) -> dict[str, Any]:
    """POST /imports (CreateImport): an import of an uploaded file; it completes at once.

    UNCONFIRMED: the fake checks the file was uploaded, and does not apply its content.
    """
    app = call.app
    path = required(call.body, "path", str)
    mode = optional(call.body, "mode", str) or "upsert"
    if mode not in ("insert", "upsert"):
        raise input_error(texts.IMPORT_MODE)
    record = app.files.get(path.split("/", 1)[0])
    if record is None or record.cid is not None or not record.data:
        raise input_error(texts.IMPORT_PATH_UNKNOWN.format(path=path))
    now = stream_time(call.now)
    task = {
        "id": app.ids.uuid(),
        "path": path,
        "mode": mode,
        "state": "completed",
        "size": len(record.data),
        "created_at": now,
        "updated_at": now,
        "history": [{"prev_state": "uploaded", "next_state": "completed", "created_at": now}],
    }
    app.imports[task["id"]] = task
    return _import_body(task)


def get_import(call: Call) -> dict[str, Any]:
    """GET /imports/{id} (GetImport)."""
    task = call.app.imports.get(call.params["id"])
    if task is None:
        raise not_found(texts.IMPORT_NOT_FOUND.format(id=call.params["id"]))
    return _import_body(task)


def list_imports(call: Call) -> dict[str, Any]:
    """GET /imports (ListImports): newest first; `limit` and `offset` as query options."""
    tasks = list(reversed(call.app.imports.values()))
    limit = int_in_range(query_int(call.query, "limit", 25), "limit", 0, 100)
    offset = int_in_range(query_int(call.query, "offset", 0), "offset", 0, 10000)
    return {"import_tasks": [dict(t) for t in tasks[offset : offset + limit]]}
