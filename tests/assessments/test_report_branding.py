"""The PDF report's branding, metadata, fonts and the PDF/A variant."""

import re

import pytest

from assessments.reports.content import report_content
from assessments.reports.render import report_html
from tests.assessments.conftest import NOW
from tests.assessments.report_pdfs import build_report, pdf_of

pytestmark = pytest.mark.usefixtures("media")


# --- Branding, metadata, fonts, PDF/A -----------------------------------------------------------


def test_the_cover_carries_the_organisation_and_the_consultants_firm(report, org):
    cover = pdf_of(report).pages[0]
    text = cover.extract_text()
    assert org.name.upper() in text  # the cover prints the name in capitals
    assert "Prepared by Advisory" in text and "by Advisory" in text
    assert len(cover.images) == 1  # the organisation's logo
    html = report_html(report_content(report=report, now=NOW))
    assert "#0f766e" in html


def test_an_owner_made_report_names_no_firm(client_data, owner, django_capture_on_commit_callbacks):
    owner.firm_name = "Not a consultancy"
    owner.save()
    report = build_report(owner, client_data["current"], capture=django_capture_on_commit_callbacks)
    cover = pdf_of(report).pages[0].extract_text()
    assert "Not a consultancy" not in cover
    assert "Prepared by Olive" in cover


def test_title_language_and_embedded_fonts(report):
    reader = pdf_of(report)
    assert reader.metadata.title == "Acme Precision: Q4 review"
    assert reader.metadata.author == "Advisory"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = (
                font.get("/FontDescriptor")
                or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            )
            descriptor = descriptor.get_object()
            fonts[font["/BaseFont"]] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(fonts.values()), fonts


def test_pdf_a_on_request(client_data, consultant, django_capture_on_commit_callbacks):
    report = build_report(
        consultant,
        client_data["current"],
        capture=django_capture_on_commit_callbacks,
        archival=True,
    )
    reader = pdf_of(report)
    root = reader.trailer["/Root"]
    assert "/OutputIntents" in root
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in xmp and "3" in re.search(r"pdfaid:part[^0-9]*(\d)", xmp).group(1)
