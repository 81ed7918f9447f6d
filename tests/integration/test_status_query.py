"""`Integration.objects.with_status` gives, in SQL, exactly what `Integration.status` gives."""

import itertools
from datetime import UTC, datetime, timedelta

from integration.health import Status
from integration.models import Integration

NOW = datetime(2026, 11, 25, 10, 0, 17, 250_000, tzinfo=UTC)
INTERVAL, GRACE = 300, 120


def test_the_database_status_matches_the_model_status_at_every_edge(org):
    """Every rule and both sides of each boundary, to the microsecond."""
    ages = [None, -30, 0, 1e-6, 299.999999, 300, 300.000001, 419.999999, 420, 420.000001, 9000]
    fails = [None, "before", "same", "after"]
    rows = []
    for n, (age, fail, paused, degraded) in enumerate(
        itertools.product(ages, fails, [False, True], [False, True])
    ):
        last_seen = None if age is None else NOW - timedelta(seconds=age)
        base = last_seen or NOW - timedelta(hours=1)
        last_failed = {
            None: None,
            "before": base - timedelta(seconds=1),
            "same": base,
            "after": base + timedelta(microseconds=1),
        }[fail]
        rows.append(
            Integration(
                organization=org,
                name=f"I{n}",
                interval_seconds=INTERVAL,
                grace_seconds=GRACE,
                paused=paused,
                last_seen=last_seen,
                last_failed=last_failed,
                degraded_since=NOW if degraded else None,
            )
        )
    Integration.objects.bulk_create(rows)
    annotated = list(Integration.objects.with_status(now=NOW))
    assert [(i.name, i.status_now) for i in annotated] == [
        (i.name, str(i.status(now=NOW))) for i in annotated
    ]
    assert {i.status_now for i in annotated} == set(Status)


def test_a_list_filters_by_the_status_in_the_database(org):
    Integration.objects.create(organization=org, name="Up", last_seen=NOW)
    Integration.objects.create(organization=org, name="Down", last_seen=NOW - timedelta(days=1))
    Integration.objects.create(organization=org, name="New")
    down = Integration.objects.with_status(now=NOW).filter(status_now=Status.DOWN)
    assert [i.name for i in down] == ["Down"]
