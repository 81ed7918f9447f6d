"""Read an uploaded export into a checked plan of what to store; nothing is stored here."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.template.defaultfilters import filesizeformat

from accounts.models import User
from assessments import scoring
from assessments.exchange.export import FORMAT, VERSION
from assessments.exchange.validation import Checker, InvalidExport, kind, shown
from assessments.framework import Framework, FrameworkError
from assessments.models import STATUS_CHOICES, Assessment, Side

MAX_IMPORT_BYTES = 5 * 1024 * 1024
STATUSES = [value for value, _ in STATUS_CHOICES]


@dataclass
class Answer:
    assessor: str  # email, lower case
    value: object  # a status for criteria, 0-4 or None for readiness
    extra: dict  # rationale and evidence_url, or comment


@dataclass
class Agreement:
    value: object
    reason: str
    agreed_by: str | User | None  # an email in the file, a member once imported


@dataclass
class Answered:
    """What the file holds for one criterion or question side."""

    answers: list[Answer] = field(default_factory=list)
    agreement: Agreement | None = None


class QuestionSide(NamedTuple):
    question: str
    side: str

    def __str__(self):
        return f"{self.question} ({self.side})"


@dataclass
class ProcessPlan:
    name: str
    area: str
    site: str | None
    owner: str | None
    business_value: int
    description: str
    target_level: int | None
    rationale: str
    evidence: str
    criteria: dict[str, Answered]  # by criterion key


@dataclass
class Plan:
    """A checked export: everything `assessment_import` needs."""

    framework: dict  # key, version, title and data, as FrameworkVersion has them
    title: str
    assessed_on: date
    site: str | None
    processes: list[ProcessPlan]
    excluded: dict[str, str]  # dimension key -> reason
    readiness: dict[QuestionSide, Answered]


def export_parse(raw: bytes) -> object:
    """The data of an uploaded export file; InvalidExport when it is too big or not JSON."""
    if len(raw) > MAX_IMPORT_BYTES:
        size, limit = filesizeformat(len(raw)), filesizeformat(MAX_IMPORT_BYTES)
        raise InvalidExport([f"the file is {size}; the limit is {limit}"])
    return json_parse(raw)


def json_parse(raw: bytes, where: str = "") -> object:
    """JSON data of `raw`, or InvalidExport saying what is wrong (after `where`, e.g. a path)."""
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        problem = f"byte {exc.start} is not UTF-8 text"
    except json.JSONDecodeError as exc:
        problem = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except (ValueError, RecursionError) as exc:
        problem = str(exc)
    raise InvalidExport([f"{where}not a JSON file: {problem}"])


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def export_read(data) -> Plan:
    """The export checked against itself and its framework; InvalidExport lists every problem."""
    problem = _header_problem(data)
    if problem:
        raise InvalidExport([problem])
    check = Checker()
    definition, framework = _read_framework(check, data)
    title = assessed_on = site = None
    assessment = check.mapping(data, "assessment")
    if assessment is not None:
        title = check.text(assessment, "title", "assessment", blank=False, max_length=150)
        check.choice(assessment, "state", "assessment", Assessment.State.values)
        assessed_on = check.date(assessment, "assessed_on", "assessment")
        site = check.text(assessment, "site", "assessment", null=True)
    processes = _read_processes(check, data, definition)
    excluded = _read_excluded(check, data, definition, framework)
    readiness = _read_readiness(check, data, definition, framework)
    if check.errors:
        raise InvalidExport(check.errors)
    return Plan(
        framework=framework,
        title=title,
        assessed_on=assessed_on,
        site=site,
        processes=processes,
        excluded=excluded,
        readiness=readiness,
    )


def _header_problem(data) -> str | None:
    """Whether this is a Ladder export this version reads; nothing else is checked if not."""
    if not isinstance(data, dict):
        return f"top level: must be an object, got {kind(data)}"
    if "format" not in data:
        return f"format: missing; a Ladder assessment export says {FORMAT!r}"
    if data["format"] != FORMAT:
        return f"format: {shown(data['format'])} is not a Ladder assessment ({FORMAT!r})"
    if type(data.get("version")) is not int or data["version"] != VERSION:
        found = shown(data.get("version"))
        return f"version: {found} is not supported; this Ladder reads {VERSION}"
    return None


def _read_framework(check: Checker, data: dict) -> tuple[Framework | None, dict]:
    framework = check.mapping(data, "framework")
    if framework is None:
        return None, {}
    found = {
        "key": check.text(framework, "key", "framework", blank=False, max_length=60),
        "version": check.text(framework, "version", "framework", blank=False, max_length=30),
        "title": check.text(framework, "title", "framework", blank=False, max_length=200),
        "data": check.mapping(framework, "data", "framework"),
    }
    if found["data"] is None:
        return None, found
    try:
        definition = Framework.from_dict(found["data"], source="framework.data")
    except FrameworkError as exc:
        check.errors += exc.errors
        return None, found
    for name, field_name in (("key", "id"), ("version", "version")):
        value, expected = found[name], getattr(definition, field_name)
        if value is not None and value != expected:
            check.fail(
                f"framework.{name}",
                f"{shown(value)} differs from framework.data.{field_name} {shown(expected)}",
            )
    return definition, found


def _read_processes(check: Checker, data: dict, definition) -> list[ProcessPlan]:
    processes = [
        (path, _read_process(check, item, path, definition))
        for path, item in check.entries(data, "processes")
    ]
    seen = {}  # name -> path
    for path, process in processes:
        if process.name is not None and process.name in seen:
            check.fail(f"{path}.name", f"{shown(process.name)} is also {seen[process.name]}")
        else:
            seen[process.name] = path
    return [process for _, process in processes]


def _read_process(check: Checker, item: dict, where: str, definition) -> ProcessPlan:
    name = check.text(item, "name", where, blank=False, max_length=150)
    area = check.text(item, "area", where, blank=False)
    if area is not None and definition and not _has(definition.area, area):
        areas = ", ".join(a.key for a in definition.areas)
        check.fail(
            f"{where}.area",
            f"{shown(area)} is not an area of the framework; expected one of {areas}",
        )
        area = None
    keys = None  # unknown while the area or the framework is broken: nothing to check against
    if area is not None and definition:
        keys = {
            c.key for level in scoring.CRITERIA_LEVELS for c in definition.criteria_for(area, level)
        }

    def criterion(entry, path) -> str | None:
        key = check.text(entry, "key", path, blank=False)
        if key is not None and keys is not None and key not in keys:
            check.fail(f"{path}.key", f"{shown(key)} is not a criterion of the area {area}")
            return None
        return key

    def status(entry, path) -> str | None:
        return check.choice(entry, "status", path, STATUSES)

    return ProcessPlan(
        name=name,
        area=area,
        site=check.text(item, "site", where, null=True),
        owner=check.email(item, "owner", where, null=True),
        business_value=check.number(item, "business_value", where, scoring.BUSINESS_VALUES),
        description=check.text(item, "description", where),
        target_level=check.number(item, "target_level", where, scoring.LEVELS, null=True),
        rationale=check.text(item, "rationale", where),
        evidence=check.text(item, "evidence", where),
        criteria=_read_answered(
            check,
            item,
            where,
            ("criteria", "agreements"),
            criterion,
            status,
            rationale=check.text,
            evidence_url=check.url,
        ),
    )


def _read_excluded(check: Checker, data: dict, definition, framework) -> dict[str, str]:
    excluded = {}
    for path, item in check.entries(data, "excluded_dimensions"):
        key = check.text(item, "key", path, blank=False)
        reason = check.text(item, "reason", path, max_length=300)
        if key is not None and definition and not _has(definition.dimension, key):
            check.fail(
                f"{path}.key", f"{shown(key)} is not a readiness dimension of {_name(framework)}"
            )
        elif key in excluded:
            check.fail(f"{path}.key", f"{shown(key)} is excluded twice")
        elif key is not None:
            excluded[key] = reason
    return excluded


def _read_readiness(check: Checker, data: dict, definition, framework) -> dict:
    def question_side(entry, path) -> QuestionSide | None:
        key = check.text(entry, "question", path, blank=False)
        side = check.choice(entry, "side", path, Side.values)
        if key is not None and definition and not _has(definition.question, key):
            check.fail(
                f"{path}.question",
                f"{shown(key)} is not a readiness question of {_name(framework)}",
            )
            return None
        return None if key is None or side is None else QuestionSide(key, side)

    def score(entry, path) -> int | None:
        return check.number(entry, "value", path, scoring.READINESS_SCORES, null=True)

    return _read_answered(
        check,
        data,
        "",
        ("readiness_answers", "readiness_agreements"),
        question_side,
        score,
        comment=check.text,
    )


def _read_answered(check: Checker, data, path, lists, key_of, value_of, **extras) -> dict:
    """Criteria or question sides with their answers (one per assessor) and agreement.

    `lists` names the answers and the agreements in `data`; `key_of` and `value_of` read an
    entry's criterion or question side and its answer; `extras` reads the answers' other fields.
    """
    answers, agreements = lists
    answered = defaultdict(Answered)
    first = {}  # (key, assessor) -> where: one look-up per answer, however many there are
    for where, entry in check.entries(data, answers, path):
        key = key_of(entry, where)
        assessor = check.email(entry, "assessor", where)
        value = value_of(entry, where)
        extra = {name: read(entry, name, where) for name, read in extras.items()}
        if key is None or assessor is None:
            continue
        seen = first.setdefault((key, assessor), where)
        if seen != where:
            check.fail(where, f"a second answer by {assessor} to {key}; the first is {seen}")
        answered[key].answers.append(Answer(assessor, value, extra))
    for where, entry in check.entries(data, agreements, path):
        key = key_of(entry, where)
        agreement = Agreement(
            value=value_of(entry, where),
            reason=check.text(entry, "reason", where),
            agreed_by=check.email(entry, "agreed_by", where, null=True),
        )
        if key is None:
            continue
        if answered[key].agreement is not None:
            check.fail(where, f"a second agreement on {key}")
        else:
            answered[key].agreement = agreement
    return dict(answered)


def _has(lookup, key) -> bool:
    try:
        lookup(key)
    except KeyError:
        return False
    return True


def _name(framework: dict) -> str:
    return f"framework {framework['key']} {framework['version']}"
