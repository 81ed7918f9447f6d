"""The board pack: two pages whatever the organisation, its figures those of the figures module
(read back from the PDF's text), DRAFT on every page of a draft, the same access as a report.
Also the full report's optional appendix."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from assessments.figures import assessment_figures
from assessments.models import Assessment, Milestone, Report
from assessments.reports.board import NEXT_MILESTONES_SHOWN, RISKS_SHOWN
from assessments.reports.tasks import ReportRefused, report_request
from assessments.roadmaps.generate import roadmap_generate
from assessments.scoring import format_figure
from assessments.verified.status import assessment_verification
from integration.lineprotocol import Point
from integration.services import telemetry_ingest
from integration.services.integrations import integration_create
from tests.assessments.conftest import (
    NOW,
    answer_dimension,
    build_client_data,
    make_process,
    scored_assessment,
)
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("media")


def board(user, assessment, capture, **extra) -> Report:
    report = build_report(user, assessment, capture=capture, board=True, **extra)
    assert report.kind == Report.Kind.BOARD
    return report


def page_texts(report) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pdf_of(report).pages]


def assert_two_pages(report) -> str:
    assert report.pages == 2
    pages = page_texts(report)
    assert len(pages) == 2
    assert "Where we stand" in pages[0] and "The plan and the decisions" in pages[1]
    return " ".join(pages)


# --- Figures ----------------------------------------------------------------------------------


@pytest.fixture
def pack(client_data, consultant, django_capture_on_commit_callbacks):
    return board(consultant, client_data["current"], django_capture_on_commit_callbacks)


def test_the_pack_is_two_pages_and_its_figures_are_the_figures_modules(pack, client_data):
    text = assert_two_pages(pack)
    figures = assessment_figures(client_data["current"])
    before = assessment_figures(client_data["baseline"])
    verified = assessment_verification(figures, now=NOW).verified_index
    samr, target = format_figure(figures.samr_index), format_figure(figures.target_index)
    change = format_figure(figures.samr_index - before.samr_index)
    assert f"stands at {samr} of 4 on the SAMR ladder" in text
    assert f"{format_figure(verified)} of it verified by live data or evidence" in text
    assert f"against a target of {target}" in text
    assert f"SAMR INDEX {samr} claimed, of 4 · target {target}" in text
    assert f"VERIFIED {format_figure(verified)} of 4" in text
    assert f"SINCE LAST FINAL +{change} from {format_figure(before.samr_index)}" in text
    assert f"READINESS {format_figure(figures.overall_readiness)} of 4, IT and OT" in text
    assert f"IT/OT GAP {format_figure(figures.convergence_gap)} mean difference" in text
    for d in figures.dimensions:
        row = " ".join(
            [d.dimension.name] + [format_figure(getattr(d.figures, f)) for f in ("it", "ot", "gap")]
        )
        assert row in text, row
    # both processes have a gap; the larger weight × value first
    press, stock = (
        next(p for p in figures.processes if p.process.name == n)
        for n in ("Press line 3 maintenance", "Stock counts")
    )
    gaps = text.split("The three biggest gaps")[1]
    assert f"Press line 3 maintenance {press.current} → {press.target} 5 of 5" in gaps
    assert gaps.index("Press line 3 maintenance") < gaps.index("Stock counts")
    # kept with the report as printed
    assert pack.figures["headline"]["samr_index"] == samr
    assert pack.figures["verified_index"] == format_figure(verified)
    assert pack.figures["samr_change"] == f"+{change}"
    assert pack.figures["biggest_gaps"] == ["Press line 3 maintenance", "Stock counts"]


def test_the_pack_names_the_risks_and_the_plan(pack, client_data):
    pages = page_texts(pack)
    roadmap = client_data["roadmap"]
    overdue = roadmap.milestones.order_by("position").first()
    assert "Overdue milestones: 1" in pages[0] and overdue.title in pages[0]
    assert "due 10 Nov 2026" in pages[0]
    assert "Integrations down: 0" in pages[0]
    assert pack.figures["overdue"] == [overdue.title]
    for phase in pack.figures["phases"]:
        assert f"{phase['projected']}" in pages[1]
    assert "Decisions asked of the board" in pages[1]
    assert "Agree new dates or more resources for 1 overdue milestone." in pages[1]
    assert pack.figures["kind"] == "board"


# --- DRAFT ------------------------------------------------------------------------------------


def test_a_drafts_pack_says_draft_on_every_page(pack):
    assert pack.assessment_state == "draft"
    assert all("DRAFT" in page for page in page_texts(pack))


def test_a_finals_pack_does_not_say_draft(
    client_data, consultant, django_capture_on_commit_callbacks
):
    final = client_data["baseline"]  # no earlier final, no roadmap; archived as PDF/A
    report = board(consultant, final, django_capture_on_commit_callbacks, archival=True)
    text = assert_two_pages(report)
    assert "DRAFT" not in text
    assert "SINCE LAST FINAL – no earlier final" in text
    assert "No roadmap has been generated from this assessment yet." in text
    assert "Ask for a roadmap from this assessment." in text


# --- Edge cases: still two pages --------------------------------------------------------------


def test_without_a_roadmap_the_pack_is_two_pages(
    org, owner, framework, frozen, consultant, django_capture_on_commit_callbacks
):
    data = build_client_data(org, owner, framework, with_roadmap=False)
    report = board(consultant, data["current"], django_capture_on_commit_callbacks)
    text = assert_two_pages(report)
    assert "Overdue milestones: 0 No roadmap yet." in text
    assert "Ask for a roadmap from this assessment." in text


def test_an_unanswered_assessment_alone_is_two_pages(
    org, owner, framework, frozen, django_capture_on_commit_callbacks
):
    assessment = Assessment.objects.create(organization=org, framework=framework, title="Empty")
    report = board(owner, assessment, django_capture_on_commit_callbacks)
    text = assert_two_pages(report)
    assert "No process of this assessment is scored yet" in text
    assert "no earlier final" in text and "No process is scored yet." in text
    assert "No integrations yet." in text and "Nothing claimed yet." in text


def test_a_large_organisation_is_capped_to_two_pages(
    org, owner, framework, frozen, django_capture_on_commit_callbacks
):
    """Forty processes, eight integrations down, half the milestones overdue; every name as
    long as it may be."""
    org.name = long("Organisation", 120)
    org.save()
    processes = [
        make_process(org, long(f"Process {i:02}", 150), value=1 + i % 5) for i in range(40)
    ]
    assessment = scored_assessment(
        org,
        framework,
        owner,
        processes,
        levels={p.name: i % 3 for i, p in enumerate(processes)},
        title=long("Everything at once", 130),  # its roadmap is "Roadmap from …", 150 at most
        assessed_on=date(2026, 11, 20),
    )
    for key in ("connectivity", "security", "collaboration"):
        answer_dimension(assessment, owner, key, it=3, ot=1)
    for i in range(8):
        integration, _ = integration_create(
            organization=org,
            name=long(f"Integration {i} that stopped", 120),
            interval_seconds=300,
            now=NOW - timedelta(days=3),
        )
        telemetry_ingest(
            integration=integration,
            points=[Point("x", (), NOW - timedelta(days=2), 1.0)],
            now=NOW - timedelta(days=2),
        )
    roadmap = roadmap_generate(
        assessment=assessment, user=owner, start_date=date(2026, 6, 1), capacity=20, now=NOW
    )
    ids = list(roadmap.milestones.order_by("position").values_list("pk", flat=True))
    for pk in ids:
        Milestone.objects.filter(pk=pk).update(title=long(f"Milestone {pk}", 200))
    roadmap.title = long("Roadmap", 150)
    roadmap.save()
    half = len(ids) // 2
    Milestone.objects.filter(pk__in=ids[:half]).update(due_date=date(2026, 11, 1))
    Milestone.objects.filter(pk__in=ids[half:]).update(due_date=date(2027, 3, 1))
    Milestone.objects.filter(pk=roadmap.milestones.first().pk).update(
        status=Milestone.Status.BLOCKED
    )
    assert half > RISKS_SHOWN and len(ids) - half > NEXT_MILESTONES_SHOWN

    report = board(owner, assessment, django_capture_on_commit_callbacks)
    pages = page_texts(report)
    assert len(pages) == 2 and report.pages == 2
    # Stored under a name the field holds (PostgreSQL refused the long download name).
    assert len(report.file.name) <= Report._meta.get_field("file").max_length
    assert "Integrations down: 8" in pages[0] and f"and {8 - RISKS_SHOWN} more" in pages[0]
    assert f"Overdue milestones: {half}" in pages[0]
    assert f"and {half - RISKS_SHOWN} more" in pages[0]
    upcoming = len(ids) - half
    assert f"And {upcoming - NEXT_MILESTONES_SHOWN} more open milestones" in pages[1]
    # The last lines of each page are there, not clipped.
    assert "Unverified claims" in pages[0]
    assert "Unblock 1 milestone. Blocked: “Milestone" in pages[1]
    assert f"Agree new dates or more resources for {half} overdue milestones." in pages[1]
    assert "Fund the repair of 8 integrations sending no data." in pages[1]
    assert all("DRAFT" in page for page in pages)
    assert "Approve the later phase from 28 Nov 2026" in pages[1]
    assert "Confidential" in pages[1]


def long(start: str, length: int) -> str:
    """`start`, then words up to `length` characters (a name at its field's limit)."""
    return (start + " and a very long description" * 20)[:length].strip()


def test_every_demo_organisations_pack_is_two_pages(db, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assessments = list(Assessment.objects.select_related("organization"))
    assert {a.organization.slug for a in assessments} >= {"acme", "kestrel", "atlas", "northwind"}
    for assessment in assessments:
        owner = assessment.organization.memberships.filter(role="owner").first().user
        report = board(owner, assessment, django_capture_on_commit_callbacks)
        pages = page_texts(report)
        assert len(pages) == 2, assessment
        figures = assessment_figures(assessment)
        assert f"stands at {format_figure(figures.samr_index)} of 4" in pages[0]
        draft = assessment.state != Assessment.State.FINAL
        assert all(("DRAFT" in page) == draft for page in pages), assessment


# --- Asking for it: permissions and tenancy -------------------------------------------------


def list_url(org):
    return reverse("assessments:report-list", args=[org.slug])


def test_a_member_asks_for_a_board_pack_on_the_reports_page(
    member, org, client_data, django_capture_on_commit_callbacks
):
    page = client_for(member).get(list_url(org)).content.decode()
    assert "Board pack: two pages for the board" in page
    data = {"assessment": client_data["current"].pk, "kind": "board"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member).post(list_url(org), data)
    report = Report.objects.get()
    assert response.status_code == 302
    assert (report.kind, report.state, report.pages) == ("board", "ready", 2)
    assert report.download_name().startswith(f"{org.slug}-board-pack-")
    detail = client_for(member).get(
        reverse("assessments:report-detail", args=[org.slug, report.pk])
    )
    assert "Board pack" in detail.content.decode()


def test_a_board_pack_compares_nothing(owner, org, client_data):
    data = {
        "assessment": client_data["current"].pk,
        "compared_to": client_data["baseline"].pk,
        "kind": "board",
    }
    response = client_for(owner).post(list_url(org), data)
    assert response.status_code == 400 and "A board pack covers one assessment" in (
        response.content.decode()
    )
    with pytest.raises(ReportRefused):
        report_request(
            organization=org,
            user=owner,
            assessment=client_data["current"],
            compared_to=client_data["baseline"],
            board=True,
        )
    assert not Report.objects.exists()


def test_another_organisations_board_pack_is_a_404(
    outsider, other_org, owner, org, pack, framework
):
    for name in ("report-detail", "report-download"):
        url = reverse(f"assessments:{name}", args=[org.slug, pack.pk])
        assert client_for(outsider).get(url).status_code == 404
        # nor through the outsider's own organisation's address
        theirs = reverse(f"assessments:{name}", args=[other_org.slug, pack.pk])
        assert client_for(outsider).get(theirs).status_code == 404
    theirs = Assessment.objects.create(organization=other_org, framework=framework, title="T")
    response = client_for(owner).post(list_url(org), {"assessment": theirs.pk, "kind": "board"})
    assert response.status_code == 400
    assert Report.objects.filter(kind="board").count() == 1


def test_a_viewer_cannot_ask_for_a_board_pack(viewer, org, client_data):
    data = {"assessment": client_data["current"].pk, "kind": "board"}
    assert client_for(viewer).post(list_url(org), data).status_code == 403


# --- The full report's optional appendix ------------------------------------------------------


def test_the_appendix_is_on_by_default_and_can_be_left_out(
    owner, org, client_data, django_capture_on_commit_callbacks
):
    page = client_for(owner).get(list_url(org)).content.decode()
    assert 'id="id_appendix" checked' in page
    assessment = client_data["current"]
    reports = {}
    for appendix in (True, False):
        data = {"assessment": assessment.pk, **({"appendix": "on"} if appendix else {})}
        with django_capture_on_commit_callbacks(execute=True):
            client_for(owner).post(list_url(org), data)
        reports[appendix] = Report.objects.order_by("-pk").first()
    assert reports[True].appendix and not reports[False].appendix
    with_it, without = (pdf_text(pdf_of(reports[k])) for k in (True, False))
    assert "A. SAMR answers per process" in with_it
    assert "A. SAMR answers per process" not in without
    assert "How the figures are computed" not in without
    assert reports[False].pages < reports[True].pages
