"""Checks a framework's plain data (from YAML or a snapshot) and builds the `Framework`.

Every problem is collected with its path, so one upload shows all of its mistakes at once.
"""

import re
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial

from assessments.framework.model import (
    CRITERIA_LEVELS,
    SAMR_LEVELS,
    Action,
    Area,
    Benefit,
    Criterion,
    Dimension,
    Framework,
    Question,
    Responsibility,
    SamrLevel,
)

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
EXCERPT_CHARS = 40
MAX_ERRORS = 20

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


def build_framework(data, source: str, *, stored: bool = False) -> Framework:
    """The framework in `data`, or FrameworkError listing every problem, each naming `source`.

    `stored` is for a framework this install already accepted: its structure is checked again,
    but not the limits on lengths and characters, which are newer than some stored frameworks
    (their columns bounded them already), so tightening them never breaks an assessment.
    """
    if not isinstance(data, dict):
        raise FrameworkError([f"{source}: top level: must be a mapping, got {_kind(data)}"])
    r = _Reader(source, stored=stored)
    r.mapping(data, "", TOP_FIELDS)
    framework_id = r.key(data.get("id"), "id")
    version = _read_version(r, data.get("version"))
    title = r.line(data.get("title"), "title")

    samr_levels = _read_samr_levels(r, data.get("samr_levels"))
    areas = _read_named(r, data.get("areas"), "areas", Area)
    responsibilities = _read_named(
        r, data.get("responsibilities"), "responsibilities", Responsibility
    )
    benefits = _read_named(r, data.get("benefits"), "benefits", Benefit)
    area_keys = _declared_keys(data.get("areas"))
    criteria = _read_criteria(r, data.get("criteria"), area_keys)
    dimensions = _read_dimensions(r, data.get("dimensions"))
    actions = _read_actions(
        r,
        data.get("actions"),
        area_keys=area_keys,
        dimension_keys=_declared_keys(data.get("dimensions")),
        responsibility_keys=_declared_keys(data.get("responsibilities")),
        benefit_keys=_declared_keys(data.get("benefits")),
    )
    if r.errors:
        raise FrameworkError(r.errors)
    return Framework(
        id=framework_id,
        version=version,
        title=title,
        samr_levels=samr_levels,
        areas=areas,
        criteria=criteria,
        responsibilities=responsibilities,
        benefits=benefits,
        dimensions=dimensions,
        actions=actions,
    )


