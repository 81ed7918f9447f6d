"""Export an assessment (JSON, CSV, XLSX) and import a JSON export into any organisation.

The JSON export is complete and versioned: the framework snapshot, the processes in scope with
every assessor's answers and the agreed ones, the readiness answers, and the figures of
`assessment_figures()` rounded with `round_figure()`. The CSV and XLSX files show the same
figures for spreadsheet users. `assessment_import()` recreates a JSON export as a draft that
gives the same figures, in this organisation or another one.
"""

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from accounts.models import Site, User
from assessments import scoring
from assessments.figures import AssessmentFigures, assessment_figures
from assessments.framework import Framework, FrameworkError, default_framework
from assessments.models import (
    STATUS_CHOICES,
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
    Side,
)
from assessments.scoring import Settlement, round_figure

FORMAT = "ladder-assessment"
VERSION = 1
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 20
IMPORTED_SUFFIX = " (imported)"
STATUSES = [value for value, _ in STATUS_CHOICES]
STATUS_LABELS = dict(STATUS_CHOICES)
SIDE_LABELS = dict(Side.choices)
ASSESSOR_COLUMNS = object()  # placeholder in a column list: one column per assessor


class InvalidExport(ValueError):
    """A file that cannot be imported; each message says where in the file and what is wrong."""

    def __init__(self, errors: list[str]):
        if len(errors) > MAX_ERRORS_SHOWN:
            more = len(errors) - MAX_ERRORS_SHOWN
            errors = [*errors[:MAX_ERRORS_SHOWN], f"… and {more} more problem{'s' * (more > 1)}"]
        self.errors = errors
        super().__init__("\n".join(errors))


# --- JSON export -----------------------------------------------------------------------------


def assessment_export(*, assessment: Assessment, now=None) -> dict:
    """The whole assessment as JSON-able data, figures included; `assessment_import` reads it."""
    figures = assessment_figures(assessment)
    users = _users_of(figures)
    framework = assessment.framework
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (now or timezone.now()).isoformat(),
        "organization": assessment.organization.name,
        "framework": {
            "key": framework.key,
            "version": framework.version,
            "title": framework.title,
            "data": framework.data,
        },
        "assessment": {
            "title": assessment.title,
            "state": assessment.state,
            "assessed_on": assessment.assessed_on.isoformat(),
            "site": assessment.site.name if assessment.site else None,
        },
        "processes": [_process_data(result, users) for result in figures.processes],
        "excluded_dimensions": [
            {"key": d.dimension.key, "reason": d.excluded_reason}
            for d in figures.dimensions
            if not d.in_scope
        ],
        "readiness_answers": [
            {
                "question": q.question.key,
                "side": side,
                "assessor": answer.assessor.email,
                "value": answer.value,
                "comment": answer.comment,
            }
            for d in figures.dimensions
            for q in d.questions
            for side in Side.values
            for answer in _by_assessor(q.answers.get(side, []))
        ],
        "readiness_agreements": [
            {
                "question": q.question.key,
                "side": side,
                "value": q.agreements[side].value,
                "reason": q.agreements[side].reason,
                "agreed_by": _email(users, q.agreements[side].agreed_by_id),
            }
            for d in figures.dimensions
            for q in d.questions
            for side in Side.values
            if side in q.agreements
        ],
        "figures": figures_data(figures),
    }


def figures_data(figures: AssessmentFigures) -> dict:
    """The computed figures as the export shows them: rounded with `round_figure()`."""
    return {
        "samr_index": round_figure(figures.samr_index),
        "target_index": round_figure(figures.target_index),
        "distribution": {str(level): n for level, n in figures.distribution.items()},
        "overall_readiness": round_figure(figures.overall_readiness),
        "convergence_gap": round_figure(figures.convergence_gap),
        "settled": figures.settled,
        "total": figures.total,
        "progress": figures.progress,
        "processes": [
            {
                "name": p.process.name,
                "business_value": p.process.business_value,
                "current": p.current,
                "target": p.target,
                "gap": p.gap,
                "gap_weight": p.gap_weight,
            }
            for p in figures.processes
        ],
        "dimensions": [
            {
                "key": d.dimension.key,
                "name": d.dimension.name,
                "in_scope": d.in_scope,
                "it": round_figure(d.figures.it),
                "ot": round_figure(d.figures.ot),
                "combined": round_figure(d.figures.combined),
                "gap": round_figure(d.figures.gap),
            }
            for d in figures.dimensions
        ],
    }


