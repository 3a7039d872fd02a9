"""An in-memory fake of Stream Chat's v1 REST API.

One dispatcher (`FakeStream.dispatch`) serves every transport: the
`responses` adapter for the sync SDK in-process, and an ASGI app under uvicorn
for the standalone server.
"""

from .dispatcher import FakeStream
from .errors import ErrorCode, StreamError
from .handlers.channels import distinct_channel_id
from .response import FakeResponse

__all__ = ["ErrorCode", "FakeResponse", "FakeStream", "StreamError", "distinct_channel_id"]
