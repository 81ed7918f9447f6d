"""A criterion's checks in the framework's schema: their kinds, windows, thresholds and roles
(what each kind means, and how it is judged, is in docs/VERIFICATION.md and integration/checks.py).
"""

import math
import re
from datetime import timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    Strict,
    ValidationInfo,
)

from assessments.framework.fields import (
    NOT_IN_LINE,
    ROLE_MAX,
    Key,
    Line,
    Record,
    excerpt,
    kind_name,
    needed,
    problem,
    text_field,
)

CHECK_KINDS = ("freshness", "uptime", "aggregate", "both_directions", "heartbeat", "variation")
# Kinds whose threshold is a share of intervals or heartbeats, 0 to 1.
SHARE_KINDS = ("uptime", "both_directions", "heartbeat")
AGGREGATES = ("min", "max", "avg", "count", "last")
OPS = (">=", "<=")
# Kinds whose bound metric the facilitator picks, so a hint about which one helps.
METRIC_KINDS = ("aggregate", "variation")
WINDOW = re.compile(r"([0-9]{1,6})([mhd])")
WINDOW_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
WINDOW_MAX = timedelta(days=90)
GRACE_DAYS = 7
GRACE_DAYS_MAX = 90


def parse_window(value: str) -> timedelta:
    """A window such as "15m", "24h" or "7d" as a timedelta; ValueError if it is not one."""
    found = WINDOW.fullmatch(value)
    if not found:
        raise ValueError(value)
    return int(found[1]) * WINDOW_UNITS[found[2]]


def _a_check(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} check"


def _check_kind(value: str) -> str:
    if value not in CHECK_KINDS:
        raise problem(f"unknown kind {excerpt(value)}; expected one of {', '.join(CHECK_KINDS)}")
    return value


def _window(value: str) -> str:
    try:
        length = parse_window(value)
    except ValueError:
        raise problem(
            f'{excerpt(value)} is not a window; write minutes, hours or days, e.g. "15m", '
            '"24h", "7d"'
        ) from None
    if not length:
        raise problem("must be longer than 0")
    if length > WINDOW_MAX:
        raise problem(f"must be at most 90 days, got {excerpt(value)}")
    return value


def _threshold(value, info: ValidationInfo):
    """A finite number, in the range its check's kind allows (when the kind is known)."""
    if type(value) not in (int, float):  # not true/false, which YAML would read as 1 and 0
        raise problem(f"must be a number, got {kind_name(value)}")
    # An int is always finite (and may be too large for a float, as JSON allows).
    if isinstance(value, float) and not math.isfinite(value):
        raise problem(f"must be a finite number, got {excerpt(value)}")
    kind, window, shown = info.data.get("kind"), info.data.get("window"), excerpt(value)
    if kind in SHARE_KINDS and not 0 <= value <= 1:
        raise problem(f"{_a_check(kind)}'s threshold is a share from 0 to 1, got {shown}")
    if kind == "freshness":
        if value <= 0:
            raise problem(f"a freshness check's threshold is seconds above 0, got {shown}")
        if window and value > parse_window(window).total_seconds():
            raise problem(f"{shown} seconds is longer than the window {window}")
    if kind == "variation" and value <= 0:
        raise problem(f"a variation check's threshold must be above 0, got {shown}")
    return value


def _roles(value: list[str], info: ValidationInfo) -> list[str]:
    kind = info.data.get("kind")
    if kind is None:
        return value
    wanted = 2 if kind == "both_directions" else 1
    if len(value) != wanted:
        names = "two roles, one per direction" if wanted == 2 else "one role"
        raise problem(f"{_a_check(kind)} names {names}, got {len(value)}")
    if len(set(value)) < len(value):
        raise problem(f"the two directions need different roles, got {excerpt(value[0])} twice")
    return value


def _for_aggregate(choices: tuple[str, ...], what: str):
    """A field an aggregate check must have (one of `choices`) and no other kind may have."""

    def check(value, info: ValidationInfo):
        kind = info.data.get("kind")
        if value is None:
            if kind == "aggregate":
                raise needed(f"missing; an aggregate check needs {what}: {', '.join(choices)}")
            return None
        if kind not in (None, "aggregate"):
            raise problem(f"only an aggregate check has one, not {_a_check(kind)}")
        if value not in choices:
            raise problem(f"must be one of {', '.join(choices)}, got {excerpt(value)}")
        return value

    return PlainValidator(check)


def _only_for(kinds: tuple[str, ...]) -> AfterValidator:
    """A field that only the checks of `kinds` may set."""

    def check(value, info: ValidationInfo):
        kind = info.data.get("kind")
        if value and kind is not None and kind not in kinds:
            raise problem(f"only for {' or '.join(kinds)} checks, not {_a_check(kind)}")
        return value

    return AfterValidator(check)


def _grace_days(value) -> int:
    if type(value) is not int or not 0 <= value <= GRACE_DAYS_MAX:
        days = f"0 to {GRACE_DAYS_MAX}"
        raise problem(f"must be a whole number of days {days}, got {excerpt(value)}")
    return value


Role = Annotated[str, Strict(), text_field(ROLE_MAX, NOT_IN_LINE)]


class CheckEntry(Record):
    """A named test of live data that can show a criterion is met. Fields are checked in this
    order, so each can depend on the kind (and the threshold on the window)."""

    key: Key
    name: Line
    kind: Annotated[str, Strict(), AfterValidator(_check_kind)]
    window: Annotated[str, Strict(), AfterValidator(_window)]
    threshold: Annotated[object, PlainValidator(_threshold)]
    roles: Annotated[list[Role], AfterValidator(_roles)]
    aggregate: Annotated[object, _for_aggregate(AGGREGATES, "an aggregate")] = Field(
        None, validate_default=True
    )
    op: Annotated[object, _for_aggregate(OPS, "an op")] = Field(None, validate_default=True)
    operating_hours: Annotated[bool, _only_for(("aggregate",))] = False
    metric_hint: Annotated[Line, _only_for(METRIC_KINDS)] = None
    grace_days: Annotated[object, PlainValidator(_grace_days)] = GRACE_DAYS
