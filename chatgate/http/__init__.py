"""Serving a `dispatch(method, path, query, headers, body)` function over real HTTP.

Both the fake Stream server and the reference backend are plain dispatch
functions; this package is the one thin transport they share: an ASGI adapter
and a uvicorn server bound to a loopback socket in a background thread.
"""

from .answer import JSON_HEADERS, HttpAnswer, json_answer
from .asgi import BodyLimit, asgi_app
from .loopback import LoopbackServer

__all__ = ["JSON_HEADERS", "BodyLimit", "HttpAnswer", "LoopbackServer", "asgi_app", "json_answer"]