def _process_data(result, users) -> dict:
    process, score = result.process, result.score
    return {
        "name": process.name,
        "area": process.area,
        "site": process.site.name if process.site else None,
        "owner": _email(users, process.owner_id),
        "business_value": process.business_value,
        "description": process.description,
        "target_level": score.target_level,
        "rationale": score.rationale,
        "evidence": score.evidence,
        # Only the criteria of the process's area count, so only those travel.
        "criteria": [
            {
                "key": c.criterion.key,
                "assessor": answer.assessor.email,
                "status": answer.status,
                "rationale": answer.rationale,
                "evidence_url": answer.evidence_url,
            }
            for c in result.criteria
            for answer in _by_assessor(c.answers)
        ],
        "agreements": [
            {
                "key": c.criterion.key,
                "status": c.agreement.status,
                "reason": c.agreement.reason,
                "agreed_by": _email(users, c.agreement.agreed_by_id),
            }
            for c in result.criteria
            if c.agreement
        ],
    }


def _users_of(figures: AssessmentFigures) -> dict[int, User]:
    """Process owners and agreeing facilitators in one query (assessors come with answers)."""
    ids = {p.process.owner_id for p in figures.processes}
    ids |= {c.agreement.agreed_by_id for p in figures.processes for c in p.criteria if c.agreement}
    ids |= {
        a.agreed_by_id
        for d in figures.dimensions
        for q in d.questions
        for a in q.agreements.values()
    }
    return User.objects.in_bulk([pk for pk in ids if pk])


def _email(users, pk) -> str | None:
    return users[pk].email if pk in users else None


def _by_assessor(answers):
    return sorted(answers, key=lambda a: a.assessor.email)


# --- Spreadsheets ----------------------------------------------------------------------------


@dataclass
class Table:
    header: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


EXPORT_FORMATS = ("json", "csv", "xlsx")

CSV_COLUMNS = [
    "Section",
    "Process",
    "Area",
    "Level",
    "Criterion",
    "Dimension",
    "Question",
    "Side",
    "Key",
    "Agreed answer",
    "Settlement",
    "Reason",
    ASSESSOR_COLUMNS,
    "Target level",
    "Current level",
]
CRITERIA_COLUMNS = [
    "Process",
    "Area",
    "Level",
    "Key",
    "Criterion",
    "Agreed answer",
    "Settlement",
    "Reason",
    ASSESSOR_COLUMNS,
    "Target level",
    "Current level",
]
READINESS_COLUMNS = [
    "Dimension",
    "Question",
    "Side",
    "Key",
    "Agreed answer",
    "Settlement",
    "Reason",
    ASSESSOR_COLUMNS,
]


def assessment_export_file(*, assessment: Assessment, format: str) -> ExportFile:
    """The assessment as a download in one of EXPORT_FORMATS; ValueError for any other."""
    if format == "json":
        data = assessment_export(assessment=assessment)
        content = json.dumps(data, indent=2, ensure_ascii=False).encode()
        return ExportFile(content, "application/json", export_filename(assessment, "json"))
    if format == "csv":
        # The byte order mark makes Excel read the file as UTF-8.
        content = assessment_csv(assessment=assessment).encode("utf-8-sig")
        return ExportFile(content, "text/csv; charset=utf-8", export_filename(assessment, "csv"))
    if format == "xlsx":
        return ExportFile(
            assessment_xlsx(assessment=assessment),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            export_filename(assessment, "xlsx"),
        )
    raise ValueError(f"unknown export format {format!r}; expected {', '.join(EXPORT_FORMATS)}")


def export_filename(assessment: Assessment, extension: str) -> str:
    """e.g. acme-q4-baseline-2026-11-25.xlsx"""
    slug = slugify(assessment.title) or "assessment"
    return f"{assessment.organization.slug}-{slug}-{assessment.assessed_on:%Y-%m-%d}.{extension}"


