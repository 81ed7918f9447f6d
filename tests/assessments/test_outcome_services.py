"""A milestone's outcome on stored rows: the baseline frozen once the start date has passed
and never changed afterwards, the after window read from the rollups, edits refused."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from assessments.models import Milestone, OutcomeKpi, Roadmap
from assessments.roadmaps import editing, kpis
from assessments.roadmaps.outcomes import (
    BEFORE_START,
    COLLECTING,
    MEASURED,
    NOT_DONE,
    OutcomeFrozen,
    baselines_freeze,
    milestone_outcome,
    outcomes_of,
)
from audit.models import AuditEvent
from integration.lineprotocol import Point
from integration.models import HourRollup, Integration
from integration.services import telemetry_ingest
from tests.assessments.conftest import make_assessment

START = date(2026, 3, 1)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# The start date is a day of grace for late points: the baseline freezes the day after.
FREEZE = noon(START + timedelta(days=1))


@pytest.fixture
def integration(org):
    return Integration.objects.create(
        organization=org, name="Press line 3", created=noon(START) - timedelta(days=90)
    )


@pytest.fixture
def kpi(org, integration):
    return OutcomeKpi.objects.create(
        organization=org,
        name="Unplanned downtime",
        benefit="predictive-maintenance",
        integration=integration,
        metric="downtime.h",
        aggregate="sum",
        better="lower",
        window_days=7,
    )


@pytest.fixture
def milestone(org, framework, owner, kpi):
    assessment = make_assessment(org, framework, title="Spring")
    roadmap = Roadmap.objects.create(
        organization=org, title="Plan", assessment=assessment, framework=framework
    )
    return Milestone.objects.create(
        roadmap=roadmap,
        title="Condition monitoring",
        kpi=kpi,
        start_date=START,
        expected_change=-10,
    )


def daily(integration, first: date, values):
    """One point a day at noon: a day's sum is its value."""
    points = [
        Point("downtime.h", (), noon(first + timedelta(days=i)), float(v))
        for i, v in enumerate(values)
    ]
    telemetry_ingest(integration=integration, points=points, now=noon(first) + timedelta(days=60))


def test_baseline_is_not_frozen_before_the_start_date(milestone, integration):
    daily(integration, START - timedelta(days=7), [4, 5, 6, 5, 4, 6, 5])
    assert baselines_freeze(milestones=[milestone], now=noon(START) - timedelta(days=1)) == 0
    assert milestone_outcome(milestone, today=START - timedelta(days=1)).state == BEFORE_START


def test_baseline_frozen_once_is_kept_whatever_happens_to_the_data(milestone, integration):
    daily(integration, START - timedelta(days=7), [4, 5, 6, 5, 4, 6, 5])
    assert baselines_freeze(milestones=[milestone], now=FREEZE) == 1
    milestone.refresh_from_db()
    expected = {
        (START - timedelta(days=7 - i)).isoformat(): v for i, v in enumerate([4, 5, 6, 5, 4, 6, 5])
    }
    assert milestone.baseline == expected
    assert milestone.baseline_frozen == FREEZE
    event = AuditEvent.objects.get(action="baseline")
    assert event.after["baseline_days"] == 7

    daily(integration, START - timedelta(days=3), [50])  # backfilled later
    HourRollup.objects.filter(bucket__lt=noon(START - timedelta(days=5))).delete()  # retention
    assert baselines_freeze(milestones=[milestone], now=FREEZE + timedelta(days=1)) == 0
    stale = Milestone.objects.get(pk=milestone.pk)
    assert baselines_freeze(milestones=[stale], now=FREEZE + timedelta(days=2)) == 0
    milestone.refresh_from_db()
    assert milestone.baseline == expected
    assert AuditEvent.objects.filter(action="baseline").count() == 1


def test_after_window_is_compared_with_the_frozen_baseline(milestone, integration, owner):
    daily(integration, START - timedelta(days=7), [4, 5, 6, 5, 4, 6, 5])  # mean 5
    baselines_freeze(milestones=[milestone], now=FREEZE)
    milestone.refresh_from_db()
    assert milestone_outcome(milestone, today=START + timedelta(days=3)).state == NOT_DONE
    done = noon(START + timedelta(days=10))
    editing.milestone_status_set(milestone=milestone, user=owner, status="done", now=done)
    first = START + timedelta(days=11)
    assert milestone_outcome(milestone, today=first).state == COLLECTING
    daily(integration, first, [4, 4, 3, 5, 4, 4, 4])  # mean 4: -20 %
    view = milestone_outcome(milestone, today=first + timedelta(days=7))
    assert view.state == MEASURED
    assert view.complete
    assert view.result.before_mean == 5
    assert view.result.after_mean == 4
    assert view.result.change == pytest.approx(-20)
    assert view.summary == "Benefit realised: Unplanned downtime −20 % over 7 days, expected −10 %"
    interim = milestone_outcome(milestone, today=first + timedelta(days=5))
    assert interim.result.after_days == 5
    assert interim.summary.endswith("(interim)")


def test_outcomes_of_freezes_and_skips_milestones_without_a_kpi(milestone, integration):
    daily(integration, START - timedelta(days=7), [4, 5, 6, 5, 4, 6, 5])
    other = Milestone.objects.create(roadmap=milestone.roadmap, title="No KPI")
    found = outcomes_of(milestones=[milestone, other], now=noon(START) + timedelta(days=1))
    assert list(found) == [milestone.pk]
    assert Milestone.objects.get(pk=milestone.pk).baseline_frozen is not None


