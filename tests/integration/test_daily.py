"""A metric's value per day from its hour rollups, against sums worked out by hand."""

from datetime import UTC, date, datetime

import pytest

from integration.lineprotocol import Point as LinePoint
from integration.models import Integration, Point
from integration.services import telemetry_ingest
from integration.services.daily import days_from_hours, telemetry_daily

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


# (bucket, count, min, max, sum, last, last_ts)
ROWS = [
    (at(1, 10), 2, 2.0, 4.0, 6.0, 4.0, at(1, 10, 30)),
    (at(1, 11), 1, 6.0, 6.0, 6.0, 6.0, at(1, 11)),
    (at(2, 0), 1, 5.0, 5.0, 5.0, 5.0, at(2, 0)),
]


@pytest.mark.parametrize(
    ("aggregate", "first_day"),
    [("mean", 12 / 3), ("sum", 12.0), ("max", 6.0), ("min", 2.0), ("last", 6.0)],
)
def test_each_aggregate_of_a_day(aggregate, first_day):
    values = days_from_hours(ROWS, aggregate)
    assert values == {date(2026, 3, 1): first_day, date(2026, 3, 2): 5.0}


def test_an_unknown_aggregate_is_refused():
    with pytest.raises(ValueError, match="aggregate must be one of"):
        days_from_hours(ROWS, "median")


@pytest.fixture
def integration(org):
    return Integration.objects.create(organization=org, name="Press line 3", created=at(1, 0))


def ingest(integration, points):
    telemetry_ingest(
        integration=integration,
        points=[LinePoint("downtime", (), ts, value) for ts, value in points],
        now=NOW,
    )


def test_days_come_from_the_rollups_and_outlive_raw_points(integration):
    ingest(integration, [(at(1, 10), 2.0), (at(1, 10, 30), 4.0), (at(1, 11), 6.0), (at(2, 0), 5.0)])
    ingest(integration, [(at(3, 0), 9.0)])  # outside the window asked for
    read = {
        "integration": integration,
        "metric": "downtime",
        "start": date(2026, 3, 1),
        "end": date(2026, 3, 3),
    }
    assert telemetry_daily(**read, aggregate="mean") == {
        date(2026, 3, 1): 4.0,
        date(2026, 3, 2): 5.0,
    }
    Point.objects.all().delete()  # retention took the raw points
    assert telemetry_daily(**read, aggregate="sum") == {
        date(2026, 3, 1): 12.0,
        date(2026, 3, 2): 5.0,
    }
    assert telemetry_daily(**{**read, "metric": "nothing"}, aggregate="sum") == {}
