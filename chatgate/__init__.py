"""chatgate: tells a chat team whether their backend still keeps its contract
with Stream Chat and PostgreSQL."""

__version__ = "0.1.0"
