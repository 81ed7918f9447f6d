"""Telemetry settings: environment variables with safe defaults, overridable in Django settings.

Read at first use, then remembered (ingest asks per message and per integration, and Django's
settings object answers a missing name slowly); a change of Django settings (`override_settings`,
tests' `settings` fixture) forgets them, so tests can still change them.

- TELEMETRY_RETENTION_DAYS (30): raw points older than this are dropped by
  `manage.py telemetry_partitions`.
- TELEMETRY_MINUTE_ROLLUP_RETENTION_DAYS (90): minute rollups older than this are deleted by
  the same command; hourly rollups are kept.
- TELEMETRY_PARTITION_AHEAD_DAYS (7): daily partitions created ahead of today (PostgreSQL).
- TELEMETRY_MAX_BODY_BYTES (10485760, 10 MiB): the largest HTTP ingest body, counted after
  gzip decompression; a 413 above.
- TELEMETRY_MAX_POINTS (100000): the most points in one batch; a 413 over HTTP above. The
  parsers stop reading a body once it holds more.
- TELEMETRY_MAX_LINE_FIELDS (500): the most fields in one line of line protocol; a 400 (HTTP)
  or a refused message (MQTT) naming the line above.
- TELEMETRY_READ_MAX_POINTS (50000): the most rows in one read API answer; a 400 above.
- TELEMETRY_MAX_METRICS (1000): the most metrics one integration may have; a batch naming more
  new ones is refused whole (422 over HTTP).
- TELEMETRY_MAX_SERIES (10000): the most series (metric and label set) of one integration; the
  same refusal.
- TELEMETRY_RATE_POINTS (300000) per TELEMETRY_RATE_WINDOW (10) seconds: each ingest token's
  budget over HTTP; a 429 with Retry-After once it is used (see `integration.ratelimit`).
  A body is charged before it is parsed, the most points it can hold, then settled.
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from integration import lineprotocol

DEFAULTS = {
    "TELEMETRY_RETENTION_DAYS": 30,
    "TELEMETRY_MINUTE_ROLLUP_RETENTION_DAYS": 90,
    "TELEMETRY_PARTITION_AHEAD_DAYS": 7,
    "TELEMETRY_MAX_BODY_BYTES": 10 * 1024 * 1024,
    "TELEMETRY_MAX_POINTS": 100_000,
    "TELEMETRY_MAX_LINE_FIELDS": lineprotocol.MAX_FIELDS,
    "TELEMETRY_READ_MAX_POINTS": 50_000,
    "TELEMETRY_MAX_METRICS": 1_000,
    "TELEMETRY_MAX_SERIES": 10_000,
    "TELEMETRY_RATE_POINTS": 300_000,
    "TELEMETRY_RATE_WINDOW": 10,
}


_values: dict[str, int] = {}


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _values.clear()


def setting(name: str) -> int:
    """A positive integer from Django settings, else the environment, else the default."""
    value = _values.get(name)
    if value is None:
        value = _values[name] = _read(name)
    return value


def _read(name: str) -> int:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "")
        if raw == "":
            return DEFAULTS[name]
        try:
            value = int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, got {value}")
    return value


def retention_days() -> int:
    return setting("TELEMETRY_RETENTION_DAYS")


def minute_rollup_retention_days() -> int:
    return setting("TELEMETRY_MINUTE_ROLLUP_RETENTION_DAYS")


def partition_ahead_days() -> int:
    return setting("TELEMETRY_PARTITION_AHEAD_DAYS")


def max_body_bytes() -> int:
    return setting("TELEMETRY_MAX_BODY_BYTES")


def max_points() -> int:
    return setting("TELEMETRY_MAX_POINTS")


def max_line_fields() -> int:
    return setting("TELEMETRY_MAX_LINE_FIELDS")


def read_max_points() -> int:
    return setting("TELEMETRY_READ_MAX_POINTS")


def max_metrics() -> int:
    return setting("TELEMETRY_MAX_METRICS")


def max_series() -> int:
    return setting("TELEMETRY_MAX_SERIES")


def rate_points() -> int:
    return setting("TELEMETRY_RATE_POINTS")


def rate_window() -> int:
    return setting("TELEMETRY_RATE_WINDOW")
