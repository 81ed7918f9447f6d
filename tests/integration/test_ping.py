"""POST /api/v1/ping and /api/v1/ping/fail: heartbeats for integrations that only say they ran."""

from datetime import timedelta

import pytest

from integration.health import Status
from integration.services import telemetry_ping_counts, telemetry_seen_buckets
from tests.integration.conftest import NOW, stored


def ping(client, token, url="/api/v1/ping", scheme="Bearer"):
    return client.post(url, headers={"Authorization": f"{scheme} {token}"})


def test_a_ping_counts_as_seen(client, integration, token, frozen):
    response = ping(client, token)
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0}
    integration.refresh_from_db()
    assert integration.last_seen == NOW
    assert integration.status(now=NOW) == Status.UP
    assert stored(integration) == [("_ping", "{}", NOW, 1.0)]


def test_a_fail_ping_marks_the_integration_down_until_it_reports_again(
    client, integration, token, frozen
):
    assert ping(client, token, "/api/v1/ping/fail").status_code == 200
    integration.refresh_from_db()
    assert integration.last_failed == NOW
    assert integration.last_seen == NOW
    assert integration.status(now=NOW) == Status.DOWN
    frozen.shift(timedelta(seconds=30))
    ping(client, token)
    integration.refresh_from_db()
    assert integration.status(now=NOW + timedelta(seconds=30)) == Status.UP


def test_pings_feed_the_error_rate_and_the_seen_minutes(client, integration, token, frozen):
    for url in ["/api/v1/ping", "/api/v1/ping", "/api/v1/ping/fail", "/api/v1/ping"]:
        ping(client, token, url)
        frozen.shift(timedelta(seconds=50))
    window = {"start": NOW - timedelta(hours=1), "end": NOW + timedelta(hours=1)}
    assert telemetry_ping_counts(integration=integration, **window) == (3, 1)
    assert telemetry_seen_buckets(integration=integration, **window) == [
        NOW,
        NOW + timedelta(minutes=1),
        NOW + timedelta(minutes=2),
    ]


@pytest.mark.parametrize("url", ["/api/v1/ping", "/api/v1/ping/fail"])
def test_pings_need_a_live_bearer_token(client, integration, token, url):
    assert ping(client, token + "x", url).status_code == 401
    assert ping(client, token, url, scheme="Token").status_code == 401
    assert stored(integration) == []


def test_a_paused_integration_refuses_pings(client, integration, token):
    integration.paused = True
    integration.save()
    response = ping(client, token)
    assert response.status_code == 409
    assert response.json()["code"] == "paused"


def test_ping_is_post_only(client, token):
    response = client.get("/api/v1/ping", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405
