"""How a backend names its people and channels on Stream: one convention, shared by the
reference (which follows it) and the harness (which checks a backend against it).

The defaults are OneCrew's: `onecrew_user_<id>` / `onecrew_company_<id>` and channel
type `messaging`. A team with another convention passes `--stream-user-id-format` and
`--channel-type` to both `chatgate serve` and the scenarios.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

DEFAULT_STREAM_USER_ID_FORMAT = "onecrew_{kind}_{id}"
DEFAULT_CHANNEL_TYPE = "messaging"
KINDS = ("user", "company")
# Stream's id rules: a user id is `^[@\w-]*$` (ASCII), at most 255 characters; a
# channel type `^[\w-]*$`, at most 64.
_STREAM_USER_ID = re.compile(r"^[@\w-]+$", re.ASCII)
MAX_STREAM_USER_ID = 255
_CHANNEL_TYPE = re.compile(r"^[\w-]{1,64}$", re.ASCII)
# A UUID, the longest id a backend hands out in the scenarios.
_PROBE_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class StreamNaming:
    """A Stream user id format (with `{kind}` and `{id}`) and the channel type."""

    user_id_format: str = DEFAULT_STREAM_USER_ID_FORMAT
    channel_type: str = DEFAULT_CHANNEL_TYPE

    def __post_init__(self) -> None:
        fields = [
            name
            for _, name, _, _ in string.Formatter().parse(self.user_id_format)
            if name is not None
        ]
        if sorted(fields) != ["id", "kind"]:
            raise ValueError(
                f"the Stream user id format must hold {{kind}} and {{id}} once each and no "
                f"other field, got {self.user_id_format!r}"
            )
        for kind in KINDS:
            probe = self.stream_id(kind, _PROBE_ID)
            if not _STREAM_USER_ID.match(probe) or len(probe) > MAX_STREAM_USER_ID:
                raise ValueError(
                    f"the Stream user id format {self.user_id_format!r} gives {probe!r} for a "
                    f"UUID, which Stream refuses: a user id has at most {MAX_STREAM_USER_ID} "
                    "characters of a-z, A-Z, 0-9, @, _ and -"
                )
        if not _CHANNEL_TYPE.match(self.channel_type):
            raise ValueError(
                f"the channel type must be 1 to 64 characters of a-z, A-Z, 0-9, _ and -, "
                f"got {self.channel_type!r}"
            )

    def stream_id(self, kind: str, entity_id: str) -> str:
        """The Stream user id of a `user` or a `company` with id `entity_id`."""
        return self.user_id_format.format(kind=kind, id=entity_id)

    def cid(self, channel_id: str) -> str:
        """`<channel type>:<channel id>`, as Stream names a channel."""
        return f"{self.channel_type}:{channel_id}"