def assessment_csv(*, assessment: Assessment) -> str:
    """One row per process criterion and per readiness question and side."""
    figures = assessment_figures(assessment)
    assessors = _assessors(figures)
    columns = _columns(CSV_COLUMNS, assessors)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in _criterion_rows(figures) + _readiness_rows(figures):
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def assessment_xlsx(*, assessment: Assessment) -> bytes:
    """A workbook with the sheets Summary (the figures), Processes, Criteria and Readiness."""
    figures = assessment_figures(assessment)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, tables in assessment_tables(figures).items():
        _write_sheet(workbook.create_sheet(name), tables)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def assessment_tables(figures: AssessmentFigures) -> dict[str, list[Table]]:
    """The spreadsheet's sheets, each a list of tables (header and rows)."""
    assessment = figures.assessment
    users = _users_of(figures)
    framework = assessment.framework
    summary = Table(["Figure", "Value"])
    summary.rows += [
        ["Organisation", assessment.organization.name],
        ["Assessment", assessment.title],
        ["State", assessment.get_state_display()],
        ["Date", assessment.assessed_on.isoformat()],
        ["Site", assessment.site.name if assessment.site else ""],
        ["Framework", f"{framework.title} {framework.version}"],
        ["SAMR index", round_figure(figures.samr_index)],
        ["Target index", round_figure(figures.target_index)],
        ["Overall readiness", round_figure(figures.overall_readiness)],
        ["IT/OT convergence gap", round_figure(figures.convergence_gap)],
        ["Answers settled", f"{figures.settled} of {figures.total} ({figures.progress}%)"],
    ]
    summary.rows += [
        [f"Processes at level {level}", n] for level, n in figures.distribution.items()
    ]
    dimensions = Table(["Dimension", "IT", "OT", "Combined", "Gap (IT − OT)", "In scope"])
    dimensions.rows = [
        [
            d.dimension.name,
            round_figure(d.figures.it),
            round_figure(d.figures.ot),
            round_figure(d.figures.combined),
            round_figure(d.figures.gap),
            "yes" if d.in_scope else f"no: {d.excluded_reason}",
        ]
        for d in figures.dimensions
    ]
    processes = Table(
        [
            "Process",
            "Area",
            "Site",
            "Owner",
            "Business value",
            "Current level",
            "Target level",
            "Gap",
            "Gap weight",
            "Rationale",
            "Evidence",
        ]
    )
    processes.rows = [
        [
            p.process.name,
            _area_name(framework.definition, p.process.area),
            p.process.site.name if p.process.site else "",
            _email(users, p.process.owner_id),
            p.process.business_value,
            p.current,
            p.target,
            p.gap,
            p.gap_weight,
            p.score.rationale,
            p.score.evidence,
        ]
        for p in figures.processes
    ]
    assessors = _assessors(figures)
    return {
        "Summary": [summary, dimensions],
        "Processes": [processes],
        "Criteria": [_table(CRITERIA_COLUMNS, assessors, _criterion_rows(figures))],
        "Readiness": [_table(READINESS_COLUMNS, assessors, _readiness_rows(figures))],
    }


def _criterion_rows(figures: AssessmentFigures) -> list[dict]:
    definition = figures.assessment.framework.definition
    rows = []
    for p in figures.processes:
        for level, results in sorted(p.levels.items()):
            for c in results:
                row = {
                    "Section": "Criterion",
                    "Process": p.process.name,
                    "Area": _area_name(definition, p.process.area),
                    "Level": level,
                    "Key": c.criterion.key,
                    "Criterion": c.criterion.text,
                    "Agreed answer": STATUS_LABELS[c.settled.value] if c.settled.counts else "",
                    "Settlement": c.settled.state.value,
                    "Reason": c.agreement.reason if c.agreement else "",
                    "Target level": p.target,
                    "Current level": p.current,
                }
                row.update({a.assessor.email: STATUS_LABELS[a.status] for a in c.answers})
                rows.append(row)
    return rows


def _readiness_rows(figures: AssessmentFigures) -> list[dict]:
    rows = []
    for d in figures.dimensions:
        for q in d.questions:
            for side, settled in q.sides.items():
                agreement = q.agreements.get(side)
                row = {
                    "Section": "Readiness",
                    "Dimension": d.dimension.name,
                    "Question": q.question.text,
                    "Side": SIDE_LABELS[side],
                    "Key": q.question.key,
                    "Agreed answer": _readiness_value(settled.value) if settled.counts else "",
                    "Settlement": settled.state.value if d.in_scope else "out of scope",
                    "Reason": agreement.reason if agreement else "",
                }
                row.update(
                    {a.assessor.email: _readiness_value(a.value) for a in q.answers.get(side, [])}
                )
                rows.append(row)
    return rows


def _assessors(figures: AssessmentFigures) -> list[str]:
    emails = {a.assessor.email for p in figures.processes for c in p.criteria for a in c.answers}
    emails |= {
        a.assessor.email
        for d in figures.dimensions
        for q in d.questions
        for answers in q.answers.values()
        for a in answers
    }
    return sorted(emails)