class _Reader:
    """Checks one framework's plain data, collecting every problem with its path.

    The checks return the usable value, or None (or an empty collection) after noting why not.
    """

    def __init__(self, source: str, *, stored: bool = False):
        self.source = source
        self.stored = stored
        self.errors: list[str] = []
        self.keys: dict[str, str] = {}  # key -> path where it was first used

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{self.source}: {path}: {problem}")

    def mapping(self, value, path: str, fields: tuple[str, ...] = ()) -> dict | None:
        """The value if it is a mapping (whose names are only `fields`, when given)."""
        if value is None:
            self.fail(path, "missing")
            return None
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping, got {_kind(value)}")
            return None
        for name in value:
            if fields and name not in fields:
                self.fail(join_path(path, name), f"unknown field; expected {', '.join(fields)}")
        return value

    def record(self, value, path: str, **checks: Callable) -> dict | None:
        """A mapping of exactly these fields, each read by its check (`self.text`, ...);
        None unless every field is usable."""
        data = self.mapping(value, path, tuple(checks))
        if data is None:
            return None
        found = {
            name: check(data.get(name), join_path(path, name)) for name, check in checks.items()
        }
        return found if all(found.values()) else None

    def each(self, value, path: str) -> Iterator[tuple[str, object]]:
        """Each item of a non-empty list, with its path; nothing (after noting why) otherwise."""
        if value is None:
            self.fail(path, "missing")
        elif not isinstance(value, list):
            self.fail(path, f"must be a list, got {_kind(value)}")
        elif not value:
            self.fail(path, "must not be empty")
        else:
            for index, item in enumerate(value):
                yield f"{path}[{index}]", item

    def text(
        self, value, path: str, max_length: int = TEXT_MAX, forbidden: re.Pattern = NOT_IN_TEXT
    ) -> str | None:
        """The value if it is a non-blank string, stripped, of at most `max_length` characters
        and none of the `forbidden` ones."""
        if value is None:
            self.fail(path, "missing")
        elif not isinstance(value, str):
            self.fail(path, f"must be a string, got {_kind(value)}")
        elif not value.strip():
            self.fail(path, "must not be empty")
        elif self.stored:
            return value.strip()
        elif len(value.strip()) > max_length:
            self.fail(path, f"must be at most {max_length} characters, got {len(value.strip())}")
        elif found := forbidden.search(value.strip()):
            self.fail(path, f"must not contain the control character {found[0]!r}")
        else:
            return value.strip()
        return None

    def line(self, value, path: str) -> str | None:
        """A title or a name: a short text on one line."""
        return self.text(value, path, LINE_MAX, NOT_IN_LINE)

    def key(self, value, path: str) -> str | None:
        """A slug not used anywhere else in the framework."""
        key = self.text(value, path, KEY_MAX)
        if key is None:
            return None
        if not SLUG.fullmatch(key):
            self.fail(path, f"{excerpt(key)} is not a slug (lowercase letters, digits and hyphens)")
            return None
        if key in self.keys:
            self.fail(path, f"duplicate key '{key}', already used at {self.keys[key]}")
            return None
        self.keys[key] = path
        return key

    def reference(self, value, path: str, known: list[str], kind: str) -> str | None:
        """A key that must name one of `known`."""
        key = self.text(value, path)
        if key is not None and known and key not in known:
            self.fail(path, f"unknown {kind} {excerpt(key)}; expected one of {_choices(known)}")
            return None
        return key

    def levels(self, value, path: str, expected: range, word: str = "levels") -> dict:
        """A mapping keyed by exactly the numbers in `expected`, sorted by number."""
        data = self.mapping(value, path)
        if data is None:
            return {}
        found = {}
        for raw, item in data.items():
            number = _level_number(raw)
            if number not in expected:
                self.fail(
                    join_path(path, raw), f"{word[:-1]} must be {expected[0]} to {expected[-1]}"
                )
            elif number in found:
                self.fail(join_path(path, raw), f"{word[:-1]} {number} given twice")
            else:
                found[number] = item
        missing = [str(number) for number in expected if number not in found]
        if missing:
            span = f"{expected[0]} to {expected[-1]}"
            self.fail(path, f"must define {word} {span}, missing {', '.join(missing)}")
        return dict(sorted(found.items()))

    def keyed(self, value, path: str, known: list[str], kind: str) -> dict:
        """A mapping with an entry for exactly each of `known` (areas or dimensions)."""
        data = self.mapping(value, path)
        if data is None or not known:  # without known keys, there is nothing to check against
            return {}
        for name in data:
            if name not in known:
                self.fail(
                    join_path(path, name),
                    f"unknown {kind} {excerpt(name)}; expected one of {_choices(known)}",
                )
        for name in known:
            if name not in data:
                self.fail(join_path(path, name), "missing")
        return {name: data[name] for name in known if name in data}

    def per_area_step(self, value, path: str, area_keys: list[str], word: str) -> Iterator:
        """(area, step, path, item) for the lists of an {area: {1-4: [...]}} mapping."""
        for area, by_step in self.keyed(value, path, area_keys, "area").items():
            where = f"{path}.{area}"
            for step, items in self.levels(by_step, where, CRITERIA_LEVELS, word).items():
                for item_path, item in self.each(items, f"{where}.{step}"):
                    yield area, step, item_path, item


def _read_named(r: _Reader, value, path: str, cls) -> tuple:
    """A list of {key, name} objects: areas, responsibilities, benefits."""
    found = (r.record(item, where, key=r.key, name=r.line) for where, item in r.each(value, path))
    return tuple(cls(**fields) for fields in found if fields)


def _read_samr_levels(r: _Reader, value) -> tuple[SamrLevel, ...]:
    found = {}
    seen = set()
    for where, item in r.each(value, "samr_levels"):
        data = r.mapping(item, where, ("level", "key", "name", "descriptor"))
        if data is None:
            continue
        level = data.get("level")
        key = r.key(data.get("key"), f"{where}.key")
        name = r.line(data.get("name"), f"{where}.name")
        descriptor = r.text(data.get("descriptor"), f"{where}.descriptor")
        if level is None:
            r.fail(f"{where}.level", "missing")
        elif type(level) is not int or level not in SAMR_LEVELS:
            r.fail(f"{where}.level", f"must be a whole number 0 to 4, got {excerpt(level)}")
        elif level in seen:
            r.fail(f"{where}.level", f"level {level} given twice")
        else:
            seen.add(level)
            if key and name and descriptor:
                found[level] = SamrLevel(level=level, key=key, name=name, descriptor=descriptor)
    missing = [str(level) for level in SAMR_LEVELS if level not in seen]
    if missing and isinstance(value, list) and value:  # else the list itself was reported
        r.fail("samr_levels", f"must define levels 0 to 4, missing {', '.join(missing)}")
    return tuple(found[level] for level in sorted(found))


