"""Fixtures and builders shared by the assessment tests.

Each section below serves a family of test files; a builder used by one file stays in it.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from assessments.models import (
    AcceptanceCriterion,
    Assessment,
    CriterionAgreement,
    CriterionAnswer,
    ExcludedDimension,
    FrameworkVersion,
    Milestone,
    Process,
    ProcessScore,
    ReadinessAgreement,
    ReadinessAnswer,
)
from assessments.roadmaps.generate import roadmap_generate
from integration.lineprotocol import Point
from integration.services import telemetry_ingest
from integration.services.integrations import integration_create
from tests.assessments.evidence_helpers import accept_evidence
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text, png_logo

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def framework(db):
    return FrameworkVersion.objects.shipped()


@pytest.fixture
def frozen():
    """The clock stopped at NOW, for code that takes the time itself."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_process(org, name="Press line 3 maintenance", area="manufacturing", value=3):
    return Process.objects.create(organization=org, name=name, area=area, business_value=value)


def make_assessment(org, framework, processes=(), **extra):
    assessment = Assessment.objects.create(
        organization=org, framework=framework, title=extra.pop("title", "Q4 baseline"), **extra
    )
    for process in processes:
        ProcessScore.objects.create(assessment=assessment, process=process)
    return assessment


def answer_levels(score, assessor, statuses_by_level):
    """Answer every criterion of the given levels with one status, e.g. {1: "fully"}."""
    framework = score.assessment.framework.definition
    for level, status in statuses_by_level.items():
        for criterion in framework.criteria_for(score.process.area, level):
            CriterionAnswer.objects.update_or_create(
                process_score=score,
                criterion_key=criterion.key,
                assessor=assessor,
                defaults={"status": status},
            )


def answer_dimension(assessment, assessor, dimension_key, it, ot):
    dimension = assessment.framework.definition.dimension(dimension_key)
    for question in dimension.questions:
        for side, value in (("it", it), ("ot", ot)):
            ReadinessAnswer.objects.update_or_create(
                assessment=assessment,
                question_key=question.key,
                side=side,
                assessor=assessor,
                defaults={"value": value},
            )


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


# --- An assessment to export and import (test_exchange_*) ------------------------------------


@pytest.fixture
def scored(org, framework, owner, member, consultant):
    """Three processes and readiness answered by three assessors who disagree here and there.

    The consultant is also a member of other_org; the owner and the member are not.
    """
    site = org.sites.get()
    press = make_process(org, "Press line", value=4)
    press.site, press.owner, press.description = site, owner, "Stamping, two shifts"
    press.save()
    stock = make_process(org, "Stock counts", area="retail", value=2)
    close = make_process(org, "Month-end close", area="finance", value=5)
    assessment = make_assessment(
        org, framework, [press, stock, close], site=site, assessed_on=date(2026, 11, 25)
    )
    scores = {s.process.name: s for s in assessment.process_scores.select_related("process")}
    definition = framework.definition

    press_score = scores["Press line"]
    press_score.target_level, press_score.rationale = 3, "Board wants predictive maintenance"
    press_score.evidence = "https://wiki.acme.test/press"
    press_score.save()
    answer_levels(press_score, owner, {1: "fully", 2: "largely", 3: "partial"})
    answer_levels(press_score, consultant, {1: "fully", 2: "largely", 3: "largely"})
    answer_levels(press_score, member, {2: "partial"})
    for criterion in definition.criteria_for("manufacturing", 2):
        CriterionAgreement.objects.create(
            process_score=press_score,
            criterion_key=criterion.key,
            status="largely",
            reason="Saw the MES feed",
            agreed_by=owner,
        )
    CriterionAnswer.objects.filter(process_score=press_score, assessor=owner).update(
        rationale="Checked on the floor", evidence_url="https://mes.acme.test/line3"
    )

    stock_score = scores["Stock counts"]
    answer_levels(stock_score, owner, {1: "fully"})
    CriterionAgreement.objects.create(
        process_score=stock_score,
        criterion_key=definition.criteria_for("retail", 2)[0].key,
        status="na",
        reason="No stores of our own",
        agreed_by=consultant,
    )

    close_score = scores["Month-end close"]
    close_score.target_level = 2
    close_score.save()
    answer_levels(close_score, consultant, {1: "fully"})

    answer_dimension(assessment, owner, "connectivity", it=3, ot=1)
    answer_dimension(assessment, consultant, "connectivity", it=3, ot=2)  # OT disputed
    answer_dimension(assessment, owner, "security", it=2, ot=2)
    answer_dimension(assessment, owner, "people-skills", it=4, ot=1)
    ReadinessAgreement.objects.create(
        assessment=assessment,
        question_key=definition.dimension("people-skills").questions[0].key,
        side="it",
        value=None,
        reason="No IT staff on site",
        agreed_by=owner,
    )
    answer_dimension(assessment, member, "collaboration", it=4, ot=0)
    ExcludedDimension.objects.create(
        assessment=assessment, dimension_key="collaboration", reason="No OT team yet"
    )
    return assessment


# --- A roadmap on its pages (test_roadmap_views_*) -------------------------------------------


@pytest.fixture
def assessment(org, framework, owner):
    """Press line 1 → 3 (value 5), Warehouse 0 → 1 (value 2); OT security at 1."""
    press = make_process(org, "Press line", value=5)
    warehouse = make_process(org, "Warehouse picking", area="logistics", value=2)
    assessment = make_assessment(org, framework, [press, warehouse], title="Spring")
    scores = {s.process.name: s for s in assessment.process_scores.select_related("process")}
    answer_levels(scores["Press line"], owner, {1: "fully"})
    accept_evidence(scores["Press line"], owner, [1])  # verified as claimed: priority × 1
    scores["Press line"].target_level = 3
    scores["Press line"].save()
    scores["Warehouse picking"].target_level = 1
    scores["Warehouse picking"].save()
    answer_dimension(assessment, owner, "security", it=3, ot=1)
    return assessment


@pytest.fixture
def roadmap(assessment, owner, member):
    """Segmentation and Press line 1 → 2 now, Press line 2 → 3 and Warehouse next; the member
    owns the Warehouse step."""
    roadmap = roadmap_generate(
        assessment=assessment, user=owner, start_date=timezone.localdate(), capacity=2
    )
    Milestone.objects.filter(roadmap=roadmap, key__startswith="step:", to_level=1).update(
        owner=member
    )
    return roadmap


# --- A client's data and its PDF report (test_report_*) ----------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """Reports are written to a temporary media folder, never the repository's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


@pytest.fixture
def report(client_data, consultant, django_capture_on_commit_callbacks):
    return build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )


@pytest.fixture
def text(report) -> str:
    return pdf_text(pdf_of(report))