def _columns(columns: list, assessors: list[str]) -> list[str]:
    expanded = []
    for column in columns:
        expanded += assessors if column is ASSESSOR_COLUMNS else [column]
    return expanded


def _table(columns: list, assessors: list[str], rows: list[dict]) -> Table:
    header = _columns(columns, assessors)
    return Table(header, [[row.get(column) for column in header] for row in rows])


def _area_name(definition: Framework, key: str) -> str:
    try:
        return definition.area(key).name
    except KeyError:
        return key


def _readiness_value(value: int | None):
    return "N/A" if value is None else value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return str(value)


def _write_sheet(sheet, tables: list[Table]) -> None:
    bold = Font(bold=True)
    widths = defaultdict(int)
    for number, table in enumerate(tables):
        if number:
            sheet.append([])
        for i, row in enumerate([table.header, *table.rows]):
            sheet.append([_xlsx_value(value) for value in row])
            for column, cell in enumerate(sheet[sheet.max_row]):
                if cell.data_type == "f":  # text that starts with "=" is text, not a formula
                    cell.data_type = "s"
                if i == 0:
                    cell.font = bold
                widths[column] = max(widths[column], len(str(cell.value or "")))
    sheet.freeze_panes = "A2"
    for column, width in widths.items():
        sheet.column_dimensions[sheet.cell(row=1, column=column + 1).column_letter].width = min(
            max(width + 2, 8), 60
        )


def _xlsx_value(value):
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


# --- JSON import -----------------------------------------------------------------------------


