"""A site's operating hours, written as text, and its time zone: pure parsing and checks.

The text is a list of parts separated by ";", each days then a span of time:

    Mon-Fri 06:00-22:00; Sat 06:00-14:00
    Mon,Wed,Fri 08:00-12:00; Sun 22:00-06:00

Days are Mon..Sun, single or ranges (a range may wrap: "Fri-Mon"), joined by ","; a span is
HH:MM-HH:MM, its end may be 24:00, and an end at or before its start runs past midnight into
the next day. `parse_hours` returns spans of (weekday 0=Monday, start, end) local time, the
form `integration.checks.Check.hours` reads, each within one day (end exclusive; 24:00 is the
end of the day). The parser is linear in the text and capped (`MAX_CHARS`, `MAX_PARTS`);
each error names the part that is wrong.
"""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_CHARS = 500
MAX_PARTS = 28
END_OF_DAY = time.max
_PART = re.compile(r"([A-Za-z,\- ]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})")

Span = tuple[int, time, time]


class HoursError(ValueError):
    """The text is not operating hours; the message names the wrong part."""


def parse_hours(text: str) -> tuple[Span, ...]:
    """The spans the text describes, in order of weekday and start; () for an empty text."""
    text = (text or "").strip()
    if len(text) > MAX_CHARS:
        raise HoursError(f"Operating hours are at most {MAX_CHARS} characters.")
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if len(parts) > MAX_PARTS:
        raise HoursError(f"At most {MAX_PARTS} parts separated by ';'.")
    spans: set[Span] = set()
    for part in parts:
        spans.update(_part(part))
    return tuple(sorted(spans))


def _part(part: str) -> list[Span]:
    match = _PART.fullmatch(part)
    if match is None:
        raise HoursError(f"{part!r}: expected days then hours, like 'Mon-Fri 06:00-22:00'.")
    days_text, start_text, end_text = match.groups()
    days = _days(days_text.strip(), part)
    start = _time(start_text, part, end=False)
    end = _time(end_text, part, end=True)
    if start == end == time(0):
        end = END_OF_DAY  # 00:00-00:00: the whole day
    spans = []
    for day in days:
        if end == END_OF_DAY or end > start:
            spans.append((day, start, end))
        else:  # past midnight: the rest of the day, then the next morning
            spans.append((day, start, END_OF_DAY))
            if end != time(0):
                spans.append(((day + 1) % 7, time(0), end))
    return spans


def _days(text: str, part: str) -> list[int]:
    found: list[int] = []
    for item in text.replace(" ", "").split(","):
        ends = item.split("-")
        if len(ends) > 2 or not all(ends):
            raise HoursError(f"{part!r}: {item!r} is not a day or a range of days like Mon-Fri.")
        first, last = (_day(e, part) for e in (ends[0], ends[-1]))
        day = first
        while True:
            if day not in found:
                found.append(day)
            if day == last:
                break
            day = (day + 1) % 7
    return found


def _day(text: str, part: str) -> int:
    name = text.lower()
    for index, full in enumerate(FULL_DAYS):
        if name in (full[:3], full):
            return index
    raise HoursError(f"{part!r}: unknown day {text!r}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun.")


def _time(text: str, part: str, *, end: bool) -> time:
    hours, minutes = (int(n) for n in text.split(":"))
    if end and (hours, minutes) == (24, 0):
        return END_OF_DAY
    if hours > 23 or minutes > 59:
        raise HoursError(f"{part!r}: {text!r} is not a time of day (00:00 to 24:00).")
    return time(hours, minutes)


def check_timezone(name: str) -> str:
    """The IANA time zone name as given, or HoursError saying it is unknown."""
    name = (name or "").strip()
    if not name or len(name) > 64 or name not in _zones():
        raise HoursError(f"Unknown time zone {name!r}; use an IANA name like Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise HoursError(f"Unknown time zone {name!r}.") from error
    return name


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES
