"""The PDF report's content: its figures (read back from the PDF's text) and its sections."""

import re

import pytest

from assessments.figures import assessment_figures
from assessments.models import Assessment
from assessments.reports.portfolio import peer_standing
from assessments.scoring import format_figure
from tests.assessments.conftest import (
    answer_levels,
    build_client_data,
)
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text

pytestmark = pytest.mark.usefixtures("media")


# --- The figures ------------------------------------------------------------------------------


def test_pdf_figures_equal_the_computed_figures(report, text, client_data):
    figures = assessment_figures(client_data["current"])
    before = assessment_figures(client_data["baseline"])
    samr = format_figure(figures.samr_index)
    readiness = format_figure(figures.overall_readiness)
    gap = format_figure(figures.convergence_gap)
    assert f"stands at {samr} on the four-level SAMR ladder" in text
    assert f"against a target of {format_figure(figures.target_index)}" in text
    assert f"Readiness for live data is {readiness} of 4" in text
    assert f"IT/OT convergence gap of {gap}" in text
    for label, attribute in (
        ("SAMR index", "samr_index"),
        ("Target index", "target_index"),
        ("Overall readiness", "overall_readiness"),
        ("IT/OT convergence gap", "convergence_gap"),
    ):
        old, new = getattr(before, attribute), getattr(figures, attribute)
        change = format_figure(abs(new - old))
        sign = "" if float(change) == 0 else ("+" if new > old else "−")
        row = f"{label} {format_figure(old)} {format_figure(new)} {sign}{change}"
        assert row in text, row
    assert f"SAMR index (value-weighted) {samr} {format_figure(figures.target_index)}" in text
    for p in figures.processes:
        names = p.score.assessment.framework.definition.samr_levels
        current = f"{p.current} {names[p.current].name}"
        target = f"{p.target} {names[p.target].name}"
        row = (
            f"{p.process.name} {p.process.business_value} {current} {target} {p.gap} {p.gap_weight}"
        )
        assert row in text, row
    for d in figures.dimensions:
        if not d.in_scope or d.figures.it is None:
            continue
        row = " ".join(
            [d.dimension.name]
            + [format_figure(getattr(d.figures, f)) for f in ("it", "ot", "combined", "gap")]
        )
        assert row in text, row
    totals = f"{format_figure(figures.overall_readiness)} {format_figure(figures.convergence_gap)}"
    assert f"Overall readiness · convergence gap {totals}" in text


def test_the_snapshot_keeps_the_figures_as_printed(report, client_data):
    figures = assessment_figures(client_data["current"])
    headline = report.figures["headline"]
    assert headline["samr_index"] == format_figure(figures.samr_index)
    assert headline["overall_readiness"] == format_figure(figures.overall_readiness)
    assert headline["convergence_gap"] == format_figure(figures.convergence_gap)
    assert report.figures["assessment"]["id"] == client_data["current"].pk
    assert report.assessment_state == "draft"
    assert [p["name"] for p in report.figures["processes"]] == [
        "Press line 3 maintenance",
        "Stock counts",
    ]


def test_an_old_report_never_changes(report, client_data, owner):
    kept_figures, kept_bytes = dict(report.figures), report.file.read()
    score = client_data["current"].process_scores.get(process=client_data["stock"])
    answer_levels(score, owner, {1: "not"})  # the assessment moves on
    report.refresh_from_db()
    assert report.figures == kept_figures
    assert report.file.open("rb").read() == kept_bytes


# --- Sections ---------------------------------------------------------------------------------


def test_the_report_has_every_section_with_page_numbers_in_the_contents(report, text):
    reader = pdf_of(report)
    contents = reader.pages[1].extract_text()
    for title in (
        "Executive summary",
        "The SAMR ladder by process",
        "IT/OT readiness",
        "Claimed vs verified",
        "Integration health",
        "Roadmap",
        "Milestone status",
        "Standing among peers",
        "Appendix",
        "SAMR answers per process",
        "Readiness answers",
        "Where the assessors differ",
        "How the figures are computed",
    ):
        assert re.search(re.escape(title) + r"[ .]*\d+", contents), title
        assert title in text
    summary = int(re.search(r"Executive summary[ .]*(\d+)", contents).group(1))
    assert "Executive summary" in reader.pages[summary - 1].extract_text()


def test_every_page_after_the_cover_says_page_x_of_y(report):
    reader = pdf_of(report)
    n = len(reader.pages)
    assert n == report.pages and n > 5
    for number, page in enumerate(reader.pages[1:], start=2):
        assert f"Page {number} of {n}" in page.extract_text()
    assert "Page 1 of" not in reader.pages[0].extract_text()


def test_the_summary_names_the_biggest_gaps_and_next_milestones(report, text, client_data):
    summary = re.sub(r"\s+", " ", pdf_of(report).pages[2].extract_text())
    assert "The three biggest gaps" in summary and "Press line 3 maintenance" in summary
    first = client_data["roadmap"].milestones.order_by("due_date", "position").first()
    assert first.title.split()[0] in summary
    assert "overdue" in summary


def test_evidence_health_roadmap_and_milestones(report, text, client_data):
    # Nothing is bound and no evidence accepted: the claimed levels are not verified.
    assert "2 of 2 processes claim more than checks and accepted evidence verify" in text
    assert "Press vibration to CMMS" in text and "Vibration sensors → CMMS" in text
    assert "Backs: Press line 3 maintenance" in text
    assert "vibration.rms" in text
    plan = client_data["roadmap"]
    assert plan.title in text
    for m in plan.milestones.all():
        assert m.title[:25] in text
    assert "Verified" in text and "freshness" in text.lower()


def test_a_report_without_a_roadmap_says_so(
    org, owner, framework, frozen, consultant, django_capture_on_commit_callbacks
):
    data = build_client_data(org, owner, framework, with_roadmap=False)
    report = build_report(consultant, data["current"], capture=django_capture_on_commit_callbacks)
    text = pdf_text(pdf_of(report))
    assert "No roadmap has been generated from this assessment yet." in text
    assert [p["name"] for p in report.figures["verification"]["processes"]] == [
        "Press line 3 maintenance",
        "Stock counts",
    ]


def test_the_appendix_has_every_answer_and_the_spread(report, text, client_data):
    figures = assessment_figures(client_data["current"])
    for p in figures.processes:
        for criterion in p.criteria:
            assert criterion.criterion.text[:40] in text
    assert "Olive: Fully" in text  # the owner's answers, by name


# --- The demo ---------------------------------------------------------------------------------


def test_reports_of_the_demo_assessment_build(db, django_capture_on_commit_callbacks):
    """The seeded demo's largest assessment builds (the one bench/report.py times)."""
    from accounts.demo import demo_accounts_create
    from accounts.models import User
    from assessments.demo import demo_assessments_create

    orgs = demo_accounts_create()
    demo_assessments_create(orgs)
    assessment = Assessment.objects.filter(organization=orgs["acme"]).first()
    consultant = User.objects.get(email="consultant@ladder.example")
    report = build_report(consultant, assessment, capture=django_capture_on_commit_callbacks)
    assert report.pages > 8
    # The consultant has four demo clients: Acme's report compares it with three peers.
    text = pdf_text(pdf_of(report))
    assert "Not enough peers" not in text
    standing = peer_standing(
        organization=orgs["acme"], figures=assessment_figures(assessment), user=consultant
    )
    assert standing.peers == 3
    enough = {r.name for r in standing.rows if r.enough}
    assert {"Finance and back office", "Logistics", "All areas"} <= enough
