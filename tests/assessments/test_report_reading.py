"""The PDF as a board reads it: a draft says so on every page, no label is cut, milestones name
their process, and the archival variant's dates agree (read back from the PDF)."""

import re
from datetime import timedelta

import pytest
import time_machine

from assessments.figures import assessment_figures
from assessments.models import CriterionAnswer, Milestone
from assessments.roadmaps.rules.milestones import process_title
from tests.assessments.conftest import NOW
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text

pytestmark = pytest.mark.usefixtures("media")

LONG_NAME = "Press line 3 maintenance and the spare parts stores of the north site"


def page_texts(report) -> list[str]:
    return [page.extract_text() for page in pdf_of(report).pages]


def test_every_page_of_a_draft_report_says_draft(report, client_data):
    assert not client_data["current"].is_final
    pages = page_texts(report)
    assert len(pages) > 5
    assert all("DRAFT" in page for page in pages)


def test_a_final_report_has_no_watermark(
    client_data, consultant, django_capture_on_commit_callbacks
):
    final = client_data["baseline"]
    assert final.is_final
    report = build_report(consultant, final, capture=django_capture_on_commit_callbacks)
    pages = page_texts(report)
    assert not any("DRAFT" in page for page in pages)
    assert "Final" in pages[0]  # the cover still names the state


def test_a_comparison_with_a_draft_side_says_draft_on_every_page(
    client_data, consultant, django_capture_on_commit_callbacks
):
    report = build_report(
        consultant,
        client_data["current"],
        compared_to=client_data["baseline"],
        capture=django_capture_on_commit_callbacks,
    )
    pages = page_texts(report)
    assert len(pages) > 3
    assert all("DRAFT" in page for page in pages)


@pytest.fixture
def long_named(client_data, consultant, django_capture_on_commit_callbacks):
    """A process whose name is longer than any chart's label column, then the report."""
    press = client_data["press"]
    press.name = LONG_NAME
    press.save()
    return build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )


def test_no_label_is_cut_anywhere(long_named):
    text = pdf_text(pdf_of(long_named))
    assert "…" not in text
    # the heatmap, the gap chart, the processes' table and the verified table name it in full
    assert text.count(LONG_NAME) >= 4


def test_an_evidence_link_is_shown_whole_in_the_appendix(
    client_data, consultant, django_capture_on_commit_callbacks
):
    url = "https://evidence.example.com/north/press-line-3/maintenance/2026/commissioning-v2.pdf"
    answer = CriterionAnswer.objects.filter(
        process_score__assessment=client_data["current"]
    ).first()
    answer.evidence_url = url
    answer.save()
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    # wrapped anywhere in its cell, so read without the line breaks
    assert url in "".join(pdf_text(pdf_of(report)).split())


def test_every_dimension_name_is_extracted_in_full_from_chart_and_table(report, client_data):
    text = pdf_text(pdf_of(report))
    figures = assessment_figures(client_data["current"])
    answered = [d for d in figures.dimensions if d.in_scope and d.figures.it is not None]
    assert len(answered) >= 3  # so the radar is drawn
    for d in answered:
        assert text.count(d.dimension.name) >= 2, d.dimension.name  # the radar and the table


def test_every_milestone_is_named_in_full_with_its_process(long_named, client_data):
    text = pdf_text(pdf_of(long_named))
    milestones = list(client_data["roadmap"].milestones.select_related("process").in_plan_order())
    headings = [process_title(m.title, m.process.name if m.process_id else "") for m in milestones]
    assert any(len(heading) > 60 for heading in headings)  # longer than the timeline's column
    for number, heading in enumerate(headings, start=1):
        assert f"{number}. {heading}" in text, heading  # the timeline's label, whole
        assert text.count(heading) >= 2, heading  # and the milestones' table


def test_generated_step_titles_name_their_process(client_data):
    steps = client_data["roadmap"].milestones.filter(kind=Milestone.Kind.STEP)
    titles = [(m.title, m.process.name) for m in steps.select_related("process")]
    assert len(titles) >= 3
    assert all(title.startswith(f"{process}: ") for title, process in titles)


def test_an_old_title_without_its_process_is_named_with_it_in_the_pdf(
    client_data, consultant, django_capture_on_commit_callbacks
):
    """Milestones generated before titles named their process keep their titles; the PDF
    names the process from the milestone's link."""
    step = client_data["roadmap"].milestones.filter(kind=Milestone.Kind.STEP).first()
    step.title = "Connect ERP and MES in both directions"
    step.save()
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    text = pdf_text(pdf_of(report))
    assert f"{step.process.name}: connect ERP and MES in both directions" in text


def test_the_gap_chart_speaks_of_levels_not_weights(text):
    assert "Levels to climb to the target" in text
    assert "(1 + gap)²" not in text and "(1 + levels to climb)²" not in text


def test_archival_info_and_xmp_dates_agree_to_the_second(
    client_data, consultant, django_capture_on_commit_callbacks
):
    built = NOW + timedelta(seconds=7, microseconds=250_123)
    with time_machine.travel(built, tick=False):
        report = build_report(
            consultant,
            client_data["current"],
            archival=True,
            capture=django_capture_on_commit_callbacks,
        )
    reader = pdf_of(report)
    info = reader.metadata.creation_date
    xmp = reader.xmp_metadata
    raw = re.search(rb"<xmp:CreateDate>([^<]*)<", xmp.stream.get_data()).group(1).decode()
    assert raw == "2026-11-25T10:00:07+00:00"  # no fraction of a second, as in the Info date
    assert reader.metadata["/CreationDate"] == "D:20261125100007+00'00"
    assert info.replace(tzinfo=None) == xmp.xmp_create_date.replace(tzinfo=None)
