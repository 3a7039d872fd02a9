"""Small helpers on libpq connection strings (URLs and key=value DSNs)."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo

_URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(conninfo: str) -> bool:
    """True for `postgresql://...` URLs, False for `key=value` DSNs."""
    return conninfo.startswith(_URL_SCHEMES)


def with_database(conninfo: str, dbname: str) -> str:
    """The same connection string pointing at database `dbname`, in the same form (URL or DSN)."""
    if not is_url(conninfo):
        return make_conninfo(conninfo, dbname=dbname)
    parts = urlsplit(conninfo)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"]
    path = "/" + quote(dbname, safe="")
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), parts.fragment))


def redacted(conninfo: str) -> str:
    """`user@host:port/dbname` for messages: never shows the password."""
    try:
        params = conninfo_to_dict(conninfo)
    except Exception:  # a malformed string: say so rather than echo it (it may hold a secret)
        return "<unparsable connection string>"
    user = params.get("user") or ""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    port = params.get("port") or "5432"
    dbname = params.get("dbname") or user or ""
    return f"{user + '@' if user else ''}{host}:{port}/{dbname}"