def _read_criteria(r: _Reader, value, area_keys: list[str]) -> tuple[Criterion, ...]:
    found = []
    for area, level, where, item in r.per_area_step(value, "criteria", area_keys, "levels"):
        fields = r.record(item, where, key=r.key, text=r.text)
        if fields:
            found.append(Criterion(area=area, level=level, **fields))
    return tuple(found)


def _read_dimensions(r: _Reader, value) -> tuple[Dimension, ...]:
    found = []
    for where, item in r.each(value, "dimensions"):
        fields = r.record(
            item,
            where,
            key=r.key,
            name=r.line,
            description=r.text,
            questions=partial(_read_questions, r),
        )
        if fields:
            key = fields["key"]
            fields["questions"] = tuple(Question(dimension=key, **q) for q in fields["questions"])
            found.append(Dimension(**fields))
    return tuple(found)


def _read_questions(r: _Reader, value, path: str) -> list[dict]:
    """Each usable question's key, text and levels; the dimension adds its own key."""
    found = (
        r.record(item, where, key=r.key, text=r.text, levels=partial(_read_answers, r))
        for where, item in r.each(value, path)
    )
    return [fields for fields in found if fields]


def _read_answers(r: _Reader, value, path: str) -> dict[int, str | None]:
    """A question's answer text for each SAMR level."""
    return {
        level: r.text(answer, f"{path}.{level}")
        for level, answer in r.levels(value, path, SAMR_LEVELS).items()
    }


def _read_actions(
    r: _Reader, value, *, area_keys, dimension_keys, responsibility_keys, benefit_keys
) -> tuple[Action, ...]:
    data = r.mapping(value, "actions", ("transitions", "readiness"))
    if data is None:
        return ()

    def action(item, where: str) -> dict | None:
        return r.record(
            item,
            where,
            key=r.key,
            title=r.line,
            description=r.text,
            responsibility=partial(r.reference, known=responsibility_keys, kind="responsibility"),
            benefit=partial(r.reference, known=benefit_keys, kind="benefit"),
        )

    found = []
    transitions = r.per_area_step(
        data.get("transitions"), "actions.transitions", area_keys, "steps"
    )
    for area, step, where, item in transitions:
        fields = action(item, where)
        if fields:
            found.append(Action(**fields, area=area, step=step))
    readiness = r.keyed(data.get("readiness"), "actions.readiness", dimension_keys, "dimension")
    for dimension, items in readiness.items():
        for where, item in r.each(items, f"actions.readiness.{dimension}"):
            fields = action(item, where)
            if fields:
                found.append(Action(**fields, dimension=dimension))
    return tuple(found)


def _declared_keys(value) -> list[str]:
    """The keys a list declares even if its items have other problems, so one mistake in an
    area or a benefit is reported once, not again at every place that refers to it."""
    if not isinstance(value, list):
        return []
    return [
        item["key"] for item in value if isinstance(item, dict) and type(item.get("key")) is str
    ]


def _read_version(r: _Reader, value) -> str | None:
    if _is_number(value):
        r.fail("version", f'must be a string; quote it, e.g. version: "{excerpt(value)}"')
        return None
    version = r.text(value, "version", VERSION_MAX, NOT_IN_LINE)
    if version is not None and not r.stored and not VERSION.fullmatch(version):
        r.fail(
            "version",
            f"{excerpt(version)} may hold only letters, digits, dots, hyphens and underscores",
        )
        return None
    return version


def _choices(known: list[str]) -> str:
    """The first few of the keys a value may take, for a message."""
    shown = ", ".join(known[:10])
    return f"{shown}, …" if len(known) > 10 else shown


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "nothing"
    if _is_number(value):
        return "a number"
    return kinds.get(type(value), type(value).__name__)


def _level_number(raw) -> int | None:
    """1 from YAML's `1:` or JSON's `"1":`; None for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 2:
        return int(raw)
    return None
