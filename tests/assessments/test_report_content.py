"""The PDF report: its sections, its figures (read back from the PDF's text), its branding,
metadata, fonts and the PDF/A variant. Builders here are shared by the other report tests."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from accounts.models import Membership, Organization, Role
from assessments.figures import assessment_figures
from assessments.models import AcceptanceCriterion, Assessment, Report
from assessments.reports.content import report_content
from assessments.reports.render import report_html, report_request
from assessments.roadmaps import roadmap_generate
from assessments.scoring import format_figure
from integration.lineprotocol import Point
from integration.services import telemetry_ingest
from integration.services.integrations import integration_create
from tests.assessments.conftest import (
    answer_dimension,
    answer_levels,
    make_assessment,
    make_process,
)
from tests.conftest import make_user

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Reports are written to a temporary media folder, never the repository's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def png_logo(colour=(200, 30, 30)) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="logo.png")


def scored_assessment(org, framework, assessor, processes, *, levels, title, **extra):
    """An assessment of `processes` where each reaches levels[name] (all criteria fully met up
    to it) and targets levels[name] + 2 (at most 4)."""
    assessment = make_assessment(org, framework, processes, title=title, **extra)
    for score in assessment.process_scores.select_related("process"):
        level = levels[score.process.name]
        answer_levels(score, assessor, {lv: "fully" for lv in range(1, level + 1)})
        if level < 4:
            answer_levels(score, assessor, {level + 1: "not"})
        score.target_level = min(level + 2, 4)
        score.save()
    return assessment


def build_client_data(org, owner, framework, *, with_roadmap=True, now=NOW):
    """A final baseline and a current assessment of two processes, readiness on four
    dimensions, an integration with telemetry backing one process, a roadmap with a criterion."""
    press = make_process(org, "Press line 3 maintenance", value=5)
    stock = make_process(org, "Stock counts", area="logistics", value=3)
    baseline = scored_assessment(
        org,
        framework,
        owner,
        [press, stock],
        levels={press.name: 1, stock.name: 0},
        title="Baseline",
        assessed_on=date(2026, 8, 1),
    )
    answer_dimension(baseline, owner, "connectivity", it=2, ot=1)
    baseline.finalize(now=now - timedelta(days=100))
    current = scored_assessment(
        org,
        framework,
        owner,
        [press, stock],
        levels={press.name: 2, stock.name: 1},
        title="Q4 review",
        assessed_on=date(2026, 11, 20),
    )
    answer_dimension(current, owner, "connectivity", it=3, ot=1)
    answer_dimension(current, owner, "security", it=2, ot=3)
    answer_dimension(current, owner, "integration-architecture", it=2, ot=2)
    answer_dimension(current, owner, "collaboration", it=4, ot=2)
    integration, _ = integration_create(
        organization=org,
        name="Press vibration to CMMS",
        interval_seconds=300,
        source_system="Vibration sensors",
        target_system="CMMS",
        now=now - timedelta(days=2),
    )
    points = [
        Point("vibration.rms", (), now - timedelta(minutes=5 * i), 2.0 + (i % 7) / 10)
        for i in range(0, 240)
    ]
    telemetry_ingest(integration=integration, points=points, now=now)
    press.integrations.add(integration)
    roadmap = None
    if with_roadmap:
        roadmap = roadmap_generate(
            assessment=current, user=owner, start_date=date(2026, 11, 1), capacity=3, now=now
        )
        first = roadmap.milestones.order_by("position").first()
        first.due_date = date(2026, 11, 10)  # overdue at NOW
        first.save()
        AcceptanceCriterion.objects.create(
            milestone=first, integration=integration, kind="freshness", threshold=600
        )
    return {
        "baseline": baseline,
        "current": current,
        "integration": integration,
        "roadmap": roadmap,
        "press": press,
        "stock": stock,
    }


@pytest.fixture
def client_data(org, owner, framework, frozen):
    org.brand_colour = "#0f766e"
    org.logo.save("logo.png", png_logo(), save=True)
    return build_client_data(org, owner, framework)


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


@pytest.fixture
def report(client_data, consultant, django_capture_on_commit_callbacks):
    return build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )


@pytest.fixture
def text(report) -> str:
    return pdf_text(pdf_of(report))


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
        "Claims not backed by live data",
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
    # Stock counts claims level 1 only: nothing to back; press has a live integration.
    assert "Every process at level 2 or above has at least one integration up." in text
    assert "Press vibration to CMMS" in text and "Vibration sensors → CMMS" in text
    assert "Backs: Press line 3 maintenance" in text
    assert "vibration.rms" in text
    plan = client_data["roadmap"]
    assert plan.title in text
    for m in plan.milestones.all():
        assert m.title[:25] in text
    assert "Verified" in text and "freshness" in text.lower()


def test_a_process_without_live_data_is_flagged(
    org, owner, framework, frozen, consultant, django_capture_on_commit_callbacks
):
    data = build_client_data(org, owner, framework, with_roadmap=False)
    data["press"].integrations.clear()
    report = build_report(consultant, data["current"], capture=django_capture_on_commit_callbacks)
    text = pdf_text(pdf_of(report))
    assert "Press line 3 maintenance · level 2 Augmentation" in text
    assert "is not backed by live data: no integration is linked to this process" in text
    assert "No roadmap has been generated from this assessment yet." in text
    assert report.figures["evidence"] == ["Press line 3 maintenance"]


def test_the_appendix_has_every_answer_and_the_spread(report, text, client_data):
    figures = assessment_figures(client_data["current"])
    for p in figures.processes:
        for criterion in p.criteria:
            assert criterion.criterion.text[:40] in text
    assert "Olive: Fully" in text  # the owner's answers, by name


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


# --- Peers ------------------------------------------------------------------------------------


def _peer_org(slug, consultant, framework, level):
    org = Organization.objects.create(name=f"Peer {slug}", slug=slug)
    Membership.objects.create(user=consultant, organization=org, role=Role.CONSULTANT)
    owner = make_user(f"owner@{slug}.test", org, Role.OWNER)
    process = make_process(org, "Press line", value=2)
    assessment = scored_assessment(
        org, framework, owner, [process], levels={"Press line": level}, title="Final"
    )
    answer_dimension(assessment, owner, "connectivity", it=2, ot=2)
    assessment.finalize()
    return org


def test_with_fewer_than_three_peers_the_report_says_so(report, text, other_org):
    assert "Not enough peers" in text and "fewer than 3" in text
    assert other_org.name not in text


def test_peers_are_shown_as_means_only(
    client_data, consultant, framework, django_capture_on_commit_callbacks
):
    peers = [
        _peer_org(f"peer{i}", consultant, framework, level) for i, level in enumerate([1, 2, 4])
    ]
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    text = pdf_text(pdf_of(report))
    # manufacturing: own press at 2 (only manufacturing process), peers 1, 2, 4: mean 2.33
    assert "Manufacturing SAMR index 2.00 3 2.33 −0.33" in text
    for peer in peers:
        assert peer.name not in text
    rows = {r["name"] + r["measure"]: r for r in report.figures["peers"]}
    assert rows["ManufacturingSAMR index"]["mean"] == "2.33"
    assert rows["LogisticsSAMR index"]["mean"] == "not enough peers"


# --- Comparison -------------------------------------------------------------------------------


def test_comparison_report_shows_what_changed(
    client_data, consultant, django_capture_on_commit_callbacks
):
    report = build_report(
        consultant,
        client_data["current"],
        compared_to=client_data["baseline"],
        capture=django_capture_on_commit_callbacks,
    )
    assert report.kind == Report.Kind.COMPARISON
    text = pdf_text(pdf_of(report))
    before = assessment_figures(client_data["baseline"])
    after = assessment_figures(client_data["current"])
    delta = format_figure(after.samr_index - before.samr_index)
    assert (
        f"SAMR index {format_figure(before.samr_index)} {format_figure(after.samr_index)} +{delta}"
        in text
    )
    assert "Press line 3 maintenance 1 2 +1" in text
    assert "Stock counts 0 1 +1" in text
    assert "Most improved" in text and "Most concerning" in text
    assert "Connectivity and data access 2.00 3.00 +1.00 1.00 1.00 0.00" in text
    assert report.figures["compared_to"]["id"] == client_data["baseline"].pk


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
