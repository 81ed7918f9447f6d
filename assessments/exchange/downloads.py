"""The assessment as a file to download, in one of EXPORT_FORMATS."""

import json
from dataclasses import dataclass

from django.utils.text import slugify

from assessments.exchange.export import assessment_export
from assessments.exchange.spreadsheets import assessment_csv, assessment_xlsx
from assessments.models import Assessment

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_FORMATS = tuple(CONTENT_TYPES)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def assessment_export_file(*, assessment: Assessment, format: str) -> ExportFile:
    """The assessment as a download in one of EXPORT_FORMATS; ValueError for any other."""
    if format == "json":
        data = assessment_export(assessment=assessment)
        content = json.dumps(data, indent=2, ensure_ascii=False).encode()
    elif format == "csv":
        # The byte order mark makes Excel read the file as UTF-8.
        content = assessment_csv(assessment=assessment).encode("utf-8-sig")
    elif format == "xlsx":
        content = assessment_xlsx(assessment=assessment)
    else:
        raise ValueError(f"unknown export format {format!r}; expected {', '.join(EXPORT_FORMATS)}")
    return ExportFile(content, CONTENT_TYPES[format], export_filename(assessment, format))


def export_filename(assessment: Assessment, extension: str) -> str:
    """e.g. acme-q4-baseline-2026-11-25.xlsx"""
    slug = slugify(assessment.title) or "assessment"
    return f"{assessment.organization.slug}-{slug}-{assessment.assessed_on:%Y-%m-%d}.{extension}"
