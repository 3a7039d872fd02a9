"""Serving a `dispatch(method, path, query, headers, body)` function over real HTTP.

Both the fake Stream server and the reference backend are plain dispatch
functions; this package is the one thin transport they share: an ASGI adapter
and a uvicorn server bound to a loopback socket in a background thread.
"""

from .asgi import BodyLimit, HttpAnswer, asgi_app
from .loopback import LoopbackServer

__all__ = ["BodyLimit", "HttpAnswer", "LoopbackServer", "asgi_app"]
