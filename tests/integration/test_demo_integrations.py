"""The demo integrations, their week of history, and `simulate_telemetry` against a live server."""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.utils import timezone

from accounts.demo import demo_accounts_create
from integration import health
from integration.demo import (
    DEAD,
    DEMO_INTEGRATIONS,
    FLAKY,
    HEALTHY,
    SIMULATOR_TOKEN_NAME,
    demo_integrations_create,
)
from integration.models import PING_METRIC, IngestToken, Integration, Metric, Point
from integration.simulator.feeds import Flaky
from tests.integration.conftest import NOW
from tests.services import need_mqtt

MINUTES_A_WEEK = 7 * 24 * 60
SPECS = {spec.name: spec for spec in DEMO_INTEGRATIONS}
LIVE = [spec.name for spec in DEMO_INTEGRATIONS if spec.behaviour != DEAD]
DEAD_NAME = next(spec.name for spec in DEMO_INTEGRATIONS if spec.behaviour == DEAD)


def points_of(integration, *, pings=False):
    points = Point.objects.filter(series__metric__integration=integration)
    if pings:
        return points.filter(series__metric__name=PING_METRIC)
    return points.exclude(series__metric__name=PING_METRIC)


def series_count(name: str) -> int:
    return len({(signal.metric, signal.labels) for signal in SPECS[name].signals})


def snapshot() -> dict:
    return {
        "integrations": Integration.objects.count(),
        "metrics": Metric.objects.count(),
        "tokens": IngestToken.objects.count(),
        "points": Point.objects.count(),
    }


def test_the_demo_names_two_organisations_one_flaky_and_one_dead():
    assert {spec.org for spec in DEMO_INTEGRATIONS} == {"acme", "northwind"}
    assert [spec.behaviour for spec in DEMO_INTEGRATIONS].count(FLAKY) == 1
    assert [spec.behaviour for spec in DEMO_INTEGRATIONS].count(DEAD) == 1
    assert len({spec.name for spec in DEMO_INTEGRATIONS}) == len(DEMO_INTEGRATIONS)


@pytest.mark.django_db
def test_the_demo_integrations_come_with_a_week_of_history_and_are_created_once():
    orgs = demo_accounts_create()
    created = demo_integrations_create(orgs, now=NOW)

    assert set(created) == set(SPECS)
    for name, integration in created.items():
        spec = SPECS[name]
        assert integration.organization == orgs[spec.org]
        assert integration.interval_seconds == spec.interval_seconds
        assert integration.source_system and integration.target_system and integration.description
        assert integration.created == NOW - timedelta(days=7)
        metrics = {m.name: m for m in integration.metrics.exclude(name=PING_METRIC)}
        assert set(metrics) == {signal.metric for signal in spec.signals}
        for signal in spec.signals:
            metric = metrics[signal.metric]
            assert metric.unit == signal.unit
            assert (metric.expected_min, metric.expected_max) == signal.expected

    # Healthy: one point a minute per series for the whole week, up now.
    for name in (spec.name for spec in DEMO_INTEGRATIONS if spec.behaviour == HEALTHY):
        integration = Integration.objects.get(pk=created[name].pk)
        assert points_of(integration).count() == series_count(name) * (MINUTES_A_WEEK + 1)
        assert integration.last_seen == NOW
        assert integration.status(now=NOW) == health.Status.UP
        assert not points_of(integration, pings=True).exists()

    # Flaky: gaps, fail pings, an ok ping every hour while up.
    wms = Integration.objects.get(pk=created["Warehouse WMS scanner sync"].pk)
    full = series_count(wms.name) * (MINUTES_A_WEEK + 1)
    assert 0.85 * full < points_of(wms).count() < 0.98 * full
    pings = points_of(wms, pings=True)
    failed = pings.filter(value=0).count()
    assert 5 <= failed <= 30
    assert 0.8 * 7 * 24 < pings.filter(value=1).count() <= 7 * 24 + 1
    assert wms.last_failed is not None
    scans = points_of(wms).filter(series__metric__name="wms.scans").order_by("ts")
    seen = list(scans.values_list("ts", flat=True))
    uptime = health.uptime(
        seen=seen, interval=wms.interval, window_start=NOW - timedelta(days=7), window_end=NOW
    )
    assert 0.85 < uptime < 0.98

    # Dead: data until three days ago, every 15 minutes, then nothing.
    dead = Integration.objects.get(pk=created[DEAD_NAME].pk)
    newest = points_of(dead).aggregate(newest=Max("ts"))["newest"]
    assert newest == NOW - timedelta(days=3)
    assert dead.last_seen == newest
    assert points_of(dead).count() == series_count(DEAD_NAME) * (4 * 24 * 4 + 1)
    assert dead.status(now=NOW) == health.Status.DOWN

    before = snapshot()
    again = demo_integrations_create(orgs, now=NOW)
    assert {name: i.pk for name, i in again.items()} == {n: i.pk for n, i in created.items()}
    assert snapshot() == before


