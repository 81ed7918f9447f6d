"""Acceptance criteria against telemetry stored by the ingest service, with the clock frozen:
each kind passing and failing, the edges of its window, staleness, the periodic command."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from assessments.models import AcceptanceCriterion, Milestone, Roadmap
from assessments.roadmaps import acceptance
from assessments.roadmaps.acceptance import (
    STALE_AFTER,
    criteria_refresh,
    criteria_verify,
    criterion_add,
    criterion_check,
    criterion_remove,
    criterion_update,
)
from audit.models import AuditEvent
from integration.lineprotocol import Point
from integration.models import Integration, Metric
from integration.services import telemetry_ingest, telemetry_ping
from tests.assessments.conftest import NOW, make_assessment

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def milestone(org, framework, owner):
    assessment = make_assessment(org, framework, title="Spring")
    roadmap = Roadmap.objects.create(
        organization=org, title="Plan", assessment=assessment, framework=framework
    )
    return Milestone.objects.create(
        roadmap=roadmap, title="Connect press line 3", owner=owner, due_date=date(2026, 12, 1)
    )


@pytest.fixture
def hourly(org):
    """An integration expected to report every hour, created long before the windows."""
    return Integration.objects.create(
        organization=org,
        name="Press line 3 vibration",
        interval_seconds=3600,
        created=NOW - 60 * DAY,
    )


def ingest(integration, metric, points, now=NOW):
    telemetry_ingest(
        integration=integration,
        points=[Point(metric, (), ts, float(value)) for ts, value in points],
        now=now,
    )


def criterion(milestone, integration, **fields):
    return AcceptanceCriterion.objects.create(
        milestone=milestone, integration=integration, **fields
    )


def check(c, now=NOW):
    return criterion_check(criterion=c, now=now)


# --- Uptime ------------------------------------------------------------------------------------


def hours_before(now, hours):
    return [now - timedelta(hours=h) for h in range(1, hours + 1)]


def test_uptime_passes_when_every_interval_had_data(milestone, hourly):
    ingest(hourly, "vibration.rms", [(ts, 1.2) for ts in hours_before(NOW, 24)])
    result = check(criterion(milestone, hourly, kind="uptime", window_days=1, threshold=99.5))
    assert result.passed
    assert result.explanation == "uptime 100 % over 1 day ≥ 99.5 %"


def test_uptime_fails_when_an_interval_was_missed(milestone, hourly):
    ingest(hourly, "vibration.rms", [(ts, 1.2) for ts in hours_before(NOW, 24)[1:]])
    c = criterion(milestone, hourly, kind="uptime", window_days=1, threshold=96)
    result = check(c)
    assert (result.passed, round(result.value, 2)) == (False, 95.83)
    assert result.explanation == "uptime 95.8 % over 1 day; needs ≥ 96 %"
    c.refresh_from_db()
    assert (c.last_passed, c.last_checked, c.last_explanation) == (False, NOW, result.explanation)


def test_uptime_counts_a_point_at_the_window_start_but_not_one_a_second_before(milestone, hourly):
    inside = hours_before(NOW, 23)
    ingest(hourly, "vibration.rms", [(ts, 1.0) for ts in inside] + [(NOW - DAY - SECOND, 1.0)])
    c = criterion(milestone, hourly, kind="uptime", window_days=1, threshold=100)
    assert not check(c).passed  # the first hour [now - 1 day, + 1 h) had nothing
    ingest(hourly, "vibration.rms", [(NOW - DAY, 1.0)])
    assert check(c).passed


def test_heartbeats_count_as_data_for_uptime(milestone, hourly):
    for ts in hours_before(NOW, 24):
        telemetry_ping(integration=hourly, now=ts)
    assert check(criterion(milestone, hourly, kind="uptime", window_days=1, threshold=100)).passed


def test_uptime_of_a_young_integration_counts_from_its_creation(milestone, hourly):
    hourly.created = NOW - timedelta(hours=12)
    hourly.save()
    ingest(hourly, "vibration.rms", [(ts, 1.0) for ts in hours_before(NOW, 12)])
    result = check(criterion(milestone, hourly, kind="uptime", window_days=30, threshold=99))
    assert result.passed
    assert "counted since it was created 12 h ago" in result.explanation


# --- Freshness ---------------------------------------------------------------------------------


def test_freshness_passes_up_to_the_limit_and_fails_after(milestone, hourly, frozen):
    ingest(hourly, "vibration.rms", [(NOW - timedelta(seconds=60), 1.0)])
    c = criterion(milestone, hourly, kind="freshness", threshold=60)
    assert check(c).explanation == "last data 60 s ago ≤ 60 s"
    frozen.shift(SECOND)
    result = check(c, now=NOW + SECOND)
    assert (result.passed, result.value) == (False, 61.0)


def test_freshness_fails_when_nothing_was_ever_received(milestone, hourly):
    result = check(criterion(milestone, hourly, kind="freshness", threshold=60))
    assert (result.passed, result.explanation) == (False, "no data received yet; needs ≤ 60 s")


# --- Aggregate ---------------------------------------------------------------------------------

LATER = NOW + timedelta(minutes=30, seconds=30)  # the window's edges fall inside minutes


def aggregate(milestone, integration, how, comparison, threshold, days=1):
    return criterion(
        milestone,
        integration,
        kind="aggregate",
        metric="bearing.temperature",
        aggregate=how,
        comparison=comparison,
        threshold=threshold,
        window_days=days,
    )


@pytest.fixture
def temperatures(hourly, frozen):
    """Three points in the window read by each of its three reads, and one just before it."""
    frozen.move_to(LATER)
    start = LATER - DAY + timedelta(seconds=30)  # the first whole minute of the window
    ingest(
        hourly,
        "bearing.temperature",
        [
            (start - SECOND, 1000),  # before the window
            (start, 10),  # its first minute (a minute read)
            (NOW - timedelta(hours=12), 20),  # an hour read
            (LATER - timedelta(seconds=20), 30),  # the current minute
        ],
        now=LATER,
    )
    Metric.objects.filter(name="bearing.temperature").update(unit="°C")
    return hourly


@pytest.mark.parametrize(
    "how,comparison,threshold,passed,value",
    [
        ("avg", "<=", 20, True, 20),
        ("avg", "<", 20, False, 20),
        ("min", ">=", 10, True, 10),
        ("min", ">", 10, False, 10),
        ("max", "<=", 30, True, 30),
        ("max", "<", 30, False, 30),
        ("sum", ">=", 60, True, 60),
        ("sum", ">", 60, False, 60),
    ],
)
def test_each_aggregate_over_the_window_passes_and_fails_at_its_threshold(
    milestone, temperatures, how, comparison, threshold, passed, value
):
    result = check(aggregate(milestone, temperatures, how, comparison, threshold), now=LATER)
    assert (result.passed, result.value) == (passed, pytest.approx(value))


def test_aggregate_explanation_has_the_figure_and_the_metric_unit(milestone, temperatures):
    result = check(aggregate(milestone, temperatures, "max", "<", 25), now=LATER)
    assert result.explanation == ("maximum of bearing.temperature over 1 day 30 °C; needs < 25 °C")


def test_aggregate_window_moves_with_the_clock(milestone, temperatures):
    c = aggregate(milestone, temperatures, "min", ">=", 10)
    assert check(c, now=LATER).value == 10
    # A minute later the first point has left the window.
    assert check(c, now=LATER + timedelta(minutes=1)).value == 20


def test_aggregate_of_an_unknown_metric_fails_saying_so(milestone, hourly):
    result = check(aggregate(milestone, hourly, "avg", "<", 50))
    assert not result.passed
    assert result.explanation.startswith("Press line 3 vibration has sent no bearing.temperature")


def test_aggregate_without_points_in_the_window_fails(milestone, hourly):
    ingest(hourly, "bearing.temperature", [(NOW - 3 * DAY, 20)])
    result = check(aggregate(milestone, hourly, "avg", "<", 50))
    assert (result.passed, result.value) == (False, None)
    assert result.explanation.startswith("no bearing.temperature points in the last 1 day")


# --- Refresh, the periodic command -------------------------------------------------------------


def test_refresh_checks_only_criteria_whose_last_check_is_stale(milestone, hourly, frozen):
    ingest(hourly, "vibration.rms", [(NOW, 1.0)])
    c = criterion(milestone, hourly, kind="freshness", threshold=300)
    assert criteria_refresh(criteria=[c], now=NOW) == 1
    assert c.last_passed is True
    later = NOW + timedelta(minutes=10)
    assert criteria_refresh(criteria=[c], now=later) == 0  # fresh enough: kept
    much_later = NOW + STALE_AFTER + SECOND
    assert criteria_refresh(criteria=[c], now=much_later) == 1
    c.refresh_from_db()
    assert (c.last_passed, c.last_checked) == (False, much_later)


def test_command_checks_every_criterion_on_a_roadmap(milestone, hourly, owner):
    ingest(hourly, "vibration.rms", [(NOW - timedelta(seconds=30), 1.0)])
    met = criterion(milestone, hourly, kind="freshness", threshold=60)
    missed = criterion(milestone, hourly, kind="freshness", threshold=10)
    removed = Milestone.objects.create(roadmap=milestone.roadmap, title="Gone", retired=NOW)
    ignored = criterion(removed, hourly, kind="freshness", threshold=60)
    out = StringIO()
    call_command("milestones_verify", stdout=out)
    assert out.getvalue().splitlines() == [
        "2 acceptance criteria checked: 1 met, 1 not met.",
        "0 outcome baselines frozen.",
    ]
    for c in (met, missed, ignored):
        c.refresh_from_db()
    assert (met.last_passed, missed.last_passed, ignored.last_passed) == (True, False, None)
    assert met.last_checked == NOW


def test_a_criterion_that_cannot_be_checked_does_not_stop_the_others(
    milestone, hourly, monkeypatch
):
    first = criterion(milestone, hourly, kind="freshness", threshold=60)
    second = criterion(milestone, hourly, kind="freshness", threshold=60)
    real = acceptance.criterion_figures

    def broken(*, criterion, now):
        if criterion.pk == first.pk:
            raise RuntimeError("boom")
        return real(criterion=criterion, now=now)

    monkeypatch.setattr(acceptance, "criterion_figures", broken)
    run = criteria_verify(now=NOW)
    assert (run.errors, run.failed) == (1, 1)
    second.refresh_from_db()
    assert second.last_checked == NOW


# --- Rules of the model, editing ---------------------------------------------------------------


def test_each_kind_needs_its_fields_with_a_message_on_each(milestone, hourly):
    cases = [
        ({"kind": "uptime", "threshold": 99}, {"window_days"}),
        ({"kind": "uptime", "threshold": 120, "window_days": 7}, {"threshold"}),
        ({"kind": "freshness", "threshold": 1.5}, {"threshold"}),
        ({"kind": "freshness", "threshold": 0}, {"threshold"}),
        (
            {"kind": "aggregate", "threshold": 5},
            {"window_days", "metric", "aggregate", "comparison"},
        ),
    ]
    for fields, wrong in cases:
        with pytest.raises(ValidationError) as error:
            AcceptanceCriterion(milestone=milestone, integration=hourly, **fields).full_clean()
        assert set(error.value.message_dict) == wrong, fields


def test_fields_a_kind_does_not_use_are_cleared(milestone, hourly):
    c = AcceptanceCriterion(
        milestone=milestone,
        integration=hourly,
        kind="freshness",
        threshold=60,
        window_days=7,
        metric="x",
        aggregate="avg",
        comparison="<",
    )
    c.full_clean()
    assert (c.window_days, c.metric, c.aggregate, c.comparison) == (None, "", "", "")


def test_the_integration_must_be_the_organisations(milestone, other_org):
    theirs = Integration.objects.create(organization=other_org, name="Globex POS")
    c = AcceptanceCriterion(milestone=milestone, integration=theirs, kind="freshness", threshold=9)
    with pytest.raises(ValidationError) as error:
        c.full_clean()
    assert error.value.message_dict == {
        "integration": ["Choose one of the organisation's integrations."]
    }


def test_adding_changing_and_removing_a_criterion_is_logged(milestone, hourly, owner):
    c = criterion_add(
        milestone=milestone, user=owner, integration=hourly, kind="freshness", threshold=60
    )
    check(c)
    criterion_update(criterion=c, user=owner, changes={"threshold": 120.0})
    c.refresh_from_db()
    assert c.last_checked is None  # the old verdict was for another rule
    criterion_remove(criterion=c, user=owner)
    assert not AcceptanceCriterion.objects.exists()
    texts = list(AuditEvent.objects.order_by("pk").values_list("text", flat=True))
    assert texts == [
        "Added acceptance criterion: freshness ≤ 60 s on Press line 3 vibration.",
        "Changed acceptance criterion: freshness ≤ 60 s on Press line 3 vibration → "
        "freshness ≤ 120 s on Press line 3 vibration.",
        "Removed acceptance criterion: freshness ≤ 120 s on Press line 3 vibration.",
    ]
