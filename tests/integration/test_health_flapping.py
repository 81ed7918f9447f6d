"""Flapping: an integration that keeps changing between up and down (pure rules, then the
figures the pages and the overview read)."""

from datetime import UTC, datetime, timedelta

import pytest

from integration.health import (
    FLAPPING_CHANGES,
    FLAPPING_WINDOW,
    Status,
    is_flapping,
    is_up_down_change,
    up_down_changes,
)
from integration.models import HealthEvent, Integration
from integration.services import telemetry_ping
from integration.services.health import (
    flapping_integrations,
    health_figures,
    health_figures_list,
)
from tests.integration.conftest import NOW

T0 = datetime(2025, 11, 25, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)
UP, LATE, DOWN, NEW, PAUSED = Status.UP, Status.LATE, Status.DOWN, Status.NEW, Status.PAUSED


def history(*steps) -> list[tuple[Status, Status, datetime]]:
    """(hours ago, previous, current) -> (previous, current, at) before T0."""
    return [(previous, current, T0 - hours * H) for hours, previous, current in steps]


def drops(count, *, every=H, first=H) -> list[tuple]:
    """`count` alternating up -> down -> up ... changes, the newest `first` ago."""
    changes = []
    for i in range(count):
        previous, current = (UP, DOWN) if i % 2 == 0 else (DOWN, UP)
        changes.append((previous, current, T0 - first - i * every))
    return changes


def test_the_threshold_is_four_changes_a_day():
    assert FLAPPING_CHANGES == 4
    assert timedelta(hours=24) == FLAPPING_WINDOW


@pytest.mark.parametrize(
    ("previous", "current", "counts"),
    [
        (UP, DOWN, True),
        (DOWN, UP, True),
        (LATE, DOWN, True),
        (DOWN, LATE, True),
        (UP, LATE, False),  # jitter, data still flows
        (LATE, UP, False),
        (NEW, UP, False),
        (NEW, DOWN, False),
        (DOWN, PAUSED, False),  # someone paused it
        (PAUSED, DOWN, False),
        (PAUSED, UP, False),
    ],
)
def test_which_changes_count_as_up_down(previous, current, counts):
    assert is_up_down_change(previous, current) is counts


@pytest.mark.parametrize(
    ("changes", "status", "flapping"),
    [
        pytest.param([], UP, False, id="never changed"),
        pytest.param(drops(3), UP, False, id="three changes: one short"),
        pytest.param(drops(4), UP, True, id="four changes, up now"),
        pytest.param(drops(5), DOWN, True, id="five changes, down now"),
        pytest.param(drops(4), LATE, True, id="four changes, late now"),
        pytest.param(drops(12, every=timedelta(minutes=5)), UP, True, id="a storm an hour ago"),
        pytest.param(drops(4, every=8 * H), UP, False, id="spread over 25 hours"),
        pytest.param(drops(4, first=24 * H), UP, False, id="all a day ago or more, bar one"),
        pytest.param(
            drops(4, every=7 * H, first=3 * H), UP, True, id="the oldest exactly 24 h ago"
        ),
        pytest.param(drops(4, first=-H), UP, False, id="in the future (clock skew)"),
        pytest.param(drops(6), PAUSED, False, id="paused: not flapping"),
        pytest.param(drops(6), NEW, False, id="new: not flapping"),
        pytest.param(
            history((1, UP, LATE), (2, LATE, UP), (3, UP, LATE), (4, LATE, UP), (5, UP, LATE)),
            UP,
            False,
            id="up and late only",
        ),
        pytest.param(
            history((1, DOWN, UP), (2, LATE, DOWN), (3, UP, LATE), (4, DOWN, UP), (5, UP, DOWN)),
            UP,
            True,
            id="down via late counts",
        ),
        pytest.param(
            history((1, PAUSED, UP), (2, DOWN, PAUSED), (3, UP, DOWN), (4, DOWN, UP)),
            UP,
            False,
            id="pausing and resuming do not count",
        ),
    ],
)
def test_flapping_from_a_history(changes, status, flapping):
    assert is_flapping(changes=changes, status=status, now=T0) is flapping


def test_changes_count_in_any_order_and_from_plain_strings():
    changes = [(str(p), str(c), at) for p, c, at in reversed(drops(5))]
    assert up_down_changes(changes, now=T0) == 5


# --- The figures --------------------------------------------------------------------------------


@pytest.fixture
def flappy(org):
    integration = Integration.objects.create(
        organization=org, name="Goods receiving scanner", interval_seconds=60, grace_seconds=60
    )
    telemetry_ping(integration=integration, now=NOW - timedelta(seconds=10))  # up now
    for i in range(FLAPPING_CHANGES):
        previous, current = (UP, DOWN) if i % 2 == 0 else (DOWN, UP)
        HealthEvent.objects.create(
            integration=integration, previous=previous, status=current, at=NOW - i * H
        )
    return integration


@pytest.fixture
def steady(org):
    integration = Integration.objects.create(organization=org, name="Press line 3 vibration")
    telemetry_ping(integration=integration, now=NOW - timedelta(seconds=10))
    HealthEvent.objects.create(integration=integration, previous=DOWN, status=UP, at=NOW - H)
    return integration


def test_figures_say_flapping_while_the_status_stays_up(flappy, steady):
    figures = health_figures(integration=flappy, now=NOW)
    assert (figures.status, figures.flapping, figures.shown_status) == (UP, True, "flapping")
    assert figures.changes == FLAPPING_CHANGES
    listed = health_figures_list(integrations=[flappy, steady], now=NOW, with_uptime=False)
    assert listed[flappy.pk].flapping
    assert not listed[steady.pk].flapping
    assert listed[steady.pk].shown_status == "up"


def test_flapping_integrations_lists_the_organisations_own(
    flappy, steady, other_org, django_assert_num_queries
):
    other = Integration.objects.create(organization=other_org, name="Globex POS sync")
    for i in range(6):
        HealthEvent.objects.create(integration=other, previous=UP, status=DOWN, at=NOW - i * H)
    with django_assert_num_queries(2):
        assert flapping_integrations(organization=flappy.organization, now=NOW) == [flappy]


def test_flapping_ends_a_day_after_the_changes(flappy):
    later = NOW + FLAPPING_WINDOW + 4 * H
    telemetry_ping(integration=flappy, now=later)
    assert not health_figures(integration=flappy, now=later).flapping
    assert flapping_integrations(organization=flappy.organization, now=later) == []


def test_a_paused_integration_is_not_flapping(flappy):
    flappy.paused = True
    flappy.save()
    assert flapping_integrations(organization=flappy.organization, now=NOW) == []
    assert health_figures(integration=flappy, now=NOW).shown_status == "paused"
