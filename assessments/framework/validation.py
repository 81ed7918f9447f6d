"""Checks a framework's plain data (from YAML or a snapshot) against its schema.

The schema is a set of pydantic models; pydantic collects every problem with its place, and
`_message` words each one as "{source}: {path}: {problem}", so one upload shows all of its
mistakes at once. Checks across entries (a key used twice, the set of SAMR levels) read the raw
data, so they report beside the entries' own problems. `model.build_framework` turns the
checked data into a `Framework`; this module knows nothing of it.
"""

import math
import re
from datetime import date, timedelta
from typing import Annotated, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    ValidationInfo,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

SAMR_LEVELS = range(0, 5)
# Level 0 (manual) is the floor: criteria start at 1, and step N is the move from N-1 to N.
CRITERIA_LEVELS = range(1, 5)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Lengths fit the columns the values land in: a key in Process.area (40), the version and the
# title in FrameworkVersion (30, 200), an action's title in Milestone.title (200).
KEY_MAX = 40
VERSION_MAX = 30
LINE_MAX = 200
TEXT_MAX = 2000
# A line (a title, a name) is one line of text; a text may also hold tabs and line breaks.
# Neither may hold other control characters or lone surrogates, which break the database
# (PostgreSQL refuses NUL) or the page encoding.
NOT_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
# A check's role names the part a bound integration plays ("orders ERP→MES"): short, like a label.
ROLE_MAX = 80
EXCERPT_CHARS = 40
MAX_ERRORS = 20


class FrameworkError(ValueError):
    """A framework that cannot be used; each message names the file, the place and the problem."""

    def __init__(self, errors: list[str]):
        # Cut short: a hostile file can have a problem in every one of its thousands of values.
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], f"… and {len(errors) - MAX_ERRORS} more problems"]
        self.errors = errors
        super().__init__("\n".join(errors))


def excerpt(value) -> str:
    """Untrusted input as a message quotes it: a string's first characters, a number, or the
    kind of value. Never the whole repr(): an alias bomb makes that hundreds of megabytes."""
    if isinstance(value, str):
        shown = repr(value[:EXCERPT_CHARS])
        return f"{shown}…" if len(value) > EXCERPT_CHARS else shown
    if isinstance(value, int | float | date):  # a bool is an int, a datetime a date
        return str(value)[:EXCERPT_CHARS]
    return _kind(value)


def join_path(path: str, name) -> str:
    """The path to a mapping's entry; a name from the file is quoted unless it is plain."""
    if not (isinstance(name, str) and PLAIN_NAME.fullmatch(name)):
        name = excerpt(name)
    return f"{path}.{name}" if path else name


def _problem(text: str) -> PydanticCustomError:
    """Our own check's problem, worded as the message shows it."""
    return PydanticCustomError("problem", "{problem}", {"problem": text})


def _needed(text: str) -> PydanticCustomError:
    """A field left out that another field makes necessary: reported with its reason, where a
    plain absence says only "missing"."""
    return PydanticCustomError("needed", "{problem}", {"problem": text})


# The values


