"""InfluxDB line protocol parser (the body of ``POST /api/v2/write`` and MQTT payloads).

Syntax (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/)::

    <measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]

Each numeric field becomes one :class:`Point` named ``measurement.field_key`` with the tags as
labels. Integers (``1i``), unsigned integers (``1u``), floats and booleans are numeric; string
fields (``"..."``) are not telemetry and are skipped, except ``_quality="good|uncertain|bad"``,
the data quality of every field of its line (:mod:`integration.quality`). Pure Python, no Django.

Hand-written for speed (the hot loop of ingest) and for bounded work on hostile input: every
step is linear in the line, a line may hold at most ``max_fields`` fields and a body at most
``max_points`` points, and both caps are checked before the work past them is done. The
commonest line (one field of a series and time seen before) is read inline in :func:`parse`;
in a body without escapes, tabs or CRs such a line is not even stripped, and a float value is
tried before the booleans (docs/BENCHMARKS.md, HTTP ingest with the defaults). Lines with
escapes or string fields are read by :mod:`integration.lineprotocol_escaped`, split out for size.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from integration import quality

__all__ = [
    "MAX_FIELDS",
    "MAX_REFUSED_LINES",
    "PRECISIONS",
    "LineProtocolError",
    "Point",
    "TooManyPoints",
    "parse",
    "parse_lines",
]


class Point(NamedTuple):
    """One numeric value: ``metric`` is ``measurement.field``, ``labels`` are sorted tags."""

    metric: str
    labels: tuple[tuple[str, str], ...]
    ts: datetime
    value: float
    # `integration.quality`: None is good (the default), else "uncertain" or "bad".
    quality: str | None = None


class LineProtocolError(ValueError):
    """Refused input. ``line`` is the 1-based line number, or None for a bad argument."""

    def __init__(self, reason: str, *, line: int | None = None):
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


class TooManyPoints(LineProtocolError):
    """The body holds more than ``max_points`` points; parsing stopped soon after."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"more than {limit} points in one batch; at most {limit} are accepted")


# (multiplier, divisor) from a timestamp in each precision to microseconds, datetime's resolution.
_TO_MICROSECONDS = {"ns": (1, 1_000), "us": (1, 1), "ms": (1_000, 1), "s": (1_000_000, 1)}
PRECISIONS = tuple(_TO_MICROSECONDS)  # InfluxDB 2.x's
# InfluxDB 1.x also takes minutes and hours (its /write; see integration.api).
_TO_MICROSECONDS |= {"m": (60_000_000, 1), "h": (3_600_000_000, 1)}
_PRECISION_NAMES = "ns, us, ms, s, m or h"

# Fields in one line (TELEMETRY_MAX_LINE_FIELDS's default). Each field is a metric of its own,
# and real writers (Telegraf, PLC gateways) send at most a few dozen; without a cap one line
# can hold a whole body's worth of fields.
MAX_FIELDS = 500
# Refused lines in one body before `parse_lines` gives up on it: each refusal is an exception
# and a message, so a body of millions of bad lines must not be read to its end.
MAX_REFUSED_LINES = 100
FUTURE_LIMIT = timedelta(minutes=10)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_US = (EARLIEST - _EPOCH) // timedelta(microseconds=1)
_BOOLS = {
    "t": 1.0,
    "T": 1.0,
    "true": 1.0,
    "True": 1.0,
    "TRUE": 1.0,
    "f": 0.0,
    "F": 0.0,
    "false": 0.0,
    "False": 0.0,
    "FALSE": 0.0,
}
# Python's float() and int() also take underscores, whitespace, a leading '+', non-ASCII digits
# and "nan"/"inf"; line protocol takes none of those, so values are screened before converting.
_FLOAT_CHARS = "0123456789.eE+-"
_FINITE_MIN, _FINITE_MAX = -sys.float_info.max, sys.float_info.max
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
# More digits than any 64-bit number has; also keeps int() clear of its 4,300-digit limit.
_MAX_DIGITS = 20
_MAX_SHOWN = 40
_QUALITY_CHOICES = f'field \'{quality.FIELD}\' must be "good", "uncertain" or "bad"'

_tuple_new = tuple.__new__
# "No limit" on points: a billion, as a small int (under 2**30), which CPython 3.11 compares
# on a fast path; sys.maxsize made the inline path's count check cost 2 %.
_NO_LIMIT = 2**30 - 1


