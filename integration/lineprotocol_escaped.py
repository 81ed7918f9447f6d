"""The line protocol parser's general path: lines with backslash escapes or string fields.

:mod:`integration.lineprotocol` sends here each line holding a backslash or a double quote; a
scanner reads it character by character, unescaping names and skipping string values (bar
``_quality``). Split out of ``lineprotocol.py`` only for size: the hot path (plain lines, and the
value and timestamp readers they call on every line) stays there, and this module imports them
from it, never the other way round at import time.
"""

from __future__ import annotations

from integration import quality
from integration.lineprotocol import (
    _BOOLS,
    _QUALITY_CHOICES,
    Point,
    _add_tag,
    _Context,
    _number,
    _Refused,
    _shown,
    _timestamp,
    _too_many_fields,
    _tuple_new,
)

_NAME_ESCAPES = frozenset(",= \\")
_MEASUREMENT_ESCAPES = frozenset(", \\")
_STRING_ESCAPES = frozenset('"\\')


def _scan(line: str, i: int, stops: str, escapes: frozenset[str]) -> tuple[str, int]:
    """Read from ``i`` to the first unescaped character in ``stops`` (or the end).

    A backslash before a character in ``escapes`` escapes it (so ``\\\\`` is one backslash);
    before anything else it is a literal backslash, as in InfluxDB.
    """
    out: list[str] = []
    n = len(line)
    start = i
    while i < n:
        char = line[i]
        if char == "\\" and i + 1 < n and line[i + 1] in escapes:
            out.append(line[start:i])
            start = i + 1  # keep the escaped character, drop the backslash
            i += 2
        elif char in stops:
            break
        else:
            i += 1
    out.append(line[start:i])
    return "".join(out), i


def parse_escaped(line: str, ctx: _Context, points: list[Point]) -> None:
    """Append the points of one stripped, non-comment line to ``points``, or raise ``_Refused``.

    Reads any valid line, and refuses an invalid one with the message ``_parse_plain`` gives.
    """
    n = len(line)
    measurement, i = _scan(line, 0, ", ", _MEASUREMENT_ESCAPES)
    if not measurement:
        raise _Refused("missing measurement")
    tags: dict[str, str] = {}
    while i < n and line[i] == ",":
        name, i = _scan(line, i + 1, ",= ", _NAME_ESCAPES)
        eq = ""
        value = ""
        if i < n and line[i] == "=":
            eq = "="
            value, i = _scan(line, i + 1, ",= ", _NAME_ESCAPES)
            if i < n and line[i] == "=":
                raise _Refused(f"unescaped '=' in the value of tag '{_shown(name)}'")
        _add_tag(tags, name, eq, value)
    labels = tuple(sorted(tags.items()))

    while i < n and line[i] == " ":
        i += 1
    if i >= n:
        raise _Refused("missing fields")

    values: list[tuple[str, float]] = []
    names: set[str] = set()
    given = None  # the line's `_quality`, when it has one
    max_fields = ctx.max_fields
    while True:
        if len(names) == max_fields:  # another field follows: refuse before reading it
            raise _Refused(_too_many_fields(max_fields))
        name, i = _scan(line, i, ",= ", _NAME_ESCAPES)
        if not name:
            missing_key = i < n and line[i] == "="
            raise _Refused("missing field key" if missing_key else "empty field in the field set")
        if name in names:
            raise _Refused(f"duplicate field '{_shown(name)}'")
        names.add(name)
        if i >= n or line[i] != "=":
            raise _Refused(f"missing value for field '{_shown(name)}'")
        i += 1
        if i < n and line[i] == '"':
            start = i
            i = _skip_string(line, i, name)
            if name == quality.FIELD:
                given = _quality(line[start + 1 : i - 1])
        elif name == quality.FIELD:
            raise _Refused(_QUALITY_CHOICES)
        else:
            start = i
            while i < n and line[i] != "," and line[i] != " ":
                i += 1
            raw = line[start:i]
            if not raw:
                raise _Refused(f"missing value for field '{_shown(name)}'")
            if "\\" in raw or '"' in raw:
                raise _Refused(f"invalid field value '{_shown(raw)}' for field '{_shown(name)}'")
            value = _BOOLS.get(raw)
            values.append((name, _number(raw, name) if value is None else value))
        if i < n and line[i] == ",":
            i += 1
            continue
        break

    rest = [part for part in line[i:].split(" ") if part]
    if len(rest) > 1:
        raise _Refused("unexpected text after the timestamp")
    ts = _timestamp(rest[0], ctx) if rest else ctx.now
    prefix = measurement + "."
    for name, value in values:
        points.append(_tuple_new(Point, (prefix + name, labels, ts, value, given)))


def _quality(text: str) -> str | None:
    """The quality a line's `_quality` string field gives its points (None for good)."""
    if text not in quality.QUALITIES:
        raise _Refused(_QUALITY_CHOICES)
    return None if text == quality.GOOD else text


def _skip_string(line: str, i: int, name: str) -> int:
    """Index just after the string field value opening at ``line[i]`` (a double quote)."""
    n = len(line)
    i += 1
    while i < n:
        char = line[i]
        if char == "\\" and i + 1 < n and line[i + 1] in _STRING_ESCAPES:
            i += 2
        elif char == '"':
            i += 1
            if i < n and line[i] != "," and line[i] != " ":
                raise _Refused(f"unexpected text after the string of field '{_shown(name)}'")
            return i
        else:
            i += 1
    raise _Refused(f"unterminated string value for field '{_shown(name)}'")