def test_kpi_start_date_and_expected_change_cannot_change_once_the_baseline_is_frozen(
    milestone, owner, kpi
):
    other = OutcomeKpi.objects.create(
        organization=kpi.organization,
        name="Energy",
        benefit="efficiency",
        integration=kpi.integration,
        metric="kwh",
    )
    editing.milestone_update(milestone=milestone, user=owner, changes={"kpi": other})
    baselines_freeze(milestones=[milestone], now=FREEZE)
    changed = ({"kpi": kpi}, {"start_date": START + timedelta(days=1)}, {"expected_change": -2.0})
    for changes in changed:
        with pytest.raises(OutcomeFrozen):
            editing.milestone_update(milestone=milestone, user=owner, changes=changes)
    labels = editing.milestone_update(
        milestone=milestone, user=owner, changes={"expected_change": -10.0, "cost": 1200}
    )
    assert len(labels) == 1  # the same expected change is no change
    assert Milestone.objects.get(pk=milestone.pk).expected_change == -10


def test_the_periodic_command_freezes_the_baselines_now_due(milestone, integration):
    daily(integration, START - timedelta(days=7), [4, 5, 6, 5, 4, 6, 5])
    out = StringIO()
    with time_machine.travel(noon(START) - timedelta(days=1), tick=False):
        call_command("milestones_verify", stdout=out)
    assert "0 outcome baselines frozen." in out.getvalue()
    with time_machine.travel(datetime(2026, 3, 1, 23, 59, tzinfo=UTC), tick=False):
        call_command("milestones_verify", stdout=out)  # the start date: a day of grace
    assert "1 outcome baseline frozen." not in out.getvalue()
    with time_machine.travel(datetime(2026, 3, 2, 0, 1, tzinfo=UTC), tick=False):
        call_command("milestones_verify", stdout=out)
    assert "1 outcome baseline frozen." in out.getvalue()
    assert len(Milestone.objects.get(pk=milestone.pk).baseline) == 7


def test_a_late_point_for_the_baselines_last_day_counts_on_the_start_date(milestone, integration):
    daily(integration, START - timedelta(days=7), [4, 5, 6, 5, 4, 6])  # the last day comes late
    assert baselines_freeze(milestones=[milestone], now=noon(START)) == 0
    daily(integration, START - timedelta(days=1), [5])  # a buffered device sends it on the day
    assert baselines_freeze(milestones=[milestone], now=FREEZE) == 1
    milestone.refresh_from_db()
    assert milestone.baseline[(START - timedelta(days=1)).isoformat()] == 5


def test_reopening_and_closing_again_does_not_move_the_after_window(milestone, integration, owner):
    baselines_freeze(milestones=[milestone], now=FREEZE)
    milestone.refresh_from_db()
    first_done = noon(START + timedelta(days=10))
    editing.milestone_status_set(milestone=milestone, user=owner, status="done", now=first_done)
    window = milestone_outcome(milestone, today=START + timedelta(days=12)).after
    assert window.start == START + timedelta(days=11)
    event = AuditEvent.objects.get(action="outcome")
    assert event.after == {"outcome_from": (START + timedelta(days=10)).isoformat()}
    reopened = first_done + timedelta(days=1)
    editing.milestone_status_set(
        milestone=milestone, user=owner, status="in_progress", now=reopened
    )
    again = first_done + timedelta(days=20)
    editing.milestone_status_set(milestone=milestone, user=owner, status="done", now=again)
    milestone = Milestone.objects.get(pk=milestone.pk)
    assert milestone.completed == again
    assert milestone_outcome(milestone, today=START + timedelta(days=40)).after == window
    assert AuditEvent.objects.filter(action="outcome").count() == 1


def test_done_before_the_baseline_froze_counts_from_the_day_it_was_done(milestone, owner):
    done = noon(START - timedelta(days=2))
    editing.milestone_status_set(milestone=milestone, user=owner, status="done", now=done)
    baselines_freeze(milestones=[milestone], now=FREEZE)
    assert Milestone.objects.get(pk=milestone.pk).outcome_from == done.date()


def test_a_kpi_with_a_frozen_baseline_keeps_what_it_is_compared_through(milestone, owner, kpi):
    other = Integration.objects.create(organization=kpi.organization, name="Press line 4")
    changes = {
        "better": "higher",
        "integration": other,
        "metric": "downtime.min",
        "aggregate": "avg",
        "window_days": 30,
    }
    kpis.kpi_update(kpi=kpi, user=owner, changes={"window_days": 14})  # not frozen yet
    kpis.kpi_update(kpi=kpi, user=owner, changes={"window_days": 7})
    baselines_freeze(milestones=[milestone], now=FREEZE)
    for name, value in changes.items():
        with pytest.raises(kpis.KpiFrozen) as refused:
            kpis.kpi_update(kpi=kpi, user=owner, changes={name: value})
        assert refused.value.fields == [name]
        assert "Condition monitoring" in str(refused.value)
    kept = OutcomeKpi.objects.get(pk=kpi.pk)
    assert (kept.better, kept.integration_id, kept.window_days) == ("lower", kpi.integration_id, 7)
    kpis.kpi_update(
        kpi=kept, user=owner, changes={"name": "Downtime", "unit": "h", "better": "lower"}
    )
    assert OutcomeKpi.objects.get(pk=kpi.pk).name == "Downtime"