def parse(
    body: str,
    *,
    precision: str = "ns",
    now: datetime,
    max_fields: int = MAX_FIELDS,
    max_points: int | None = None,
) -> list[Point]:
    """Parse a whole body into points, or raise :class:`LineProtocolError` for its first error.

    All or nothing: nothing is returned unless every line is valid. Lines without a timestamp
    get ``now``; timestamps more than 10 minutes after ``now`` or before 2000-01-01 UTC are
    refused. Nanosecond timestamps are truncated to microseconds. Blank lines, ``#`` comments
    and CRLF line ends are accepted. A tag or field key repeated within a line is refused; the
    same point on two lines is returned twice, in input order (storage keeps one). A line of
    more than ``max_fields`` fields is refused, and a body of more than ``max_points`` points
    (no limit when None) raises :class:`TooManyPoints`, having read at most twice that many.
    """
    if precision not in _TO_MICROSECONDS:
        raise LineProtocolError(f"invalid precision '{_shown(precision)}': use {_PRECISION_NAMES}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    ctx = _Context(precision=precision, now=now, max_fields=max_fields)
    limit = _NO_LIMIT if max_points is None else max_points
    points: list[Point] = []
    # Hot loop (a batch is thousands of lines): names bound locally, and the commonest line,
    # one field and a timestamp of a series, field and time already seen in this body, is
    # read inline. Anything else goes to _parse_plain or parse_escaped, which also give every
    # error, so the messages do not depend on the path (the inline part only raises what
    # _parse_plain would raise at the same point: a field value, then the timestamp).
    append = points.append
    series_cache, times = ctx.series, ctx.times
    may_escape = "\\" in body or '"' in body
    if may_escape:
        # Imported here, once a body: that module imports this one's readers and types.
        from integration.lineprotocol_escaped import parse_escaped
    # Without escapes, tabs or CRs, a line is stripped only when it misses the inline path: a
    # line it takes has three non-empty parts, so no space to strip at either end.
    plain = not may_escape and "\t" not in body and "\r" not in body
    for lineno, line in enumerate(body.split("\n"), start=1):
        if not plain:
            line = line.strip(" \t\r")
            if not line or line[0] == "#":
                continue
        try:
            if may_escape and ("\\" in line or '"' in line):
                parse_escaped(line, ctx, points)
                if len(points) > limit:
                    raise TooManyPoints(limit)
                continue
            parts = line.split(" ")
            if len(parts) == 3:
                key, fields, raw_ts = parts
                series = series_cache.get(key)
                if series is not None and fields and raw_ts and "," not in fields:
                    name, _, raw = fields.partition("=")
                    metric = series[2].get(name)  # cached: a valid field name of this series
                    if metric is not None:
                        # A float first: no boolean is made of _FLOAT_CHARS.
                        if raw and not raw.strip(_FLOAT_CHARS) and raw[0] != "+":
                            try:
                                value = float(raw)
                            except ValueError:
                                value = _number(raw, name)  # raises
                            if not _FINITE_MIN <= value <= _FINITE_MAX:
                                raise _Refused(f"value for '{_shown(name)}' is not a finite number")
                        else:
                            value = _BOOLS.get(raw)
                            if value is None:
                                value = _number(raw, name)
                        ts = times.get(raw_ts)
                        if ts is None:
                            ts = _timestamp(raw_ts, ctx)
                        # One point a line here, so counting can wait for line `limit` (and
                        # the end): a small int comparison is cheaper than len().
                        if lineno > limit and len(points) >= limit:
                            raise TooManyPoints(limit)
                        append(_tuple_new(Point, (metric, series[1], ts, value, None)))
                        continue
            if plain:
                stripped = line.strip(" ")
                if len(stripped) != len(line):
                    line, parts = stripped, None
                if not line or line[0] == "#":
                    continue
            _parse_plain(line, ctx, points, parts)
            if len(points) > limit:
                raise TooManyPoints(limit)
        except _Refused as refused:
            raise LineProtocolError(refused.reason, line=lineno) from None
    if len(points) > limit:
        raise TooManyPoints(limit)
    return points


def parse_lines(
    body: str,
    *,
    precision: str = "ns",
    now: datetime,
    max_fields: int = MAX_FIELDS,
    max_points: int | None = None,
    max_refused: int = MAX_REFUSED_LINES,
) -> tuple[list[tuple[int, list[Point]]], list[LineProtocolError]]:
    """Parse each line on its own, for partial writes: ``(lines, refused)``.

    ``lines`` holds each good line's number and points, ``refused`` each bad line's error, both
    in input order; lines are read as :func:`parse` reads them. :class:`TooManyPoints` once the
    good lines hold more than ``max_points``; past ``max_refused`` refused lines, the
    :class:`LineProtocolError` of the first one with the count (the body is refused whole).
    """
    if precision not in _TO_MICROSECONDS:
        raise LineProtocolError(f"invalid precision '{_shown(precision)}': use {_PRECISION_NAMES}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    ctx = _Context(precision=precision, now=now.astimezone(UTC), max_fields=max_fields)
    limit = _NO_LIMIT if max_points is None else max_points
    lines: list[tuple[int, list[Point]]] = []
    refused: list[LineProtocolError] = []
    count = 0
    if "\\" in body or '"' in body:
        from integration.lineprotocol_escaped import parse_escaped  # as in parse()
    for lineno, line in enumerate(body.split("\n"), start=1):
        line = line.strip(" \t\r")
        if not line or line[0] == "#":
            continue
        points: list[Point] = []
        try:
            if "\\" in line or '"' in line:
                parse_escaped(line, ctx, points)
            else:
                _parse_plain(line, ctx, points)
        except _Refused as error:
            refused.append(LineProtocolError(error.reason, line=lineno))
            if len(refused) > max_refused:
                first = refused[0]
                reason = f"{first.reason} (and at least {max_refused} more lines refused)"
                raise LineProtocolError(reason, line=first.line) from None
            continue
        count += len(points)
        if count > limit:
            raise TooManyPoints(limit)
        lines.append((lineno, points))
    return lines, refused


class _Refused(Exception):
    """A line-level error; :func:`parse` adds the line number."""

    def __init__(self, reason: str):
        self.reason = reason


class _Context:
    """Per-body state: the clock, the precision, the field cap and caches of repeated series
    keys and times."""

    def __init__(self, *, precision: str, now: datetime, max_fields: int = MAX_FIELDS):
        self.now = now
        self.max_fields = max_fields
        self.multiplier, self.divisor = _TO_MICROSECONDS[precision]
        self.latest_us = (now + FUTURE_LIMIT - _EPOCH) // timedelta(microseconds=1)
        # Telegraf and friends repeat the same series key and timestamp on many lines, and
        # decoding them is most of the work; bodies are bounded, so the caches are too.
        self.series: dict[str, tuple[str, tuple[tuple[str, str], ...], dict[str, str]]] = {}
        self.times: dict[str, datetime] = {}


def _parse_plain(
    line: str, ctx: _Context, points: list[Point], parts: list[str] | None = None
) -> None:
    """Fast path: no backslash and no double quote, so every separator is a real one.

    Errors are found left to right, as in ``lineprotocol_escaped.parse_escaped``, so both give
    the same message.
    ``parts`` is ``line.split(" ")`` when the caller has it already.
    """
    if parts is None:
        parts = line.split(" ")
    if len(parts) > 3 or len(parts) == 3 and not parts[1]:
        parts = [part for part in parts if part]  # runs of spaces
    key = parts[0]
    series = ctx.series.get(key)
    if series is None:
        series = ctx.series[key] = _plain_series(key)
    if len(parts) < 2:
        raise _Refused("missing fields")
    measurement, labels, metrics = series

    values: list[tuple[str, float]] = []
    names: set[str] = set()  # a set: a list's `in` made a line of n fields cost n² / 2
    pairs = parts[1].split(",")
    over = len(pairs) > ctx.max_fields
    if over:
        del pairs[ctx.max_fields :]  # nothing past the cap is read
    for pair in pairs:
        name, eq, raw = pair.partition("=")
        if not name:
            raise _Refused("missing field key" if eq else "empty field in the field set")
        if name in names:
            raise _Refused(f"duplicate field '{_shown(name)}'")
        names.add(name)
        value = _BOOLS.get(raw)
        if value is None:
            # Inlined common case of _number(): a float; see there for the screen.
            if not raw or raw.strip(_FLOAT_CHARS) or raw[0] == "+":
                value = _number(raw, name)
            else:
                try:
                    value = float(raw)
                except ValueError:
                    value = _number(raw, name)  # raises
                if not _FINITE_MIN <= value <= _FINITE_MAX:
                    raise _Refused(f"value for '{_shown(name)}' is not a finite number")
        metric = metrics.get(name)
        if metric is None:
            if name == quality.FIELD:  # a number: _quality is a string
                raise _Refused(_QUALITY_CHOICES)
            metric = metrics[name] = f"{measurement}.{name}"
        values.append((metric, value))
    if over:  # after the errors before the cap, as parse_escaped finds them
        raise _Refused(_too_many_fields(ctx.max_fields))

    if len(parts) == 2:
        ts = ctx.now
    elif len(parts) == 3:
        ts = _timestamp(parts[2], ctx)
    else:
        raise _Refused("unexpected text after the timestamp")
    for metric, value in values:
        points.append(_tuple_new(Point, (metric, labels, ts, value, None)))


def _plain_series(key: str) -> tuple[str, tuple[tuple[str, str], ...], dict[str, str]]:
    measurement, *raw_tags = key.split(",")
    if not measurement:
        raise _Refused("missing measurement")
    tags: dict[str, str] = {}
    for raw_tag in raw_tags:
        name, eq, value = raw_tag.partition("=")
        if "=" in value:
            raise _Refused(f"unescaped '=' in the value of tag '{_shown(name)}'")
        _add_tag(tags, name, eq, value)
    return measurement, tuple(sorted(tags.items())), {}


def _add_tag(tags: dict[str, str], name: str, eq: str, value: str) -> None:
    if not name:
        raise _Refused("missing tag key")
    if not eq or not value:
        raise _Refused(f"missing value for tag '{_shown(name)}'")
    if name in tags:
        raise _Refused(f"duplicate tag '{_shown(name)}'")
    tags[name] = value


def _number(raw: str, field: str) -> float:
    """The float of a numeric field value; ``raw`` is not a boolean."""
    if not raw:
        raise _Refused(f"missing value for field '{_shown(field)}'")
    last = raw[-1]
    if last == "i" or last == "u":
        digits = raw[:-1]
        unsigned = last == "u"
        body = digits if unsigned or digits[:1] != "-" else digits[1:]
        if not (body.isascii() and body.isdigit()):
            raise _Refused(f"invalid field value '{_shown(raw)}' for field '{_shown(field)}'")
        number = int(digits) if len(body) <= _MAX_DIGITS else _UINT64_MAX + 1
        if number > (_UINT64_MAX if unsigned else _INT64_MAX) or number < _INT64_MIN:
            kind = "unsigned integer" if unsigned else "integer"
            raise _Refused(f"{kind} value for '{_shown(field)}' is out of range")
        return float(number)
    # strip() leaves nothing iff every character is a digit, '.', 'e', 'E', '+' or '-'; over
    # those characters float() takes exactly line protocol's float syntax, bar a leading '+'.
    if raw.strip(_FLOAT_CHARS) or raw[0] == "+":
        if _NON_FINITE.fullmatch(raw):
            raise _Refused(f"value for '{_shown(field)}' is not a finite number")
        raise _Refused(f"invalid field value '{_shown(raw)}' for field '{_shown(field)}'")
    try:
        value = float(raw)
    except ValueError:
        raise _Refused(f"invalid field value '{_shown(raw)}' for field '{_shown(field)}'") from None
    if not _FINITE_MIN <= value <= _FINITE_MAX:  # an exponent too large, e.g. 1e999
        raise _Refused(f"value for '{_shown(field)}' is not a finite number")
    return value


def _timestamp(raw: str, ctx: _Context) -> datetime:
    ts = ctx.times.get(raw)
    if ts is not None:
        return ts
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_DIGITS:
        negative = raw[1:]
        if raw[:1] == "-" and negative.isascii() and negative.isdigit():
            raise _Refused("timestamp is before 2000-01-01")
        raise _Refused(f"invalid timestamp '{_shown(raw)}'")
    # Floor division: nanoseconds are truncated to the microsecond below.
    us = int(raw) * ctx.multiplier // ctx.divisor
    if us > ctx.latest_us:
        raise _Refused("timestamp is more than 10 minutes in the future")
    if us < _EARLIEST_US:
        raise _Refused("timestamp is before 2000-01-01")
    ts = ctx.times[raw] = _EPOCH + timedelta(0, 0, us)  # positional: much faster
    return ts


def _too_many_fields(limit: int) -> str:
    return f"more than {limit} fields: at most {limit} per line"


def _shown(text: str) -> str:
    """Input quoted back in a message, cut short so a huge value cannot flood the reply."""
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
