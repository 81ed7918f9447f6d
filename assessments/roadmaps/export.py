"""The roadmap as a spreadsheet: one row per milestone, as CSV or Excel.

The plan's columns (`roadmap_rows`), then the outcome's: the KPI, the baseline and after means,
the change, the expected change, the interval and the outcome line as the roadmap page and the
milestone page show them (`outcomes_of`, the page's own reading), and the effort and cost.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from assessments import outcomes, scoring
from assessments.models import Milestone, Roadmap
from assessments.roadmaps.outcomes import OutcomeView, outcomes_of
from assessments.roadmaps.reading import label_milestones
from assessments.roadmaps.rules.phasing import phase_rank
from assessments.roadmaps.rules.priority import format_priority

PLAN_COLUMNS = [
    "Order",
    "Phase",
    "Phase starts",
    "Milestone",
    "Kind",
    "Process",
    "From level",
    "To level",
    "Readiness dimension",
    "Priority",
    "Why this priority",
    "COO responsibility",
    "Benefit",
    "Owner",
    "Owner email",
    "Due",
    "Status",
    "Overdue",
    "Done on",
    "Edited since generated",
    "Description",
]
OUTCOME_COLUMNS = [
    "Outcome KPI",
    "KPI unit",
    "Baseline mean",
    "After mean",
    "Change",
    "Expected change",
    "Interval",
    "Outcome",
    "Effort (person-days)",
    "Cost estimate",
]
EXPORT_COLUMNS = PLAN_COLUMNS + OUTCOME_COLUMNS


def roadmap_rows(roadmap: Roadmap, today: date | None = None) -> list[list]:
    """One row per milestone on the roadmap, in plan order: the plan's columns."""
    today = today or timezone.localdate()
    windows = roadmap.windows()
    return [_plan_cells(n, m, windows, today) for n, m in enumerate(_milestones(roadmap), 1)]


def export_rows(*, roadmap: Roadmap, now: datetime) -> list[list]:
    """The export's rows: the plan's columns, then the outcome's (`OUTCOME_COLUMNS`)."""
    milestones = _milestones(roadmap)
    windows, today = roadmap.windows(), timezone.localdate(now)
    views = outcomes_of(milestones=milestones, now=now)
    return [
        _plan_cells(n, m, windows, today) + _outcome_cells(m, views.get(m.pk))
        for n, m in enumerate(milestones, 1)
    ]


def _milestones(roadmap: Roadmap) -> list[Milestone]:
    milestones = list(
        roadmap.milestones.active()
        .select_related("process", "owner", "kpi__integration", "kpi__organization")
        .in_plan_order()
    )
    label_milestones(roadmap, milestones)
    return milestones


def _plan_cells(number: int, m: Milestone, windows, today: date) -> list:
    return [
        number,
        m.get_phase_display(),
        windows[phase_rank(m.phase)].start,
        m.title,
        m.get_kind_display(),
        m.process.name if m.process else "",
        m.from_level,
        m.to_level,
        m.dimension_name if m.dimension_key else "",
        None if m.kind == Milestone.Kind.CUSTOM else m.priority,
        m.priority_explanation,
        m.responsibility_name,
        m.benefit_name,
        str(m.owner) if m.owner else "",
        m.owner.email if m.owner else "",
        m.due_date,
        m.get_status_display(),
        "yes" if m.is_overdue(today) else "",
        timezone.localdate(m.completed) if m.completed else None,
        "yes" if m.edited and m.key else "",
        m.description,
    ]


def _outcome_cells(m: Milestone, view: OutcomeView | None) -> list:
    """As the pages show them: means to two places, changes as "−20 %"; empty for a dash."""
    result = view.result if view else None
    change = result.change if result is not None and result.measured else None
    return [
        view.kpi.name if view else "",
        view.kpi.unit if view else "",
        _mean(result.before_mean if result else None),
        _mean(result.after_mean if result else None),
        outcomes.percent(change) if change is not None else "",
        view.expected_display if view and m.expected_change is not None else "",
        view.interval if view else "",
        view.summary if view else "",
        _amount(m.effort_days),
        _amount(m.cost),
    ]


def _mean(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(scoring.format_figure(value, 2))


def _amount(value: Decimal | None) -> Decimal | None:
    """12.0 as 12 and 18500.50 as 18500.5: the number without its stored trailing zeros."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def roadmap_csv(*, roadmap: Roadmap, now: datetime | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    rows = export_rows(roadmap=roadmap, now=now or timezone.now())
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def roadmap_xlsx(*, roadmap: Roadmap, now: datetime | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roadmap"
    sheet.append(EXPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in export_rows(roadmap=roadmap, now=now or timezone.now()):
        sheet.append([_xlsx_value(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that starts with "=" is text, not a formula
                cell.data_type = "s"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    for column, width in enumerate((6, 8, 12, 48, 12, 28, 6, 6, 22, 8, 48), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format_priority(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return str(value)


def _xlsx_value(value):
    # openpyxl refuses control characters that free text may hold.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