@pytest.mark.django_db
def test_a_later_run_fills_only_the_time_since_the_last_point():
    orgs = demo_accounts_create()
    earlier = NOW - timedelta(hours=1)
    demo_integrations_create(
        {"northwind": orgs["northwind"]}, now=earlier, history=timedelta(hours=2)
    )
    counts = {i.name: points_of(i).count() for i in Integration.objects.all()}
    assert set(counts) == {spec.name for spec in DEMO_INTEGRATIONS if spec.org == "northwind"}
    assert all(count == series_count(name) * 121 for name, count in counts.items())

    demo_integrations_create({"northwind": orgs["northwind"]}, now=NOW, history=timedelta(hours=2))
    for integration in Integration.objects.all():
        added = points_of(integration).count() - counts[integration.name]
        assert added == series_count(integration.name) * 60
        assert integration.last_seen == NOW


@pytest.mark.django_db
def test_a_paused_demo_integration_gets_no_history():
    orgs = {"northwind": demo_accounts_create()["northwind"]}
    created = demo_integrations_create(
        orgs, now=NOW - timedelta(hours=1), history=timedelta(hours=1)
    )
    picking = created["DC picking throughput"]
    Integration.objects.filter(pk=picking.pk).update(paused=True)
    before = points_of(picking).count()
    demo_integrations_create(orgs, now=NOW, history=timedelta(hours=1))
    assert points_of(picking).count() == before


# The simulator command


@pytest.mark.django_db
def test_the_simulator_needs_the_demo_integrations():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("simulate_telemetry", "--once", stdout=StringIO())


@pytest.fixture
def live_demo(monkeypatch):
    """The demo organisations with two hours of history, and a flaky integration that is up."""
    monkeypatch.setattr(Flaky, "outage_at", lambda self, ts: None)
    orgs = demo_accounts_create()
    return demo_integrations_create(orgs, history=timedelta(hours=2))


def new_points(created, since) -> dict[str, int]:
    return {
        name: points_of(integration).filter(ts__gte=since).count()
        for name, integration in created.items()
    }


def test_simulate_telemetry_once_over_http_stores_a_round_for_every_live_integration(
    live_server, live_demo
):
    started = timezone.now()
    out = StringIO()
    call_command(
        "simulate_telemetry", "--once", "--url", live_server.url, "--seed", "1", stdout=out
    )

    stored = new_points(live_demo, started)
    assert stored == {name: series_count(name) if name in LIVE else 0 for name in SPECS}
    wms = live_demo["Warehouse WMS scanner sync"]
    assert points_of(wms, pings=True).filter(ts__gte=started, value=1).count() == 1
    total = sum(series_count(name) for name in LIVE)
    assert f"Sent {total} points, 1 pings (0 failed), 0 refused" in out.getvalue()

    # One live simulator token per live integration, used; a restart revokes the old ones.
    tokens = IngestToken.objects.filter(name=SIMULATOR_TOKEN_NAME)
    assert tokens.count() == len(LIVE)
    assert all(token.last_used is not None for token in tokens)
    call_command("simulate_telemetry", "--once", "--url", live_server.url, stdout=StringIO())
    assert tokens.filter(revoked__isnull=True).count() == len(LIVE)
    assert tokens.filter(revoked__isnull=False).count() == len(LIVE)


def test_simulate_telemetry_can_feed_one_organisation(live_server, live_demo):
    started = timezone.now()
    call_command(
        "simulate_telemetry",
        "--once",
        "--url",
        live_server.url,
        "--org",
        "northwind",
        stdout=StringIO(),
    )
    stored = new_points(live_demo, started)
    northwind = {spec.name for spec in DEMO_INTEGRATIONS if spec.org == "northwind"}
    assert {name for name, count in stored.items() if count} == northwind


def test_simulate_telemetry_over_mqtt_reaches_the_listener(transactional_db, live_demo):
    need_mqtt()
    from integration.mqtt.listener import Listener

    url = "mqtt://127.0.0.1:1883"
    group = f"test-simulator-{uuid.uuid4().hex[:12]}"
    listener = Listener(
        url=url, client_id=group, group=group, session_expiry=60, batch_seconds=0.05
    )
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        assert listener.subscribed.wait(10), "the listener did not subscribe"
        started = timezone.now()
        call_command(
            "simulate_telemetry",
            "--once",
            "--transport",
            "mqtt",
            "--mqtt-url",
            url,
            stdout=StringIO(),
        )
        expected = {name: series_count(name) if name in LIVE else 0 for name in SPECS}
        deadline = datetime.now(UTC) + timedelta(seconds=15)
        while new_points(live_demo, started) != expected and datetime.now(UTC) < deadline:
            time.sleep(0.1)
        assert new_points(live_demo, started) == expected
    finally:
        listener.stop()
        thread.join(15)
