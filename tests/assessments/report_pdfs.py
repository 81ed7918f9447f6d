"""Building a report's PDF and reading it back, for the report tests."""

import io
import re

from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from assessments.models import Report
from assessments.reports.tasks import report_request


def png_logo(colour=(200, 30, 30)) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="logo.png")


def build_report(user, assessment, *, capture, **extra) -> Report:
    with capture(execute=True):
        report = report_request(
            organization=assessment.organization, user=user, assessment=assessment, **extra
        )
    report.refresh_from_db()
    assert report.state == Report.State.READY, report.error
    return report


def pdf_of(report) -> PdfReader:
    with report.file.open("rb") as f:
        return PdfReader(io.BytesIO(f.read()))


def pdf_text(reader: PdfReader) -> str:
    """All the text, whitespace squeezed to single spaces."""
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)