def _text(max_length: int, forbidden: re.Pattern) -> AfterValidator:
    """Stripped and not blank; for a new framework also short enough and free of `forbidden`
    characters (a stored one was accepted before those limits, see `validate_framework`)."""

    def check(value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value:
            raise _problem("must not be empty")
        if info.context["stored"]:
            return value
        if len(value) > max_length:
            raise _problem(f"must be at most {max_length} characters, got {len(value)}")
        if found := forbidden.search(value):
            raise _problem(f"must not contain the control character {found[0]!r}")
        return value

    return AfterValidator(check)


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise _problem(f"{excerpt(value)} is not a slug (lowercase letters, digits and hyphens)")
    return value


def _unquoted_version(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _problem(f'must be a string; quote it, e.g. version: "{excerpt(value)}"')
    return value


def _version_characters(value: str, info: ValidationInfo) -> str:
    if not info.context["stored"] and not VERSION.fullmatch(value):
        raise _problem(
            f"{excerpt(value)} may hold only letters, digits, dots, hyphens and underscores"
        )
    return value


def _samr_number(value) -> int:
    if type(value) is not int or value not in SAMR_LEVELS:
        raise _problem(f"must be a whole number 0 to 4, got {excerpt(value)}")
    return value


def _reference(kind: str) -> AfterValidator:
    """A key that must name one of the framework's `kind`s (responsibility, benefit)."""

    def check(value: str, info: ValidationInfo) -> str:
        known = info.context[kind]
        if known and value not in known:
            raise _problem(f"unknown {kind} {excerpt(value)}; expected one of {_choices(known)}")
        return value

    return AfterValidator(check)


Text = Annotated[str, Strict(), _text(TEXT_MAX, NOT_IN_TEXT)]
Line = Annotated[str, Strict(), _text(LINE_MAX, NOT_IN_LINE)]
Key = Annotated[str, Strict(), _text(KEY_MAX, NOT_IN_TEXT), AfterValidator(_slug)]
Version = Annotated[
    str,
    Strict(),
    BeforeValidator(_unquoted_version),
    _text(VERSION_MAX, NOT_IN_LINE),
    AfterValidator(_version_characters),
]


# A criterion's checks: named tests of live data (see docs/VERIFICATION.md)

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
        raise _problem(f"unknown kind {excerpt(value)}; expected one of {', '.join(CHECK_KINDS)}")
    return value


def _window(value: str) -> str:
    try:
        length = parse_window(value)
    except ValueError:
        raise _problem(
            f'{excerpt(value)} is not a window; write minutes, hours or days, e.g. "15m", '
            '"24h", "7d"'
        ) from None
    if not length:
        raise _problem("must be longer than 0")
    if length > WINDOW_MAX:
        raise _problem(f"must be at most 90 days, got {excerpt(value)}")
    return value


def _threshold(value, info: ValidationInfo):
    """A finite number, in the range its check's kind allows (when the kind is known)."""
    if type(value) not in (int, float):  # not true/false, which YAML would read as 1 and 0
        raise _problem(f"must be a number, got {_kind(value)}")
    # An int is always finite (and may be too large for a float, as JSON allows).
    if isinstance(value, float) and not math.isfinite(value):
        raise _problem(f"must be a finite number, got {excerpt(value)}")
    kind, window, shown = info.data.get("kind"), info.data.get("window"), excerpt(value)
    if kind in SHARE_KINDS and not 0 <= value <= 1:
        raise _problem(f"{_a_check(kind)}'s threshold is a share from 0 to 1, got {shown}")
    if kind == "freshness":
        if value <= 0:
            raise _problem(f"a freshness check's threshold is seconds above 0, got {shown}")
        if window and value > parse_window(window).total_seconds():
            raise _problem(f"{shown} seconds is longer than the window {window}")
    if kind == "variation" and value <= 0:
        raise _problem(f"a variation check's threshold must be above 0, got {shown}")
    return value


def _roles(value: list[str], info: ValidationInfo) -> list[str]:
    kind = info.data.get("kind")
    if kind is None:
        return value
    wanted = 2 if kind == "both_directions" else 1
    if len(value) != wanted:
        names = "two roles, one per direction" if wanted == 2 else "one role"
        raise _problem(f"{_a_check(kind)} names {names}, got {len(value)}")
    if len(set(value)) < len(value):
        raise _problem(f"the two directions need different roles, got {excerpt(value[0])} twice")
    return value


def _for_aggregate(choices: tuple[str, ...], what: str):
    """A field an aggregate check must have (one of `choices`) and no other kind may have."""

    def check(value, info: ValidationInfo):
        kind = info.data.get("kind")
        if value is None:
            if kind == "aggregate":
                raise _needed(f"missing; an aggregate check needs {what}: {', '.join(choices)}")
            return None
        if kind not in (None, "aggregate"):
            raise _problem(f"only an aggregate check has one, not {_a_check(kind)}")
        if value not in choices:
            raise _problem(f"must be one of {', '.join(choices)}, got {excerpt(value)}")
        return value

    return PlainValidator(check)


def _only_for(kinds: tuple[str, ...]) -> AfterValidator:
    """A field that only the checks of `kinds` may set."""

    def check(value, info: ValidationInfo):
        kind = info.data.get("kind")
        if value and kind is not None and kind not in kinds:
            raise _problem(f"only for {' or '.join(kinds)} checks, not {_a_check(kind)}")
        return value

    return AfterValidator(check)


def _grace_days(value) -> int:
    if type(value) is not int or not 0 <= value <= GRACE_DAYS_MAX:
        days = f"0 to {GRACE_DAYS_MAX}"
        raise _problem(f"must be a whole number of days {days}, got {excerpt(value)}")
    return value


Role = Annotated[str, Strict(), _text(ROLE_MAX, NOT_IN_LINE)]


# The collections


def _levels(numbers: range, word: str, entry) -> type:
    """A mapping keyed by exactly the numbers in `numbers` (`1:` in YAML, `"1":` in JSON), each
    to an `entry`, sorted by number. `word` names the numbers in messages: levels, steps."""
    span = f"{numbers[0]} to {numbers[-1]}"

    def number(raw) -> int:
        found = _level_number(raw)
        if found not in numbers:
            raise _problem(f"{word[:-1]} must be {span}")
        return found

    def complete(value, handler) -> dict:
        found = handler(value)
        given = [_level_number(raw) for raw in value]  # 1: and "1": both name level 1
        twice = [n for n in found if given.count(n) > 1]
        if twice:
            raise _problem(f"{word[:-1]} {twice[0]} given twice")
        missing = [str(n) for n in numbers if n not in found]
        if missing:
            raise _problem(f"must define {word} {span}, missing {', '.join(missing)}")
        return dict(sorted(found.items()))

    return Annotated[dict[Annotated[int, PlainValidator(number)], entry], WrapValidator(complete)]


def _keyed(kind: str, entry) -> type:
    """A mapping with an `entry` for exactly each area or dimension the framework declares, in
    the order it declares them. Without any declared, there is nothing to check names against."""

    def name(raw, info: ValidationInfo):
        known = info.context[kind]
        if known and raw not in known:
            raise _problem(f"unknown {kind} {excerpt(raw)}; expected one of {_choices(known)}")
        return raw

    def complete(value, handler, info: ValidationInfo) -> dict:
        known = info.context[kind]
        if isinstance(value, dict):  # an absent entry is reported as missing, at its place
            value = value | {key: None for key in known if key not in value}
        found = handler(value)
        return {key: found[key] for key in known} if known else found

    return Annotated[dict[Annotated[object, PlainValidator(name)], entry], WrapValidator(complete)]


def _non_empty(entry) -> type:
    return Annotated[list[entry], Field(min_length=1)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NamedEntry(_Record):
    """An area, a responsibility or a benefit."""

    key: Key
    name: Line


class SamrEntry(_Record):
    level: Annotated[object, PlainValidator(_samr_number)]
    key: Key
    name: Line
    descriptor: Text


class CheckEntry(_Record):
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


class CriterionEntry(_Record):
    key: Key
    text: Text
    checks: _non_empty(CheckEntry) = []


class QuestionEntry(_Record):
    key: Key
    text: Text
    levels: _levels(SAMR_LEVELS, "levels", Text)


class DimensionEntry(_Record):
    key: Key
    name: Line
    description: Text
    questions: _non_empty(QuestionEntry)


class ActionEntry(_Record):
    key: Key
    title: Line
    description: Text
    responsibility: Annotated[Text, _reference("responsibility")]
    benefit: Annotated[Text, _reference("benefit")]


class ActionsEntry(_Record):
    transitions: _keyed("area", _levels(CRITERIA_LEVELS, "steps", _non_empty(ActionEntry)))
    readiness: _keyed("dimension", _non_empty(ActionEntry))


class FrameworkFile(_Record):
    """A framework as its file writes it, checked. The sections are checked in this order (what
    is named before what names it); the file writes them in TOP_FIELDS' order."""

    id: Key
    version: Version
    title: Line
    samr_levels: _non_empty(SamrEntry)
    areas: _non_empty(NamedEntry)
    responsibilities: _non_empty(NamedEntry)
    benefits: _non_empty(NamedEntry)
    criteria: _keyed("area", _levels(CRITERIA_LEVELS, "levels", _non_empty(CriterionEntry)))
    dimensions: _non_empty(DimensionEntry)
    actions: ActionsEntry


TOP_FIELDS = (
    "id",
    "version",
    "title",
    "areas",
    "samr_levels",
    "criteria",
    "responsibilities",
    "benefits",
    "dimensions",
    "actions",
)
# What a value must be, by pydantic's error type for it.
EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
}


def validate_framework(data, source: str, *, stored: bool = False) -> FrameworkFile:
    """The checked framework in `data`, or FrameworkError listing every problem.

    `stored` is for a framework this install already accepted: its structure is checked again,
    but not the limits on lengths and characters, which are newer than some stored frameworks
    (their columns bounded them already), so tightening them never breaks an assessment.
    """
    if not isinstance(data, dict):
        raise FrameworkError([f"{source}: top level: must be a mapping, got {_kind(data)}"])
    context = {
        "stored": stored,
        "area": _declared_keys(data.get("areas")),
        "dimension": _declared_keys(data.get("dimensions")),
        "responsibility": _declared_keys(data.get("responsibilities")),
        "benefit": _declared_keys(data.get("benefits")),
    }
    try:
        found, errors = FrameworkFile.model_validate(data, context=context), []
    except ValidationError as exc:
        errors = [_message(error) for error in exc.errors(include_url=False)]
    # Checks across entries, on the raw data: so they report beside the entries' own problems.
    errors += _samr_level_problems(data.get("samr_levels"))
    errors += _repeated_keys(data, refused={path for path, _ in errors})
    if errors:
        raise FrameworkError([f"{source}: {path}: {problem}" for path, problem in errors])
    return found


def _message(error) -> tuple[str, str]:
    """Pydantic's error as (path, problem) in the words of a framework's messages."""
    loc, kind, value = error["loc"], error["type"], error.get("input")
    if loc[-1] == "[key]":  # a mapping's name was refused (by `_levels` or `_keyed`)
        return join_path(_path(loc[:-2])[0], value), error["ctx"]["problem"]
    path, parent = _path(loc[:-1])
    if kind in ("extra_forbidden", "invalid_key"):  # invalid_key: a name that is not a string
        fields = TOP_FIELDS if parent is FrameworkFile else parent.model_fields
        name = value if kind == "invalid_key" else loc[-1]
        return join_path(path, name), f"unknown field; expected {', '.join(fields)}"
    path = _step(path, parent, loc[-1])
    if kind == "needed":
        return path, error["ctx"]["problem"]
    if kind == "missing" or value is None:
        return path, "missing"
    if kind == "problem":
        return path, error["ctx"]["problem"]
    if kind == "too_short":
        return path, "must not be empty"
    if kind in EXPECTED:
        return path, f"must be {EXPECTED[kind]}, got {_kind(value)}"
    return path, error["msg"]  # pydantic's words (never the input) for the unforeseen


def _path(loc: tuple) -> tuple[str, type]:
    """The path to `loc` as messages write it, and the schema's type at that place."""
    path, kind = "", FrameworkFile
    for part in loc:
        path = _step(path, kind, part)
        kind = _inner(kind, part)
    return path, kind


def _step(path: str, kind, part) -> str:
    """A list's item is [index]; a mapping's entry (or a record's field) is .name."""
    return f"{path}[{part}]" if get_origin(kind) is list else join_path(path, part)


def _inner(kind, part):
    """The schema's type for `part` of a `kind`: a record's field, a list's or mapping's entry."""
    if _is_record(kind):
        field = kind.model_fields.get(part)
        return field and _bare(field.annotation)
    return _bare(get_args(kind)[-1])


def _is_record(kind) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _bare(kind):
    """The type inside Annotated[...]."""
    return get_args(kind)[0] if get_origin(kind) is Annotated else kind


def _samr_level_problems(value) -> list[tuple[str, str]]:
    """Each of the levels 0 to 4 once; the levels that are not whole numbers 0 to 4, like the
    list that is not a list, are reported by the schema."""
    if not (isinstance(value, list) and value):
        return []
    problems = []
    seen = set()
    for index, item in enumerate(value):
        level = item.get("level") if isinstance(item, dict) else None
        if type(level) is int and level in SAMR_LEVELS:
            if level in seen:
                problems.append((f"samr_levels[{index}].level", f"level {level} given twice"))
            seen.add(level)
    missing = [str(level) for level in SAMR_LEVELS if level not in seen]
    if missing:
        problems.append(("samr_levels", f"must define levels 0 to 4, missing {', '.join(missing)}"))
    return problems


def _repeated_keys(data: dict, refused: set[str]) -> list[tuple[str, str]]:
    """Keys are unique across the whole framework, so a repeat names where the key was first
    used. A key already refused for its own sake is not counted."""
    used = {}
    problems = []
    for path, key in _keys(data, FrameworkFile, ""):
        if path in refused or not isinstance(key, str):
            continue
        key = key.strip()
        if key in used:
            problems.append((path, f"duplicate key '{key}', already used at {used[key]}"))
        else:
            used[key] = path
    return problems


def _keys(value, kind, path: str):
    """(path, key) for each key in raw data: the framework's id and every record's key field,
    in the schema's order, following the schema's shape as far as the data keeps to it."""
    if _is_record(kind) and isinstance(value, dict):
        entries = [(name, value[name]) for name in kind.model_fields if name in value]
    elif get_origin(kind) is list and isinstance(value, list):
        entries = enumerate(value)
    elif get_origin(kind) is dict and isinstance(value, dict):
        entries = value.items()
    else:
        return
    for name, item in entries:
        if name in ("id", "key") and _is_record(kind):
            yield join_path(path, name), item
        else:
            yield from _keys(item, _inner(kind, name), _step(path, kind, name))


def _declared_keys(value) -> dict[str, None]:
    """The keys a list declares even if its items have other problems, so one mistake in an
    area or a benefit is reported once, not again at every place that refers to it. A dict, for
    its order and quick look-ups."""
    if not isinstance(value, list):
        return {}
    return {
        item["key"]: None
        for item in value
        if isinstance(item, dict) and type(item.get("key")) is str
    }


def _choices(known: dict[str, None]) -> str:
    """The first few of the keys a value may take, for a message."""
    shown = ", ".join(list(known)[:10])
    return f"{shown}, …" if len(known) > 10 else shown


def _kind(value) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "nothing"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)


def _level_number(raw) -> int | None:
    """1 from YAML's `1:` or JSON's `"1":`; None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 2:
        return int(raw)
    return None
