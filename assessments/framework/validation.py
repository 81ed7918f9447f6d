"""Checks a framework's plain data (from YAML or a snapshot) against its schema.

The schema is a set of pydantic models; pydantic collects every problem with its place, and
`_message` words each one as "{source}: {path}: {problem}", so one upload shows all of its
mistakes at once. Checks across entries (a key used twice, the set of SAMR levels) read the raw
data, so they report beside the entries' own problems. `model.build_framework` turns the
checked data into a `Framework`; this module knows nothing of it. The entries' building blocks
are in `fields`, a criterion's checks in `checks`.
"""

from typing import Annotated, get_args, get_origin

from pydantic import (
    BaseModel,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WrapValidator,
)

from assessments.framework.checks import CheckEntry
from assessments.framework.fields import (
    CRITERIA_LEVELS,
    SAMR_LEVELS,
    FrameworkError,
    Key,
    Line,
    Record,
    Text,
    Version,
    choices_shown,
    excerpt,
    join_path,
    kind_name,
    problem,
    reference,
    samr_number,
)

# The collections


def _levels(numbers: range, word: str, entry) -> type:
    """A mapping keyed by exactly the numbers in `numbers` (`1:` in YAML, `"1":` in JSON), each
    to an `entry`, sorted by number. `word` names the numbers in messages: levels, steps."""
    span = f"{numbers[0]} to {numbers[-1]}"

    def number(raw) -> int:
        found = _level_number(raw)
        if found not in numbers:
            raise problem(f"{word[:-1]} must be {span}")
        return found

    def complete(value, handler) -> dict:
        found = handler(value)
        given = [_level_number(raw) for raw in value]  # 1: and "1": both name level 1
        twice = [n for n in found if given.count(n) > 1]
        if twice:
            raise problem(f"{word[:-1]} {twice[0]} given twice")
        missing = [str(n) for n in numbers if n not in found]
        if missing:
            raise problem(f"must define {word} {span}, missing {', '.join(missing)}")
        return dict(sorted(found.items()))

    return Annotated[dict[Annotated[int, PlainValidator(number)], entry], WrapValidator(complete)]


def _keyed(kind: str, entry) -> type:
    """A mapping with an `entry` for exactly each area or dimension the framework declares, in
    the order it declares them. Without any declared, there is nothing to check names against."""

    def name(raw, info: ValidationInfo):
        known = info.context[kind]
        if known and raw not in known:
            raise problem(f"unknown {kind} {excerpt(raw)}; expected one of {choices_shown(known)}")
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


class NamedEntry(Record):
    """An area, a responsibility or a benefit."""

    key: Key
    name: Line


class SamrEntry(Record):
    level: Annotated[object, PlainValidator(samr_number)]
    key: Key
    name: Line
    descriptor: Text


class CriterionEntry(Record):
    key: Key
    text: Text
    checks: _non_empty(CheckEntry) = []


class QuestionEntry(Record):
    key: Key
    text: Text
    levels: _levels(SAMR_LEVELS, "levels", Text)


class DimensionEntry(Record):
    key: Key
    name: Line
    description: Text
    questions: _non_empty(QuestionEntry)


class ActionEntry(Record):
    key: Key
    title: Line
    description: Text
    responsibility: Annotated[Text, reference("responsibility")]
    benefit: Annotated[Text, reference("benefit")]


class ActionsEntry(Record):
    transitions: _keyed("area", _levels(CRITERIA_LEVELS, "steps", _non_empty(ActionEntry)))
    readiness: _keyed("dimension", _non_empty(ActionEntry))


class FrameworkFile(Record):
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
        raise FrameworkError([f"{source}: top level: must be a mapping, got {kind_name(data)}"])
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
        return path, f"must be {EXPECTED[kind]}, got {kind_name(value)}"
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


def _level_number(raw) -> int | None:
    """1 from YAML's `1:` or JSON's `"1":`; None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 2:
        return int(raw)
    return None
