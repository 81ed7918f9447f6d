"""The JSON telemetry body (``POST /api/v1/telemetry`` and MQTT payloads starting with ``{``).

::

    {"points": [{"metric": "temp", "value": 21.5, "ts": "2026-11-25T10:00:00Z",
                 "labels": {"line": "3"}}]}

``quality`` is optional: "good" (the default), "uncertain" or "bad" (:mod:`integration.quality`).
``ts`` is optional (missing or null means ``now``): an ISO 8601 string with a time zone, or
epoch seconds (integer or fraction). ``labels`` is optional: an object of strings. Produces the
same :class:`integration.lineprotocol.Point` as the line protocol parser; the range checks
(finite value, time window, name lengths) are the ingest service's, shared by every path.
Pure Python, no Django. The JSON is read by orjson (C, linear); a body of more than
``max_points`` points is refused before any of them is read.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import orjson

from integration import quality
from integration.lineprotocol import Point

__all__ = ["JsonPointsError", "TooManyPoints", "parse"]

_FIELDS = frozenset(("metric", "value", "ts", "labels", "quality"))
_MAX_SHOWN = 40


class JsonPointsError(ValueError):
    """Refused input; ``index`` is the 0-based point index and ``field`` its key, when known."""

    def __init__(self, reason: str, *, index: int | None = None, field: str | None = None):
        self.reason = reason
        self.index = index
        self.field = field
        where = "" if index is None else f"points[{index}]" + (f".{field}" if field else "")
        super().__init__(f"{where}: {reason}" if where else reason)


class TooManyPoints(JsonPointsError):
    """The body holds more than ``max_points`` points; none of them was read."""

    def __init__(self, count: int, limit: int):
        super().__init__(f"{count} points in one batch; at most {limit} are accepted")


def parse(body: bytes | str, *, now: datetime, max_points: int | None = None) -> list[Point]:
    """Points of a whole body, or :class:`JsonPointsError` for its first problem.

    More than ``max_points`` points (no limit when None) raise :class:`TooManyPoints`.
    """
    data = _loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        raise JsonPointsError('the body must be an object with a "points" array')
    unknown = set(data) - {"points"}
    if unknown:
        raise JsonPointsError(f"unknown key '{_shown(sorted(unknown)[0])}' in the body")
    items = data["points"]
    if max_points is not None and len(items) > max_points:
        raise TooManyPoints(len(items), max_points)
    return [_point(i, item, now) for i, item in enumerate(items)]


def _loads(body: bytes | str):
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses NaN, Infinity and integers past 64 bits; the standard library reads them,
    # so such a body gets a message naming the point rather than a parse error.
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        if isinstance(error, UnicodeDecodeError):
            raise JsonPointsError("the body is not UTF-8") from None
        raise JsonPointsError(
            f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise JsonPointsError("invalid JSON: nested too deeply") from None
    except ValueError:  # int()'s own cap: an integer of more than 4,300 digits
        raise JsonPointsError("invalid JSON: a number has too many digits") from None
    # The standard library also reads lone surrogate escapes ("\ud800"), which orjson refuses:
    # such a string is no text, cannot be stored, and could not even be quoted in an answer.
    if _has_lone_surrogate(data):
        raise JsonPointsError("invalid JSON: a \\u escape is a lone surrogate (not Unicode)")
    return data


def _has_lone_surrogate(data) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _point(index: int, item, now: datetime) -> Point:
    if not isinstance(item, dict):
        raise JsonPointsError("must be an object", index=index)
    unknown = set(item) - _FIELDS
    if unknown:
        name = _shown(str(sorted(unknown)[0]))
        raise JsonPointsError(f"unknown field '{name}'", index=index)

    metric = item.get("metric")
    if not isinstance(metric, str):
        reason = "is missing" if metric is None else "must be a string"
        raise JsonPointsError(reason, index=index, field="metric")

    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        reason = "is missing" if value is None else "must be a number"
        raise JsonPointsError(reason, index=index, field="value")
    if isinstance(value, int):
        try:
            value = float(value)
        except OverflowError:
            raise JsonPointsError("is out of range", index=index, field="value") from None
    if not math.isfinite(value):
        raise JsonPointsError("is not a finite number", index=index, field="value")

    labels, ts = _labels(index, item.get("labels")), _ts(index, item.get("ts"), now)
    return Point(metric, labels, ts, value, _quality(index, item.get("quality")))


def _quality(index: int, raw) -> str | None:
    if raw is None or raw == quality.GOOD:
        return None
    if raw not in quality.QUALITIES:
        reason = 'must be "good", "uncertain" or "bad"'
        raise JsonPointsError(reason, index=index, field="quality")
    return raw


def _ts(index: int, raw, now: datetime) -> datetime:
    if raw is None:
        return now
    if isinstance(raw, str):
        try:
            ts = datetime.fromisoformat(raw)
        except ValueError:
            reason = f"'{_shown(raw)}' is not an ISO 8601 time, e.g. 2026-11-25T10:00:00Z"
            raise JsonPointsError(reason, index=index, field="ts") from None
        if ts.tzinfo is None:
            reason = f"'{_shown(raw)}' has no time zone: add Z for UTC or an offset like +01:00"
            raise JsonPointsError(reason, index=index, field="ts")
        try:
            return ts.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            reason = f"'{_shown(raw)}' is out of range"
            raise JsonPointsError(reason, index=index, field="ts") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        reason = "must be an ISO 8601 string or epoch seconds"
        raise JsonPointsError(reason, index=index, field="ts")
    try:
        return datetime.fromtimestamp(raw, UTC)
    except (OverflowError, OSError, ValueError):
        reason = f"{_shown(str(raw))} is out of range for epoch seconds"
        raise JsonPointsError(reason, index=index, field="ts") from None


def _labels(index: int, raw) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise JsonPointsError("must be an object of strings", index=index, field="labels")
    for key, value in raw.items():
        if not isinstance(value, str):
            reason = f"value of '{_shown(key)}' must be a string"
            raise JsonPointsError(reason, index=index, field="labels")
    return tuple(sorted(raw.items()))


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
