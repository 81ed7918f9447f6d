"""Reports from HTML to PDF with WeasyPrint, and the service that builds a queued report
(`reports.tasks` queues it and runs this in the worker).

The PDF fetches nothing: logos come in as data: URIs and every other scheme is refused, so a
report cannot be made to reach the network or the file system. Fonts are embedded (subset) by
WeasyPrint; the title, author and language come from the template's <title>, <meta> and
<html lang>; the PDF is tagged for screen readers; `archival` asks for PDF/A-3b.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.models import Report
from assessments.reports.board import board_pack
from assessments.reports.content import report_content

log = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; the worker's log needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

TEMPLATES = {
    Report.Kind.ASSESSMENT: "assessments/pdf/report.html",
    Report.Kind.COMPARISON: "assessments/pdf/comparison.html",
    Report.Kind.BOARD: "assessments/pdf/board.html",
}
PDF_A = "pdf/a-3b"


@dataclass(frozen=True)
class Pdf:
    data: bytes
    pages: int


def report_html(content) -> str:
    """The report's HTML, ready for WeasyPrint."""
    return render_to_string(
        TEMPLATES[content.kind],
        {"content": content, "branding": content.branding, "created": created_stamp(content)},
    )


def created_stamp(content) -> str:
    """When the report was built, to the second: WeasyPrint writes the Info dictionary's date
    to the second but copies this text into the XMP as given, and PDF/A validators flag the two
    when they differ (a microsecond in one, none in the other)."""
    return content.generated.replace(microsecond=0).isoformat()


def pdf_from_html(html: str, *, archival: bool = False) -> Pdf:
    """Typeset `html` into a PDF (PDF/A-3b when `archival`)."""
    # Imported here: web processes only queue reports and never need WeasyPrint loaded.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=html, base_url="data:,", url_fetcher=fetcher).render()
    # Tagged, so screen readers get headings, tables and reading order (PDF/UA's structure).
    options = {"pdf_tags": True, **({"pdf_variant": PDF_A} if archival else {})}
    return Pdf(data=document.write_pdf(**options), pages=len(document.pages))


def report_render(*, report: Report, now: datetime | None = None) -> Report:
    """Build a queued report: figures, charts, PDF; store the file, then mark it ready in one
    step. Any error marks it failed with a message, and no file is offered."""
    now = now or timezone.now()
    if not report.claim(now=now):
        return report  # another worker has it, or it is no longer queued
    try:
        build = board_pack if report.kind == Report.Kind.BOARD else report_content
        content = build(report=report, now=now, progress=report.advance)
        html = report_html(content)
        report.advance(60, "Typesetting the PDF")
        pdf = pdf_from_html(html, archival=report.archival)
        report.advance(95, "Storing the file")
        field = report.file.field
        # Stored under a short name (the field holds 100 characters; a long organisation slug
        # and title would not fit); the download is named by `download_name()`.
        name = field.storage.save(
            field.generate_filename(report, f"report-{report.pk}.pdf"), ContentFile(pdf.data)
        )
    except Exception as error:  # any failure is shown on the page, not raised in the worker
        log.exception("report %s failed", report.pk)
        report.fail(_failure_message(error))
        return report
    if not report.complete(
        file_name=name, size=len(pdf.data), pages=pdf.pages, figures=content.snapshot()
    ):
        field.storage.delete(name)  # given up as stale meanwhile: offer nothing
        report.refresh_from_db()
    return report


def _failure_message(error: Exception) -> str:
    detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return (
        f"The report could not be built ({type(error).__name__}{': ' if detail else ''}{detail})."
    )
