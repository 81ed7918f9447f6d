"""The assessment as tables for spreadsheet users: a CSV file and an XLSX workbook."""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from assessments.exchange.export import dimension_figures, email_of, users_of
from assessments.exchange.verification_data import check_since
from assessments.figures import AssessmentFigures, assessment_figures
from assessments.framework.model import Framework
from assessments.models import STATUS_CHOICES, Assessment, Side
from assessments.scoring import round_figure
from assessments.verified.status import AssessmentVerification, assessment_verification

STATUS_LABELS = dict(STATUS_CHOICES)
SIDE_LABELS = dict(Side.choices)
ASSESSOR_COLUMNS = object()  # placeholder in a column list: one column per assessor
# Criteria and readiness rows share these, so the CSV can hold both in one table.
SETTLEMENT_COLUMNS = ["Agreed answer", "Settlement", "Reason", ASSESSOR_COLUMNS]
LEVEL_COLUMNS = ["Target level", "Current level"]
# Format version 2: what each criterion rests on, its checks, and the verified level.
VERIFIED_COLUMNS = ["Basis", "Checks", "Verified level"]
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
    *SETTLEMENT_COLUMNS,
    *LEVEL_COLUMNS,
    *VERIFIED_COLUMNS,
]
CRITERIA_COLUMNS = [
    "Process",
    "Area",
    "Level",
    "Key",
    "Criterion",
    *SETTLEMENT_COLUMNS,
    *LEVEL_COLUMNS,
    *VERIFIED_COLUMNS,
]
READINESS_COLUMNS = ["Dimension", "Question", "Side", "Key", *SETTLEMENT_COLUMNS]
PROCESS_COLUMNS = [
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
    "Verified level",
    "Met on data",
    "Met on evidence",
    "Met on claim",
]
CHECK_COLUMNS = [
    "Process",
    "Criterion",
    "Check",
    "Status",
    "Measured",
    "Threshold",
    "Window",
    "Since",
    "Bound by",
]


@dataclass
class Table:
    header: list[str]
    rows: list[list] = field(default_factory=list)


def assessment_csv(*, assessment: Assessment, now=None) -> str:
    """One row per process criterion and per readiness question and side."""
    figures = assessment_figures(assessment)
    verification = assessment_verification(figures, now=now or timezone.now())
    rows = _criterion_rows(figures, verification) + _readiness_rows(figures)
    table = _table(CSV_COLUMNS, _assessors(figures), rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Headers name assessors by email, which the file's reader does not control: escape alike.
    writer.writerow([_csv_cell(value) for value in table.header])
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return buffer.getvalue()


def assessment_xlsx(*, assessment: Assessment, now=None) -> bytes:
    """A workbook with the sheets Summary (the figures), Processes, Criteria, Checks and
    Readiness."""
    figures = assessment_figures(assessment)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, tables in assessment_tables(figures, now=now or timezone.now()).items():
        _write_sheet(workbook.create_sheet(name), tables)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def assessment_tables(figures: AssessmentFigures, *, now) -> dict[str, list[Table]]:
    """The spreadsheet's sheets, each a list of tables (header and rows)."""
    verification = assessment_verification(figures, now=now)
    assessment = figures.assessment
    framework = assessment.framework
    users = users_of(figures)
    assessors = _assessors(figures)
    summary = Table(["Figure", "Value"])
    summary.rows += [
        ["Organisation", assessment.organization.name],
        ["Assessment", assessment.title],
        ["State", assessment.get_state_display()],
        ["Date", assessment.assessed_on.isoformat()],
        ["Site", assessment.site.name if assessment.site else ""],
        ["Framework", f"{framework.title} {framework.version}"],
        ["SAMR index", round_figure(figures.samr_index)],
        ["Verified index", round_figure(verification.verified_index)],
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
            *dimension_figures(d).values(),
            "yes" if d.in_scope else f"no: {d.excluded_reason}",
        ]
        for d in figures.dimensions
    ]
    processes = Table(PROCESS_COLUMNS)
    processes.rows = [
        [
            p.process.name,
            _area_name(framework.definition, p.process.area),
            p.process.site.name if p.process.site else "",
            email_of(users, p.process.owner_id),
            p.process.business_value,
            p.current,
            p.target,
            p.gap,
            p.gap_weight,
            p.score.rationale,
            p.score.evidence,
            *_verified_counts(verification, p.score.process_id),
        ]
        for p in figures.processes
    ]
    return {
        "Summary": [summary, dimensions],
        "Processes": [processes],
        "Criteria": [_table(CRITERIA_COLUMNS, assessors, _criterion_rows(figures, verification))],
        "Checks": [_check_table(figures, verification)],
        "Readiness": [_table(READINESS_COLUMNS, assessors, _readiness_rows(figures))],
    }


def _verified_counts(verification: AssessmentVerification, process_id: int) -> list:
    process = verification.of(process_id)
    return [process.verified, process.data, process.evidence, process.claim]


def _check_table(figures: AssessmentFigures, verification: AssessmentVerification) -> Table:
    table = Table(CHECK_COLUMNS)
    for p in figures.processes:
        for c in verification.of(p.score.process_id).criteria:
            for check in c.checks:
                since = check_since(check)
                table.rows.append(
                    [
                        p.process.name,
                        c.key,
                        check.name,
                        check.standing,
                        check.measured,
                        check.threshold,
                        check.window,
                        since.isoformat() if since else "",
                        ", ".join(f"{b.integration} ({b.bound_by})" for b in check.bindings),
                    ]
                )
    return table


def _checks_text(criterion) -> str:
    """A criterion's checks in one cell: key, standing, measured / threshold, window, since."""
    parts = []
    for check in criterion.checks if criterion else []:
        since = check_since(check)
        measured = "–" if check.measured is None else f"{check.measured:g}"
        part = f"{check.key}: {check.standing} ({measured} / {check.threshold:g}, {check.window}"
        parts.append(part + (f", since {since.isoformat()})" if since else ")"))
    return "; ".join(parts)


def _criterion_rows(figures: AssessmentFigures, verification: AssessmentVerification) -> list:
    definition = figures.assessment.framework.definition
    rows = []
    for p in figures.processes:
        verified = verification.of(p.score.process_id)
        for level, results in sorted(p.levels.items()):
            for c in results:
                criterion = verified.criterion(c.criterion.key)
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
                    "Basis": criterion.basis if criterion else "",
                    "Checks": _checks_text(criterion),
                    "Verified level": verified.verified,
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


def _table(columns: list, assessors: list[str], rows: list[dict]) -> Table:
    """The rows under `columns`, with a column per assessor in place of ASSESSOR_COLUMNS."""
    header = []
    for column in columns:
        header += assessors if column is ASSESSOR_COLUMNS else [column]
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
            for column, cell in enumerate(sheet[sheet.max_row], start=1):
                if cell.data_type == "f":  # text that starts with "=" is text, not a formula
                    cell.data_type = "s"
                if i == 0:
                    cell.font = bold
                widths[column] = max(widths[column], len(str(cell.value or "")))
    sheet.freeze_panes = "A2"
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)


def _xlsx_value(value):
    # openpyxl refuses control characters that a free-text answer may hold.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
