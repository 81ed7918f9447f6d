"""Times in the services' hand-written SQL, passed and read back without Django's converters.

PostgreSQL sends a timestamp selected through `MICROS` as microseconds since 1970, made a
datetime by `micros` in a fifth of the time psycopg and Django take for the timestamp's text
(3.4 µs a value: a round of 9,000 checks on a day of data read 19 million, a 24-hour chart
reads 1,440). SQLite keeps Django's own text, naive UTC: `db_time` writes it, `text_time`
reads it. `read_time` gives the reader for the connection's vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["MICROS", "db_time", "micros", "read_time", "text_time"]

# Around a timestamp expression in a SELECT, by vendor: (before, after).
MICROS = {"postgresql": ("(EXTRACT(EPOCH FROM ", ") * 1000000)::int8"), "sqlite": ("", "")}
_1970 = datetime(1970, 1, 1, tzinfo=UTC)


def db_time(ts: datetime, sqlite: bool):
    """`ts` as a query parameter: Django's own SQLite format (naive UTC text) on SQLite."""
    return str(ts.astimezone(UTC).replace(tzinfo=None)) if sqlite else ts


def text_time(text: str | datetime) -> datetime:
    """SQLite's time: Django's text, or the naive datetime Django's converter makes of a
    column selected as it is (declared `datetime`)."""
    if isinstance(text, datetime):
        return text.replace(tzinfo=UTC)
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def micros(micro: int) -> datetime:
    return _1970 + timedelta(microseconds=micro)


def read_time(vendor: str) -> Callable:
    """What turns a time selected through `MICROS` into a datetime on `vendor`."""
    return text_time if vendor == "sqlite" else micros
