"""The documented ingest limits: per-token rate (429 + Retry-After), metrics and series per
integration (422), fields per line and points per batch; each refusal stores nothing and says
which limit it hit."""

import gzip
import json
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches

from integration import jsonpoints, lineprotocol
from integration.models import IngestToken, Metric
from tests.guards import within
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


# Work before the budget: a body is charged before it is parsed, and caps are checked before
# the work past them.


def test_the_reported_body_of_150000_fields_on_one_line_is_refused_at_once(
    client, integration, token
):
    body = gzip.compress(("m " + ",".join(f"f{i}=1" for i in range(150_000))).encode())
    with within(10):  # it took minutes (a worker timeout, 500) when parsing was quadratic
        response = client.post(
            URL, body, content_type="text/plain",
            headers={"Authorization": f"Token {token}", "Content-Encoding": "gzip"},
        )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "line 1: more than 500 fields: at most 500 per line",
        "line": 1,
        "lines": [1],
    }
    assert stored(integration) == []


def test_the_fields_per_line_cap_is_a_setting(client, settings, integration, token):
    settings.TELEMETRY_MAX_LINE_FIELDS = 2
    assert write(client, token, f"m a=1,b=2 {NOW_NS}").status_code == 204
    response = write(client, token, f"m a=1,b=2,c=3 {NOW_NS}")
    assert response.status_code == 400
    assert "at most 2 per line" in response.json()["message"]


def test_too_many_points_are_refused_before_the_rest_is_parsed(
    client, settings, integration, token
):
    settings.TELEMETRY_MAX_POINTS = 3
    body = [line(seconds_ago=i) for i in range(4)] + ["not line protocol"]
    response = write(client, token, *body)
    assert response.status_code == 413
    assert response.json() == {
        "code": "request too large",
        "message": "more than 3 points in one batch; at most 3 are accepted",
    }


def test_a_body_is_charged_to_the_budget_before_it_is_parsed(
    client, settings, integration, token, monkeypatch
):
    settings.TELEMETRY_RATE_POINTS = 3

    def worker_killed(*args, **kwargs):  # what a worker timeout does to a slow parse
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(lineprotocol, "parse", worker_killed)
        with pytest.raises(KeyboardInterrupt):
            write(client, token, *(line(seconds_ago=i) for i in range(3)))
    assert write(client, token, line()).status_code == 429


def test_a_body_the_parser_refuses_counts_against_the_budget(client, settings, integration, token):
    settings.TELEMETRY_RATE_POINTS = 3
    response = write(client, token, *(line(seconds_ago=i) for i in range(3)), "temp value=x")
    assert response.status_code == 400
    assert write(client, token, line()).status_code == 429


def test_the_charge_before_parsing_is_settled_to_the_points_of_the_batch(
    client, settings, integration, token
):
    # Each line has four '=' (three tags and a field): charged 8 before parsing, then 2.
    settings.TELEMETRY_RATE_POINTS = 4
    tags = {"a": "1", "b": "2", "c": "3"}
    assert write(client, token, line(**tags), line(seconds_ago=1, **tags)).status_code == 204
    assert write(client, token, line(seconds_ago=2, **tags), line(seconds_ago=3)).status_code == 204
    assert write(client, token, line(seconds_ago=4)).status_code == 429
    assert len(stored(integration)) == 4


def test_a_partial_write_is_settled_to_the_points_of_its_lines(
    client, settings, integration, token
):
    # Charged 9 before parsing, then the 3 points parsed (the refused one counts too).
    settings.TELEMETRY_RATE_POINTS = 4
    tags = {"a": "1", "b": "2", "c": "3"}
    lines = line(**tags), line(seconds_ago=1, **tags), line("_reserved", seconds_ago=2)
    assert write(client, token, *lines).status_code == 400
    assert write(client, token, line(seconds_ago=3)).status_code == 204
    assert write(client, token, line(seconds_ago=4)).status_code == 429
    assert len(stored(integration)) == 3


def test_a_json_body_is_charged_to_the_budget_before_it_is_parsed(
    client, settings, integration, token, monkeypatch
):
    settings.TELEMETRY_RATE_POINTS = 3
    points = [{"metric": "temp", "value": i, "ts": NOW_NS // 10**9 - i} for i in range(3)]

    def worker_killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(jsonpoints, "parse", worker_killed)
        with pytest.raises(KeyboardInterrupt):
            send_json(client, token, {"points": points})
    response = send_json(client, token, {"points": points[:1]})
    assert response.status_code == 429


def test_the_json_charge_is_settled_to_the_points_of_the_batch(
    client, settings, integration, token
):
    settings.TELEMETRY_RATE_POINTS = 4
    labelled = {"metric": "temp", "value": 1, "labels": {"a": "{}"}}
    points = [{**labelled, "ts": NOW_NS // 10**9 - i} for i in range(4)]
    assert send_json(client, token, {"points": points[:2]}).status_code == 200
    assert send_json(client, token, {"points": points[2:]}).status_code == 200
    assert send_json(client, token, {"points": points[:1]}).status_code == 429


def test_too_many_json_points_are_refused_before_they_are_read(
    client, settings, integration, token
):
    settings.TELEMETRY_MAX_POINTS = 3
    points = [{"metric": "temp", "value": i} for i in range(3)] + [{"metric": 1}]
    response = send_json(client, token, {"points": points})
    assert response.status_code == 413
    assert response.json()["message"] == "4 points in one batch; at most 3 are accepted"


def send_json(client, token, body):
    return client.post(
        "/api/v1/telemetry", body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
