"""The roadmap as a spreadsheet: one row per milestone, as CSV or Excel."""

from __future__ import annotations

import csv
import io
from datetime import date

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from assessments.models import Milestone, Roadmap
from assessments.roadmaps.reading import label_milestones
from assessments.roadmaps.rules.phasing import phase_rank
from assessments.roadmaps.rules.priority import format_priority

EXPORT_COLUMNS = [
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


def roadmap_rows(roadmap: Roadmap, today: date | None = None) -> list[list]:
    """One row per milestone on the roadmap, in plan order, as the export shows it."""
    today = today or timezone.localdate()
    milestones = list(
        roadmap.milestones.active().select_related("process", "owner").in_plan_order()
    )
    label_milestones(roadmap, milestones)
    windows = roadmap.windows()
    return [
        [
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
        for number, m in enumerate(milestones, start=1)
    ]


def roadmap_csv(*, roadmap: Roadmap) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([_csv_cell(value) for value in row] for row in roadmap_rows(roadmap))
    return buffer.getvalue()


def roadmap_xlsx(*, roadmap: Roadmap) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roadmap"
    sheet.append(EXPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in roadmap_rows(roadmap):
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
