"""Read an uploaded export into a checked plan of what to store; nothing is stored here."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.template.defaultfilters import filesizeformat

from accounts.models import User
from assessments import scoring
from assessments.exchange.export import FORMAT, READ_VERSIONS
from assessments.exchange.validation import (
    URL,
    Day,
    Entry,
    InvalidExport,
    choice,
    document_read,
    email,
    kind,
    shown,
    text,
    whole,
)
from assessments.framework.fields import FrameworkError
from assessments.framework.model import Framework
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


class FrameworkEntry(Entry):
    key: text(blank=False, max_length=60)
    version: text(blank=False, max_length=30)
    title: text(blank=False, max_length=200)
    data: dict


class AssessmentEntry(Entry):
    title: text(blank=False, max_length=150)
    state: choice(Assessment.State.values)
    assessed_on: Day
    site: text(null=True)


class CriterionAnswerEntry(Entry):
    key: text(blank=False)
    assessor: email()
    status: choice(STATUSES)
    rationale: text()
    evidence_url: URL


class CriterionAgreementEntry(Entry):
    key: text(blank=False)
    status: choice(STATUSES)
    reason: text()
    agreed_by: email(null=True)


class ProcessEntry(Entry):
    name: text(blank=False, max_length=150)
    area: text(blank=False)
    site: text(null=True)
    owner: email(null=True)
    business_value: whole(scoring.BUSINESS_VALUES)
    description: text()
    target_level: whole(scoring.LEVELS, null=True)
    rationale: text()
    evidence: text()
    criteria: list[CriterionAnswerEntry]
    agreements: list[CriterionAgreementEntry]


class ExcludedEntry(Entry):
    key: text(blank=False)
    reason: text(max_length=300)


class ReadinessAnswerEntry(Entry):
    question: text(blank=False)
    side: choice(Side.values)
    assessor: email()
    value: whole(scoring.READINESS_SCORES, null=True)
    comment: text()


class ReadinessAgreementEntry(Entry):
    question: text(blank=False)
    side: choice(Side.values)
    value: whole(scoring.READINESS_SCORES, null=True)
    reason: text()
    agreed_by: email(null=True)


class ExportDocument(Entry):
    """The export as `export_read` reads it; `figures` and `audit` are for people, not read."""

    framework: FrameworkEntry
    assessment: AssessmentEntry
    processes: list[ProcessEntry]
    excluded_dimensions: list[ExcludedEntry]
    readiness_answers: list[ReadinessAnswerEntry]
    readiness_agreements: list[ReadinessAgreementEntry]


def export_read(data) -> Plan:
    """The export checked against itself and its framework; InvalidExport lists every problem."""
    problem = _header_problem(data)
    if problem:
        raise InvalidExport([problem])
    document = document_read(ExportDocument, data)
    errors = []
    definition = _read_framework(errors, document.framework)
    processes = _read_processes(errors, document.processes, definition)
    excluded = _read_excluded(errors, document, definition)
    readiness = _read_readiness(errors, document, definition)
    if errors:
        raise InvalidExport(errors)
    return Plan(
        framework=document.framework.values(),
        title=document.assessment.title,
        assessed_on=document.assessment.assessed_on,
        site=document.assessment.site,
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
    if type(data.get("version")) is not int or data["version"] not in READ_VERSIONS:
        found = shown(data.get("version"))
        readable = " and ".join(map(str, READ_VERSIONS))
        return f"version: {found} is not supported; this Ladder reads {readable}"
    return None


def _read_framework(errors: list, entry: FrameworkEntry) -> Framework | None:
    try:
        definition = Framework.from_dict(entry.data, source="framework.data")
    except FrameworkError as exc:
        errors += exc.errors
        return None
    for name, field_name in (("key", "id"), ("version", "version")):
        value, expected = getattr(entry, name), getattr(definition, field_name)
        if value != expected:
            errors.append(
                f"framework.{name}: {shown(value)} differs from framework.data.{field_name} "
                f"{shown(expected)}"
            )
    return definition


def _read_processes(errors: list, entries: list[ProcessEntry], definition) -> list[ProcessPlan]:
    processes = []
    seen = {}  # name -> path
    for i, entry in enumerate(entries):
        path = f"processes[{i}]"
        if entry.name in seen:
            errors.append(f"{path}.name: {shown(entry.name)} is also {seen[entry.name]}")
        seen.setdefault(entry.name, path)
        processes.append(_read_process(errors, entry, path, definition))
    return processes


def _read_process(errors: list, entry: ProcessEntry, where: str, definition) -> ProcessPlan:
    area, keys = entry.area, None  # no keys while the framework is broken: nothing to check
    if definition and not _has(definition.area, area):
        areas = ", ".join(a.key for a in definition.areas)
        errors.append(
            f"{where}.area: {shown(area)} is not an area of the framework; expected one of {areas}"
        )
    elif definition:
        keys = {
            c.key for level in scoring.CRITERIA_LEVELS for c in definition.criteria_for(area, level)
        }

    def criterion(answer, path) -> str | None:
        if keys is not None and answer.key not in keys:
            errors.append(f"{path}.key: {shown(answer.key)} is not a criterion of the area {area}")
            return None
        return answer.key

    return ProcessPlan(
        **entry.values("criteria", "agreements"),
        criteria=_read_answered(
            errors,
            (f"{where}.criteria", entry.criteria),
            (f"{where}.agreements", entry.agreements),
            criterion,
            "status",
            ("rationale", "evidence_url"),
        ),
    )


def _read_excluded(errors: list, document: ExportDocument, definition) -> dict[str, str]:
    excluded = {}
    for i, entry in enumerate(document.excluded_dimensions):
        path, key = f"excluded_dimensions[{i}].key", entry.key
        if definition and not _has(definition.dimension, key):
            errors.append(
                f"{path}: {shown(key)} is not a readiness dimension of {_name(document.framework)}"
            )
        elif key in excluded:
            errors.append(f"{path}: {shown(key)} is excluded twice")
        else:
            excluded[key] = entry.reason
    return excluded


def _read_readiness(errors: list, document: ExportDocument, definition) -> dict:
    def question_side(entry, path) -> QuestionSide | None:
        if definition and not _has(definition.question, entry.question):
            errors.append(
                f"{path}.question: {shown(entry.question)} is not a readiness question of "
                f"{_name(document.framework)}"
            )
            return None
        return QuestionSide(entry.question, entry.side)

    return _read_answered(
        errors,
        ("readiness_answers", document.readiness_answers),
        ("readiness_agreements", document.readiness_agreements),
        question_side,
        "value",
        ("comment",),
    )


def _read_answered(errors: list, answers, agreements, key_of, value: str, extras) -> dict:
    """Criteria or question sides with their answers (one per assessor) and agreement.

    `answers` and `agreements` are (path, entries); `key_of(entry, path)` is an entry's
    criterion or question side (None when it is not one); `value` names the answer's field and
    `extras` the answers' other fields.
    """
    answered = defaultdict(Answered)
    first = {}  # (key, assessor) -> where: one look-up per answer, however many there are
    where, entries = answers
    for i, entry in enumerate(entries):
        path, key = f"{where}[{i}]", key_of(entry, f"{where}[{i}]")
        if key is None:
            continue
        seen = first.setdefault((key, entry.assessor), path)
        if seen != path:
            errors.append(
                f"{path}: a second answer by {entry.assessor} to {key}; the first is {seen}"
            )
        extra = {name: getattr(entry, name) for name in extras}
        answered[key].answers.append(Answer(entry.assessor, getattr(entry, value), extra))
    where, entries = agreements
    for i, entry in enumerate(entries):
        path, key = f"{where}[{i}]", key_of(entry, f"{where}[{i}]")
        if key is None:
            continue
        if answered[key].agreement is not None:
            errors.append(f"{path}: a second agreement on {key}")
        else:
            agreed = Agreement(getattr(entry, value), entry.reason, entry.agreed_by)
            answered[key].agreement = agreed
    return dict(answered)


def _has(lookup, key) -> bool:
    try:
        lookup(key)
    except KeyError:
        return False
    return True


def _name(framework: FrameworkEntry) -> str:
    return f"framework {framework.key} {framework.version}"
