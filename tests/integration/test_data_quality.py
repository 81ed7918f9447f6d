"""Data quality: readings marked uncertain or bad are stored, counted in the rollups, shown as
the share of good readings, and make an integration whose recent readings are mostly not good
degraded instead of up."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from integration import health, jsonpoints, lineprotocol, quality
from integration.health import Status
from integration.models import HealthEvent, HourRollup, MinuteRollup, Point
from integration.services.health import health_check_run
from tests.conftest import client_for
from tests.integration.conftest import NOW, NOW_NS

WRITE = "/api/v2/write?precision=ns"


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def write(client, token, body):
    return client.post(
        WRITE, body.encode(), content_type="text/plain", headers={"Authorization": f"Token {token}"}
    )


# Reading it off the wire


def test_a_lines_quality_applies_to_each_of_its_fields():
    body = (
        f'press,line=3 rms=0.5,peak=2i,_quality="bad" {NOW_NS}\n'
        f'press,line=3 rms=0.6,_quality="uncertain" {NOW_NS + 1}\n'
        f'press,line=3 rms=0.7,_quality="good" {NOW_NS + 2}\n'
        f"press,line=3 rms=0.8 {NOW_NS + 3}\n"
    )
    points = lineprotocol.parse(body, now=NOW)
    assert [(p.metric, p.value, p.quality) for p in points] == [
        ("press.rms", 0.5, "bad"),
        ("press.peak", 2.0, "bad"),
        ("press.rms", 0.6, "uncertain"),
        ("press.rms", 0.7, None),
        ("press.rms", 0.8, None),
    ]


@pytest.mark.parametrize("field", ['_quality="awful"', "_quality=1i", "_quality=t"])
def test_a_quality_that_is_no_quality_refuses_its_line(field):
    with pytest.raises(lineprotocol.LineProtocolError) as refused:
        lineprotocol.parse(f"press rms=1,{field} {NOW_NS}", now=NOW)
    assert refused.value.line == 1
    assert '"good", "uncertain" or "bad"' in refused.value.reason


def test_json_points_carry_a_quality():
    body = (
        '{"points": [{"metric": "t", "value": 1, "quality": "bad"},'
        ' {"metric": "t", "value": 2, "quality": "good"}, {"metric": "t", "value": 3}]}'
    )
    assert [p.quality for p in jsonpoints.parse(body, now=NOW)] == ["bad", None, None]
    with pytest.raises(jsonpoints.JsonPointsError, match=r"points\[0\]\.quality"):
        jsonpoints.parse('{"points": [{"metric": "t", "value": 1, "quality": 3}]}', now=NOW)


@pytest.mark.parametrize(
    "code,expected",
    [(0, "good"), (0x40000000, "uncertain"), (0x80000000, "bad"), (0x80340000, "bad")],
)
def test_opc_ua_status_codes_map_by_their_severity(code, expected):
    assert quality.from_opcua_status(code) == expected


@pytest.mark.parametrize(
    "code,expected", [(192, "good"), (216, "good"), (64, "uncertain"), (0, "bad"), (24, "bad")]
)
def test_opc_da_qualities_map_by_their_top_bits(code, expected):
    assert quality.from_opc_da(code) == expected


# Stored and counted


def test_qualities_are_stored_with_the_points_and_counted_in_the_rollups(
    client, integration, token
):
    body = "\n".join(
        [
            f'press rms=1,_quality="bad" {NOW_NS - 3 * 10**9}',
            f'press rms=2,_quality="uncertain" {NOW_NS - 2 * 10**9}',
            f"press rms=3 {NOW_NS - 10**9}",
        ]
    )
    assert write(client, token, body).status_code == 204
    assert write(client, token, body).status_code == 204  # a retry: stored and counted once
    stored = Point.objects.filter(series__metric__integration=integration).order_by("ts")
    assert list(stored.values_list("value", "quality")) == [(1.0, 2), (2.0, 1), (3.0, None)]
    for model in (MinuteRollup, HourRollup):
        rollup = model.objects.get(series__metric__integration=integration)
        assert (rollup.count, rollup.uncertain, rollup.bad, rollup.good) == (3, 1, 1, 1)


# Health


def test_good_share_and_degraded_rules():
    assert health.good_share(total=0, uncertain=0, bad=0) is None
    assert health.good_share(total=4, uncertain=1, bad=2) == 0.25
    assert health.is_degraded(0.25) and not health.is_degraded(0.5)
    assert not health.is_degraded(None)
    assert health.good_share(total=1, uncertain=1, bad=1) == 0.0  # read as all not good
    assert health.good_share(total=2, uncertain=-5, bad=0) == 1.0
    up = dict(last_seen=NOW, interval=timedelta(minutes=1), grace=timedelta(0), paused=False)
    assert health.status(**up, now=NOW, degraded=True) == Status.DEGRADED
    assert health.status(**up, now=NOW + timedelta(minutes=5), degraded=True) == Status.DOWN
    assert health.is_recovery_event(Status.DOWN, Status.DEGRADED)


def send(client, token, qualities, *, start_s=300, now=NOW):
    now_ns = int(now.timestamp()) * 10**9
    lines = [
        f'press rms={i},_quality="{q}" {now_ns - (start_s - i) * 10**9}'
        for i, q in enumerate(qualities)
    ]
    assert write(client, token, "\n".join(lines)).status_code == 204


def test_mostly_bad_readings_make_an_integration_degraded_and_good_ones_bring_it_back(
    client, integration, token, frozen
):
    send(client, token, ["good", "good"])
    health_check_run(now=NOW)  # the baseline: up
    integration.refresh_from_db()
    assert integration.status(now=NOW) == Status.UP

    send(client, token, ["bad"] * 3, start_s=200)  # 2 good, 3 bad within the window
    run = health_check_run(now=NOW)
    integration.refresh_from_db()
    assert integration.status(now=NOW) == Status.DEGRADED
    assert integration.degraded_since == NOW
    assert [(e.previous, e.status) for e in run.events] == [("up", "degraded")]

    later = NOW + timedelta(minutes=20)  # the bad readings have left the window
    frozen.move_to(later)
    send(client, token, ["good"] * 3, start_s=60, now=later)
    health_check_run(now=later)
    integration.refresh_from_db()
    assert integration.degraded_since is None
    assert integration.status(now=later) == Status.UP
    assert list(HealthEvent.objects.values_list("status", flat=True)) == ["up", "degraded"]


def test_heartbeats_are_no_readings(client, integration, token):
    send(client, token, ["bad"])
    for _ in range(3):
        ping = client.post("/api/v1/ping", headers={"Authorization": f"Bearer {token}"})
        assert ping.status_code in (200, 204)
    health_check_run(now=NOW)
    integration.refresh_from_db()
    assert integration.degraded_since == NOW


def test_the_page_shows_the_share_of_good_readings(client, integration, token, owner, org):
    send(client, token, ["good", "good", "good", "bad"])
    call_command("telemetry_health", stdout=StringIO())
    url = reverse("integration:integration-detail", args=[org.slug, integration.pk])
    page = client_for(owner).get(url)
    text = page.content.decode()
    assert "Good readings 24 h" in text
    assert "75\u202f%" in text
