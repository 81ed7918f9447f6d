"""The PDF's outcomes section, read back by text extraction against the outcome figures."""

from datetime import UTC, datetime, time, timedelta

import pytest

from assessments.models import OutcomeKpi
from assessments.roadmaps import editing
from assessments.roadmaps.outcomes import baselines_freeze, milestone_outcome
from integration.lineprotocol import Point
from integration.services import telemetry_ingest
from tests.assessments.conftest import NOW
from tests.assessments.report_pdfs import build_report, pdf_of, pdf_text

START = NOW.date() - timedelta(days=30)  # baseline: the 7 days before; done 10 days later


@pytest.fixture
def with_outcome(client_data, owner):
    integration = client_data["integration"]
    # 7 baseline days (mean 5), 11 days of work, the 7 days after done (mean 4)
    values = [4, 5, 6, 5, 4, 6, 5] + [9] * 11 + [4, 4, 3, 5, 4, 4, 4]
    first = START - timedelta(days=7)
    points = [
        Point("downtime.h", (), datetime.combine(first + timedelta(days=i), time(12), UTC), v)
        for i, v in enumerate(map(float, values))
    ]
    telemetry_ingest(integration=integration, points=points, now=NOW)
    kpi = OutcomeKpi.objects.create(
        organization=integration.organization,
        name="Unplanned downtime",
        benefit="predictive-maintenance",
        integration=integration,
        metric="downtime.h",
        aggregate="sum",
        unit="h",
        window_days=7,
    )
    milestone = client_data["roadmap"].milestones.order_by("position").last()
    changes = {"kpi": kpi, "start_date": START, "expected_change": -10, "effort_days": 12}
    changes["cost"] = 18500
    editing.milestone_update(milestone=milestone, user=owner, changes=changes, now=NOW)
    baselines_freeze(milestones=[milestone], now=NOW - timedelta(days=29))
    editing.milestone_status_set(
        milestone=milestone, user=owner, status="done", now=NOW - timedelta(days=20)
    )
    milestone.refresh_from_db()
    return milestone


def test_the_pdf_has_an_outcomes_section_with_the_figures(
    with_outcome, client_data, consultant, django_capture_on_commit_callbacks
):
    view = milestone_outcome(with_outcome, today=NOW.date())
    assert view.result.change == pytest.approx(-20)  # mean 5 to mean 4, worked out by hand
    report = build_report(
        consultant, client_data["current"], capture=django_capture_on_commit_callbacks
    )
    text = pdf_text(pdf_of(report))
    section = text[text.index("Outcomes What the milestones cost") :]
    assert view.summary in section
    assert "Unplanned downtime −20 % over 7 days, expected −10 %" in section
    assert view.interval in section
    assert "18,500" in section
    assert "5.00" in section and "4.00" in section
    snapshot = report.figures["outcomes"]
    assert snapshot == [
        {
            "title": with_outcome.title,
            "effort_days": "12.0",
            "cost": "18500.00",
            "outcome": view.summary,
            "interval": view.interval,
        }
    ]