def export_parse(raw: bytes) -> object:
    """The data of an uploaded export file; InvalidExport when it is too big or not JSON."""
    if len(raw) > MAX_IMPORT_BYTES:
        size, limit = filesizeformat(len(raw)), filesizeformat(MAX_IMPORT_BYTES)
        raise InvalidExport([f"the file is {size}; the limit is {limit}"])
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise InvalidExport([f"not a JSON file: byte {exc.start} is not UTF-8 text"]) from None
    except json.JSONDecodeError as exc:
        raise InvalidExport(
            [f"not a JSON file: line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InvalidExport([f"not a JSON file: {exc}"]) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


@dataclass
class _Answer:
    assessor: str  # email, lower case
    value: object  # a status for criteria, 0-4 or None for readiness
    extra: dict  # rationale and evidence_url, or comment


@dataclass
class _Agreement:
    value: object
    reason: str
    agreed_by: str | None


@dataclass
class _Process:
    name: str
    area: str
    site: str | None
    owner: str | None
    business_value: int
    description: str
    target_level: int | None
    rationale: str
    evidence: str
    answers: dict[str, list[_Answer]]  # criterion key -> answers
    agreements: dict[str, _Agreement]  # criterion key -> agreement


@dataclass
class _Plan:
    """A checked export: everything `assessment_import` needs, nothing stored yet."""

    framework_key: str
    framework_version: str
    framework_title: str
    framework_data: dict
    definition: Framework
    title: str
    assessed_on: date
    site: str | None
    processes: list[_Process]
    excluded: dict[str, str]
    readiness_answers: dict[tuple[str, str], list[_Answer]]
    readiness_agreements: dict[tuple[str, str], _Agreement]


def assessment_import(*, organization, data, user) -> Assessment:
    """Recreate an exported assessment in `organization` as a draft with the same figures.

    All or nothing: a file with any problem raises InvalidExport (each message says where and
    what) and stores nothing. The framework version is reused when an identical one (key,
    version and data) is available to the organisation, else stored for it. Processes are
    matched by name (an existing one must have the file's area and business value) or created;
    sites are matched by name, never created. Who answered what, per criterion or question:

    - an agreement in the file is kept with its reason (agreed by the same person if they are a
      member here, else by nobody);
    - answers by members of this organisation are kept as theirs; answers by anyone else are
      not imported (they stay in the file);
    - a unanimous answer that not all of its assessors can bring along becomes an agreement,
      "Imported from <title>: unanimous answer of N assessors", agreed by the importing user;
    - a disputed question stays unsettled: the members' answers are kept only if they still
      disagree among themselves, so it never starts to count.

    Only settled answers feed the figures, so every figure is the same as in the file.
    """
    plan = _read(data)
    with transaction.atomic():
        problems = _conflicts(organization, plan)
        if problems:
            raise InvalidExport(problems)
        return _store(organization, plan, user)


def _read(data) -> _Plan:
    check = _Checker()
    if not isinstance(data, dict):
        raise InvalidExport([f"top level: must be an object, got {_kind(data)}"])
    if "format" not in data:
        raise InvalidExport([f"format: missing; a Ladder assessment export says {FORMAT!r}"])
    if data["format"] != FORMAT:
        raise InvalidExport(
            [f"format: {_shown(data['format'])} is not a Ladder assessment ({FORMAT!r})"]
        )
    if type(data.get("version")) is not int or data["version"] != VERSION:
        found = _shown(data.get("version"))
        raise InvalidExport([f"version: {found} is not supported; this Ladder reads {VERSION}"])
    definition, framework = _read_framework(check, data)
    title = assessed_on = site = None
    assessment = check.mapping(data, "assessment", "")
    if assessment is not None:
        title = check.text(assessment, "title", "assessment", blank=False, max_length=150)
        check.choice(assessment, "state", "assessment", Assessment.State.values)
        assessed_on = check.date(assessment, "assessed_on", "assessment")
        site = check.text(assessment, "site", "assessment", null=True)
    processes = [
        _read_process(check, item, f"processes[{i}]", definition)
        for i, item in enumerate(check.items(data, "processes", ""))
    ]
    seen = {}
    for i, process in enumerate(processes):
        if process and process.name in seen:
            check.fail(
                f"processes[{i}].name", f"{process.name!r} is also processes[{seen[process.name]}]"
            )
        elif process:
            seen[process.name] = i
    excluded = {}
    for i, item in enumerate(check.items(data, "excluded_dimensions", "")):
        where = f"excluded_dimensions[{i}]"
        if not check.is_mapping(item, where):
            continue
        key = check.text(item, "key", where, blank=False)
        reason = check.text(item, "reason", where, max_length=300)
        if key is not None and definition and not _has(definition.dimension, key):
            check.fail(
                f"{where}.key", f"{key!r} is not a readiness dimension of {_name(framework)}"
            )
        elif key in excluded:
            check.fail(f"{where}.key", f"{key!r} is excluded twice")
        elif key is not None:
            excluded[key] = reason
    answers = _read_readiness(check, data, definition, framework)
    agreements = _read_readiness_agreements(check, data, definition, framework)
    if check.errors:
        raise InvalidExport(check.errors)
    return _Plan(
        framework_key=framework["key"],
        framework_version=framework["version"],
        framework_title=framework["title"],
        framework_data=framework["data"],
        definition=definition,
        title=title,
        assessed_on=assessed_on,
        site=site,
        processes=processes,
        excluded=excluded,
        readiness_answers=answers,
        readiness_agreements=agreements,
    )


def _read_framework(check, data) -> tuple[Framework | None, dict]:
    framework = check.mapping(data, "framework", "")
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
    if found["key"] is not None and found["key"] != definition.id:
        check.fail(
            "framework.key", f"{found['key']!r} differs from framework.data.id {definition.id!r}"
        )
    if found["version"] is not None and found["version"] != definition.version:
        check.fail(
            "framework.version",
            f"{found['version']!r} differs from framework.data.version {definition.version!r}",
        )
    return definition, found


def _read_process(check, item, where, definition) -> _Process | None:
    if not check.is_mapping(item, where):
        return None
    name = check.text(item, "name", where, blank=False, max_length=150)
    area = check.text(item, "area", where, blank=False)
    if area is not None and definition and not _has(definition.area, area):
        areas = ", ".join(a.key for a in definition.areas)
        check.fail(
            f"{where}.area", f"{area!r} is not an area of the framework; expected one of {areas}"
        )
        area = None
    process = _Process(
        name=name,
        area=area,
        site=check.text(item, "site", where, null=True),
        owner=check.email(item, "owner", where, null=True),
        business_value=check.number(item, "business_value", where, scoring.BUSINESS_VALUES),
        description=check.text(item, "description", where),
        target_level=check.number(item, "target_level", where, scoring.LEVELS, null=True),
        rationale=check.text(item, "rationale", where),
        evidence=check.text(item, "evidence", where),
        answers=defaultdict(list),
        agreements={},
    )
    keys = None  # unknown while the area or the framework is broken: nothing to check against
    if area is not None and definition:
        keys = {
            c.key for level in scoring.CRITERIA_LEVELS for c in definition.criteria_for(area, level)
        }

    def criterion(entry, path):
        key = check.text(entry, "key", path, blank=False)
        if key is not None and keys is not None and key not in keys:
            check.fail(f"{path}.key", f"{key!r} is not a criterion of the area {area}")
            return None
        return key

    for i, entry in enumerate(check.items(item, "criteria", where)):
        path = f"{where}.criteria[{i}]"
        if not check.is_mapping(entry, path):
            continue
        key = criterion(entry, path)
        assessor = check.email(entry, "assessor", path)
        status = check.choice(entry, "status", path, STATUSES)
        extra = {
            "rationale": check.text(entry, "rationale", path),
            "evidence_url": check.url(entry, "evidence_url", path),
        }
        if key is None or assessor is None:
            continue
        if any(a.assessor == assessor for a in process.answers[key]):
            check.fail(path, f"a second answer by {assessor} to {key}")
        process.answers[key].append(_Answer(assessor, status, extra))
    for i, entry in enumerate(check.items(item, "agreements", where)):
        path = f"{where}.agreements[{i}]"
        if not check.is_mapping(entry, path):
            continue
        key = criterion(entry, path)
        agreement = _Agreement(
            value=check.choice(entry, "status", path, STATUSES),
            reason=check.text(entry, "reason", path),
            agreed_by=check.email(entry, "agreed_by", path, null=True),
        )
        if key in process.agreements:
            check.fail(path, f"a second agreement on {key}")
        elif key is not None:
            process.agreements[key] = agreement
    return process


def _read_readiness(check, data, definition, framework) -> dict:
    answers = defaultdict(list)
    for i, entry in enumerate(check.items(data, "readiness_answers", "")):
        path = f"readiness_answers[{i}]"
        if not check.is_mapping(entry, path):
            continue
        item = _question_side(check, entry, path, definition, framework)
        assessor = check.email(entry, "assessor", path)
        value = check.number(entry, "value", path, scoring.READINESS_SCORES, null=True)
        comment = check.text(entry, "comment", path)
        if item is None or assessor is None:
            continue
        if any(a.assessor == assessor for a in answers[item]):
            check.fail(path, f"a second answer by {assessor} to {item[0]} ({item[1]})")
        answers[item].append(_Answer(assessor, value, {"comment": comment}))
    return answers


def _read_readiness_agreements(check, data, definition, framework) -> dict:
    agreements = {}
    for i, entry in enumerate(check.items(data, "readiness_agreements", "")):
        path = f"readiness_agreements[{i}]"
        if not check.is_mapping(entry, path):
            continue
        item = _question_side(check, entry, path, definition, framework)
        agreement = _Agreement(
            value=check.number(entry, "value", path, scoring.READINESS_SCORES, null=True),
            reason=check.text(entry, "reason", path),
            agreed_by=check.email(entry, "agreed_by", path, null=True),
        )
        if item in agreements:
            check.fail(path, f"a second agreement on {item[0]} ({item[1]})")
        elif item is not None:
            agreements[item] = agreement
    return agreements


def _question_side(check, entry, path, definition, framework) -> tuple[str, str] | None:
    key = check.text(entry, "question", path, blank=False)
    side = check.choice(entry, "side", path, Side.values)
    if key is not None and definition and not _has(definition.question, key):
        check.fail(f"{path}.question", f"{key!r} is not a readiness question of {_name(framework)}")
        return None
    return None if key is None or side is None else (key, side)


def _conflicts(organization, plan: _Plan) -> list[str]:
    """What in this organisation keeps the file from giving the same figures."""
    problems = []
    existing = {
        p.name: p
        for p in Process.objects.filter(
            organization=organization, name__in=[p.name for p in plan.processes]
        )
    }
    for i, wanted in enumerate(plan.processes):
        process = existing.get(wanted.name)
        if process is None:
            continue
        if process.area != wanted.area:
            problems.append(
                f"processes[{i}].area: {wanted.name!r} is in area {process.area} here but "
                f"{wanted.area} in the file, so its answers would not apply"
            )
        if process.business_value != wanted.business_value:
            problems.append(
                f"processes[{i}].business_value: {wanted.name!r} has business value "
                f"{process.business_value} here but {wanted.business_value} in the file, so the "
                "figures would differ; make them the same and import again"
            )
    own = FrameworkVersion.objects.filter(
        organization=organization, key=plan.framework_key, version=plan.framework_version
    ).first()
    if own is not None and own.data != plan.framework_data:
        problems.append(
            f"framework: this organisation has its own {plan.framework_key} "
            f"{plan.framework_version} with other content than the file's"
        )
    return problems


def _framework_version(organization, plan: _Plan, user) -> FrameworkVersion:
    """An identical version available here (key, version and data), else one stored for it."""
    candidates = FrameworkVersion.objects.available_to(organization).filter(
        key=plan.framework_key, version=plan.framework_version
    )
    for candidate in candidates:
        if candidate.data == plan.framework_data:
            return candidate
    shipped = default_framework()
    if (
        (plan.framework_key, plan.framework_version) == (shipped.id, shipped.version)
        and plan.framework_data == shipped.as_dict()
        and not any(c.organization_id is None for c in candidates)
    ):
        return FrameworkVersion.objects.shipped()  # shipped, but not stored in this database yet
    version = FrameworkVersion(
        organization=organization,
        key=plan.framework_key,
        version=plan.framework_version,
        title=plan.framework_title,
        data=plan.framework_data,
        uploaded_by=user,
    )
    version.full_clean()
    version.save()
    return version


def _store(organization, plan: _Plan, user) -> Assessment:
    now = timezone.now()
    members = {u.email: u for u in User.objects.filter(memberships__organization=organization)}
    sites = {s.name: s for s in Site.objects.filter(organization=organization)}
    assessment = Assessment(
        organization=organization,
        site=sites.get(plan.site),
        title=plan.title[: 150 - len(IMPORTED_SUFFIX)] + IMPORTED_SUFFIX,
        framework=_framework_version(organization, plan, user),
        state=Assessment.State.DRAFT,
        assessed_on=plan.assessed_on,
        created_by=user,
        created=now,
    )
    assessment.full_clean()
    assessment.save()
    carry = _Carrier(members=members, user=user, reason=f"Imported from {plan.title}")
    existing = {
        p.name: p
        for p in Process.objects.filter(
            organization=organization, name__in=[p.name for p in plan.processes]
        )
    }
    rows = defaultdict(list)  # model -> unsaved rows, created together at the end
    for wanted in plan.processes:
        process = existing.get(wanted.name) or _process_create(organization, wanted, sites, members)
        score = ProcessScore.objects.create(
            assessment=assessment,
            process=process,
            target_level=wanted.target_level,
            rationale=wanted.rationale,
            evidence=wanted.evidence,
        )
        for key in sorted(set(wanted.answers) | set(wanted.agreements)):
            answers, agreement = carry(wanted.answers.get(key, []), wanted.agreements.get(key))
            rows[CriterionAnswer] += [
                CriterionAnswer(
                    process_score=score,
                    criterion_key=key,
                    assessor=members[a.assessor],
                    status=a.value,
                    updated=now,
                    **a.extra,
                )
                for a in answers
            ]
            if agreement:
                rows[CriterionAgreement].append(
                    CriterionAgreement(
                        process_score=score,
                        criterion_key=key,
                        status=agreement.value,
                        reason=agreement.reason,
                        agreed_by=agreement.agreed_by,
                        updated=now,
                    )
                )
    for question, side in sorted(set(plan.readiness_answers) | set(plan.readiness_agreements)):
        answers, agreement = carry(
            plan.readiness_answers.get((question, side), []),
            plan.readiness_agreements.get((question, side)),
        )
        rows[ReadinessAnswer] += [
            ReadinessAnswer(
                assessment=assessment,
                question_key=question,
                side=side,
                assessor=members[a.assessor],
                value=a.value,
                updated=now,
                **a.extra,
            )
            for a in answers
        ]
        if agreement:
            rows[ReadinessAgreement].append(
                ReadinessAgreement(
                    assessment=assessment,
                    question_key=question,
                    side=side,
                    value=agreement.value,
                    reason=agreement.reason,
                    agreed_by=agreement.agreed_by,
                    updated=now,
                )
            )
    rows[ExcludedDimension] = [
        ExcludedDimension(assessment=assessment, dimension_key=key, reason=reason)
        for key, reason in plan.excluded.items()
    ]
    for model, objects in rows.items():
        model.objects.bulk_create(objects)
    return assessment


def _process_create(organization, wanted: _Process, sites, members) -> Process:
    process = Process(
        organization=organization,
        name=wanted.name,
        area=wanted.area,
        site=sites.get(wanted.site),
        owner=members.get(wanted.owner),
        business_value=wanted.business_value,
        description=wanted.description,
    )
    # The area was checked against the file's framework, which may have areas the shipped one
    # (the field's choices) lacks.
    process.full_clean(exclude=["area"])
    process.save()
    return process


@dataclass
class _Agreed:
    value: object
    reason: str
    agreed_by: User | None


@dataclass
class _Carrier:
    """Decides, for one criterion or question side, what to store so it settles as in the file."""

    members: dict[str, User]
    user: User
    reason: str

    def __call__(self, answers: list[_Answer], agreement: _Agreement | None):
        here = [a for a in answers if a.assessor in self.members]
        if agreement is not None:
            agreed_by = self.members.get(agreement.agreed_by)
            return here, _Agreed(agreement.value, agreement.reason, agreed_by)
        original = scoring.settle([a.value for a in answers])
        if original.state == Settlement.UNANIMOUS and len(here) < len(answers):
            n = len(answers)
            reason = f"{self.reason}: unanimous answer of {n} assessor{'s' * (n > 1)}"
            return here, _Agreed(original.value, reason, self.user)
        if original.state == Settlement.DISPUTED:
            # A subset that agrees would settle what the file left open: keep it open.
            still_open = scoring.settle([a.value for a in here]).state == Settlement.DISPUTED
            return (here if still_open else []), None
        return here, None


class _Checker:
    """Reads the export's plain data, collecting every problem with its path."""

    def __init__(self):
        self.errors: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def is_mapping(self, value, path: str) -> bool:
        if isinstance(value, dict):
            return True
        self.fail(path, f"must be an object, got {_kind(value)}")
        return False

    def value(self, data: dict, name: str, path: str):
        if name not in data:
            self.fail(_join(path, name), "missing")
            return _MISSING
        return data[name]

    def mapping(self, data: dict, name: str, path: str) -> dict | None:
        value = self.value(data, name, path)
        if value is _MISSING or not self.is_mapping(value, _join(path, name)):
            return None
        return value

    def items(self, data: dict, name: str, path: str) -> list:
        value = self.value(data, name, path)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(_join(path, name), f"must be a list, got {_kind(value)}")
            return []
        return value

    def text(self, data, name, path, *, blank=True, null=False, max_length=None) -> str | None:
        value = self.value(data, name, path)
        where = _join(path, name)
        if value is _MISSING or (value is None and null):
            return None
        if not isinstance(value, str):
            self.fail(where, f"must be text{' or null' if null else ''}, got {_kind(value)}")
        elif not blank and not value.strip():
            self.fail(where, "must not be empty")
        elif max_length and len(value) > max_length:
            self.fail(where, f"must be at most {max_length} characters, got {len(value)}")
        else:
            return value
        return None

    def email(self, data, name, path, *, null=False) -> str | None:
        value = self.text(data, name, path, blank=False, null=null, max_length=254)
        return value.strip().lower() if value else None

    def url(self, data, name, path) -> str:
        value = self.text(data, name, path, max_length=500)
        if value:
            try:
                URLValidator()(value)
            except ValidationError:
                self.fail(_join(path, name), f"{_shown(value)} is not a web address")
        return value or ""

    def choice(self, data, name, path, choices):
        value = self.value(data, name, path)
        if value is _MISSING:
            return None
        if value not in choices or not isinstance(value, str):
            self.fail(_join(path, name), f"{_shown(value)} is not one of {', '.join(choices)}")
            return None
        return value

    def number(self, data, name, path, allowed: range, *, null=False) -> int | None:
        value = self.value(data, name, path)
        if value is _MISSING or (value is None and null):
            return None
        if type(value) is not int or value not in allowed:
            span = f"a whole number {allowed[0]} to {allowed[-1]}{' or null' if null else ''}"
            self.fail(_join(path, name), f"must be {span}, got {_shown(value)}")
            return None
        return value

    def date(self, data, name, path) -> date | None:
        value = self.text(data, name, path, blank=False)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(_join(path, name), f"{_shown(value)} is not a date (YYYY-MM-DD)")
            return None


_MISSING = object()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _has(lookup, key) -> bool:
    try:
        lookup(key)
    except KeyError:
        return False
    return True


def _name(framework: dict) -> str:
    return f"framework {framework['key']} {framework['version']}"


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    kinds = {dict: "an object", list: "a list", str: "text"}
    return kinds.get(type(value), type(value).__name__)


def _shown(value) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return json.dumps(value)[:60]
