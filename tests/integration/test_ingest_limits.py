"""The documented ingest limits: per-token rate (429 + Retry-After), metrics and series per
integration (422); each refusal stores nothing and says which limit it hit."""

import json
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches

from integration.models import IngestToken, Metric
from tests.integration.conftest import NOW, NOW_NS, stored
from tests.services import need_redis

URL = "/api/v2/write"


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def write(client, token, *lines):
    body = "\n".join(lines).encode()
    return client.post(
        URL, body, content_type="text/plain", headers={"Authorization": f"Token {token}"}
    )  # noqa: E501


def line(metric="temp", value=1.0, seconds_ago=0, **labels):
    tags = "".join(f",{k}={v}" for k, v in labels.items())
    return f"{metric}{tags} value={value} {NOW_NS - seconds_ago * 10**9}"


def test_a_token_over_its_budget_gets_429_with_retry_after_and_nothing_stored(
    client, settings, integration, token, frozen
):
    settings.TELEMETRY_RATE_POINTS, settings.TELEMETRY_RATE_WINDOW = 3, 10
    assert write(client, token, line(seconds_ago=1), line(seconds_ago=2)).status_code == 204
    assert write(client, token, line(seconds_ago=3), line(seconds_ago=4)).status_code == 204
    refused = write(client, token, line(seconds_ago=5))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "10"  # NOW is on a window's first second
    body = json.loads(refused.content)
    assert body["code"] == "too many requests" and "3 points in 10 s" in body["message"]
    assert len(stored(integration)) == 4
    frozen.shift(timedelta(seconds=7))
    assert write(client, token, line(seconds_ago=5))["Retry-After"] == "3"
    frozen.shift(timedelta(seconds=3))  # the next window
    assert write(client, token, line(seconds_ago=5)).status_code == 204
    assert len(stored(integration)) == 5


def test_one_noisy_token_does_not_stop_the_others(client, settings, integration, token):
    settings.TELEMETRY_RATE_POINTS = 2
    _, quiet = IngestToken.objects.issue(integration=integration, name="quiet")
    write(client, token, line(seconds_ago=1), line(seconds_ago=2))
    assert write(client, token, line(seconds_ago=3)).status_code == 429
    assert write(client, quiet, line(seconds_ago=3)).status_code == 204
    ping = client.post("/api/v1/ping", headers={"Authorization": f"Bearer {token}"})
    assert ping.status_code == 429 and ping["Retry-After"]


def test_refused_batches_count_against_the_budget(client, settings, integration, token):
    settings.TELEMETRY_RATE_POINTS = 2
    bad = write(client, token, line(metric="_reserved"), line(metric="_reserved", seconds_ago=1))
    assert bad.status_code == 400
    assert write(client, token, line()).status_code == 429


def test_a_batch_adding_metrics_past_the_limit_is_refused_whole(
    client, settings, integration, token
):  # noqa: E501
    settings.TELEMETRY_MAX_METRICS = 3
    assert write(client, token, line("a"), line("b")).status_code == 204
    refused = write(client, token, line("a", seconds_ago=1), line("c"), line("d"))
    assert refused.status_code == 422
    body = json.loads(refused.content)
    assert body["code"] == "too many metrics"
    assert "has 2 metrics and this batch adds 2: c.value, d.value" in body["message"]
    assert "TELEMETRY_MAX_METRICS" in body["message"]
    assert len(stored(integration)) == 2  # not even the point of the known metric "a"
    assert sorted(Metric.objects.values_list("name", flat=True)) == ["a.value", "b.value"]
    assert write(client, token, line("a", seconds_ago=1), line("c")).status_code == 204


def test_a_batch_adding_series_past_the_limit_is_refused_whole(
    client, settings, integration, token
):  # noqa: E501
    settings.TELEMETRY_MAX_SERIES = 2
    assert write(client, token, line(line="1"), line(line="2")).status_code == 204
    refused = write(client, token, line(line="3"))
    assert refused.status_code == 422
    assert "TELEMETRY_MAX_SERIES" in json.loads(refused.content)["message"]
    assert write(client, token, line(line="2", seconds_ago=1)).status_code == 204


def test_the_json_endpoint_has_the_same_limits(client, settings, integration, token):
    settings.TELEMETRY_MAX_METRICS = 1
    points = [{"metric": m, "value": 1, "ts": NOW.isoformat()} for m in ("a", "b")]
    response = client.post(
        "/api/v1/telemetry", {"points": points}, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert response.status_code == 422
    assert json.loads(response.content)["code"] == "too many metrics"


def test_with_redis_every_worker_counts_in_one_place(client, settings, integration, token):
    need_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "ladder-test",
        }
    }
    try:
        caches["default"].clear()
        settings.TELEMETRY_RATE_POINTS = 3
        assert write(client, token, line(seconds_ago=1), line(seconds_ago=2)).status_code == 204
        # Another worker (a separate connection) spends one more point of the same budget.
        token_id = IngestToken.objects.get(integration=integration).pk
        other = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        key = f"ladder-test:1:ladder:ingest-rate:{token_id}:{int(NOW.timestamp()) // 10}"
        assert int(other.get(key)) == 2
        other.incrby(key, 1)
        assert write(client, token, line(seconds_ago=3)).status_code == 429
    finally:
        caches["default"].clear()
