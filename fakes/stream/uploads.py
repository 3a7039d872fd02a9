"""Files the fake holds and serves back: channel uploads (send_file / send_image) and
import files (create_import_url's `upload_url`), under `/_fake/files/`.

A file's URL points at the fake that stored it: the standalone server's own
address (from the request's Host header) or, in-process, Stream's default host,
which the in-process transport intercepts; so a backend can fetch what it uploaded.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import quote

from . import texts
from .errors import input_error

DEFAULT_BASE_URL = "https://chat.stream-io-api.com"
FILES_PATH = "/_fake/files"


def origin(headers: dict[str, str]) -> str:
    """Where the client reached the fake: `http://<Host>`, or Stream's host in-process."""
    host = headers.get("host")
    return f"http://{host}" if host else DEFAULT_BASE_URL


def file_url(base: str, api_key: str, file_id: str, name: str) -> str:
    return f"{base}{FILES_PATH}/{quote(api_key)}/{file_id}/{quote(name)}"


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body as `{field: text}`, files as `{name, content_type, data}`."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise input_error(texts.MULTIPART_EXPECTED)
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise input_error(texts.MULTIPART_EXPECTED)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            fields[name] = {"name": filename, "content_type": part.get_content_type(), "data": data}
    return fields
