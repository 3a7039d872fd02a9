"""What an uploaded file is, read from its bytes (never from what the client claims):
its type with `filetype`, and a voice note's duration from the audio with `mutagen`."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import filetype
import mutagen

from . import errors

MAX_BYTES = {"image": 5 * 1024 * 1024, "file": 10 * 1024 * 1024, "voice": 5 * 1024 * 1024}
MAX_VOICE_SECONDS = 600.0
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# Files a chat accepts: documents and archives; never programs.
REFUSED_FILE_TYPES = ("application/x-executable", "application/x-msdownload", "application/x-elf")
UNKNOWN_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Inspected:
    kind: str
    mime: str
    size: int
    sha256: str
    duration_seconds: float | None


def _voice(content: bytes) -> tuple[str, float]:
    """(type, seconds) of audio mutagen can read; MediaRefused otherwise."""
    try:
        audio = mutagen.File(io.BytesIO(content))
    except mutagen.MutagenError:
        audio = None
    length = getattr(getattr(audio, "info", None), "length", None)
    if audio is None or not length:
        raise errors.not_audio()
    guessed = filetype.guess_mime(content) or (audio.mime[0] if audio.mime else UNKNOWN_TYPE)
    return guessed, float(length)


def inspect(kind: str, content: bytes, claimed: str | None) -> Inspected:
    """Check `content` for an upload of `kind` (image, file or voice): size, type read from
    the bytes (and matching `claimed`, if given), a voice note's duration."""
    if kind not in MAX_BYTES:
        raise errors.bad_media_kind(tuple(MAX_BYTES))
    if not content:
        raise errors.empty_media()
    if len(content) > MAX_BYTES[kind]:
        raise errors.media_too_big(kind, MAX_BYTES[kind])
    duration: float | None = None
    if kind == "voice":
        mime, duration = _voice(content)
        if duration > MAX_VOICE_SECONDS:
            raise errors.voice_too_long(MAX_VOICE_SECONDS, duration)
    else:
        mime = filetype.guess_mime(content) or UNKNOWN_TYPE
        if kind == "image" and mime not in IMAGE_TYPES:
            raise errors.not_an_image(mime, IMAGE_TYPES)
        if kind == "file" and mime in REFUSED_FILE_TYPES:
            raise errors.refused_file(mime)
    if claimed is not None and claimed.split(";")[0].strip().lower() != mime:
        raise errors.claim_mismatch(claimed, mime)
    return Inspected(kind, mime, len(content), hashlib.sha256(content).hexdigest(), duration)


DURABLE_SCHEMES = ("https://",)


def durable_url(url: object) -> str:
    """`url` if it can be stored for others to open later (https); `blob:`, `data:`,
    `file:` and plain http are refused, saying why."""
    if not isinstance(url, str) or not url.strip():
        raise errors.bad_media_url(repr(url))
    if not url.startswith(DURABLE_SCHEMES) or len(url) > 500:
        raise errors.not_durable(url[:80])
    return url
