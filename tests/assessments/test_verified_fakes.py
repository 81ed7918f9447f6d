"""Planted fakes through the evaluator, on real rollups: a loop posting constant values and a
dead device's last values repeated fail an uptime, a freshness and a both_directions check as
staged; the same checks on data that moves pass."""

from datetime import timedelta

import pytest

from assessments.models.verification import ProcessCheck
from assessments.verified.bindings import check_bind
from assessments.verified.evaluate import evaluate_round
from integration.lineprotocol import Point
from integration.models import Integration
from integration.services import telemetry_ingest, telemetry_ping
from tests.assessments.conftest import NOW, make_process

STEP = timedelta(minutes=5)
DAY = timedelta(days=1)
DIED = NOW - 6 * DAY  # more than half of a 7-day window before its end
UPTIME, FRESH, BOTH = (
    "mfg-2-machine-data-arrives",  # uptime >= 0.95 over 7 days
    "mfg-2-live-oee-fresh",  # freshness 900 s over 24 hours
    "mfg-3-orders-and-confirmations",  # both_directions >= 0.95 over 7 days
)
STAGED = "looks staged: no value it sent"


def moving(ts, i):
    return {"temp": 20.0 + (i * 7) % 11, "pressure": 3.0 + (i % 4) / 10}


def constant(ts, i):
    return {"temp": 42.0, "pressure": 3.0}  # each metric its own constant


def dead(ts, i):
    """Live until DIED, then its last values repeated."""
    if ts < DIED:
        return moving(ts, i)
    return moving(DIED, (DIED - (NOW - 8 * DAY)) // STEP - 1)


def feed(integration, values, *, start=NOW - 8 * DAY, end=NOW):
    """`values(ts, i)` every five minutes, posted live in batches of three; a heartbeat every
    hour, every third one failed (heartbeats never count as values that move)."""
    ts, i, batch = start, 0, []
    while ts < end:
        batch += [Point(name, (), ts, value) for name, value in values(ts, i).items()]
        ts, i = ts + STEP, i + 1
        if i % 3 == 0 or ts >= end:
            telemetry_ingest(integration=integration, points=batch, now=ts)
            batch = []
        if i % 12 == 0:
            telemetry_ping(integration=integration, now=ts, failed=i % 36 == 0)


@pytest.fixture
def process(org):
    return make_process(org)


def integration(org, name):
    return Integration.objects.create(
        organization=org, name=name, created=NOW - 30 * DAY, interval_seconds=300
    )


def bind_all(process, framework, owner, source, live):
    """The uptime and freshness checks on `source`; both_directions from `live` to `source`."""
    for key, role, bound in [
        (UPTIME, 0, source),
        (FRESH, 0, source),
        (BOTH, 0, live),
        (BOTH, 1, source),
    ]:
        check_bind(
            process=process,
            framework=framework,
            check_key=key,
            role=framework.definition.check(key).roles[role],
            integration=bound,
            user=owner,
        )
    evaluate_round(now=NOW)
    return {row.check_key: row for row in ProcessCheck.objects.filter(process=process)}


def test_data_that_moves_passes(org, process, framework, owner):
    source, live = integration(org, "Press line"), integration(org, "ERP")
    feed(source, moving)
    feed(live, moving)
    rows = bind_all(process, framework, owner, source, live)
    assert {key: row.state for key, row in rows.items()} == dict.fromkeys(
        [UPTIME, FRESH, BOTH], "passing"
    ), {key: row.reason for key, row in rows.items()}


def test_a_loop_posting_constant_values_fails_as_staged(org, process, framework, owner):
    source, live = integration(org, "Press line"), integration(org, "ERP")
    feed(source, constant)
    feed(live, moving)
    rows = bind_all(process, framework, owner, source, live)
    nothing = STAGED + " changes over the window"
    assert {key: (row.state, row.reason) for key, row in rows.items()} == {
        UPTIME: ("failing", nothing),
        FRESH: ("failing", nothing),
        BOTH: ("failing", "integration 2: " + nothing),
    }


def test_a_dead_devices_last_values_repeated_fail_as_staged(org, process, framework, owner):
    source, live = integration(org, "Press line"), integration(org, "ERP")
    feed(source, dead)
    feed(live, moving)
    rows = bind_all(process, framework, owner, source, live)
    since = STAGED + f" has changed since {DIED:%Y-%m-%d %H:%M} UTC"
    assert rows[UPTIME].state == rows[BOTH].state == "failing"
    assert rows[UPTIME].reason.startswith(since), rows[UPTIME].reason
    assert rows[BOTH].reason.startswith("integration 2: " + since), rows[BOTH].reason
    # The freshness check's day holds only the repeated values.
    assert (rows[FRESH].state, rows[FRESH].reason) == (
        "failing",
        STAGED + " changes over the window",
    )
