"""POST /api/v1/telemetry: JSON points with a Bearer token."""

import gzip
import json
from datetime import timedelta

import orjson
import pytest

from integration.models import IngestToken
from tests.integration.conftest import NOW, stored

URL = "/api/v1/telemetry"


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def send(client, token, body, *, scheme="Bearer", **headers):
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    if scheme is not None:
        headers["Authorization"] = f"{scheme} {token}"
    return client.post(URL, body, content_type="application/json", headers=headers)


def test_it_stores_points_and_answers_the_counts(client, integration, token):
    body = {
        "points": [
            {"metric": "temp", "value": 21.5, "ts": "2026-11-25T09:00:00Z", "labels": {"l": "3"}},
            {"metric": "temp", "value": 22, "ts": 1795597200},  # epoch seconds, 09:00:00Z
            {"metric": "rpm", "value": 1200.5},
        ]
    }
    response = send(client, token, body)
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0}
    hour_ago = NOW - timedelta(hours=1)
    assert stored(integration) == [
        ("rpm", "{}", NOW, 1200.5),
        ("temp", '{"l":"3"}', hour_ago, 21.5),
        ("temp", "{}", hour_ago, 22.0),
    ]


def test_ts_may_be_a_fraction_of_epoch_seconds_or_an_offset_time(client, integration, token):
    body = {
        "points": [
            {"metric": "a", "value": 1, "ts": 1795600799.5},
            {"metric": "b", "value": 1, "ts": "2026-11-25T11:00:00+01:00"},
            {"metric": "c", "value": 1, "ts": None},
        ]
    }
    assert send(client, token, body).status_code == 200
    assert [row[2] for row in stored(integration)] == [
        NOW - timedelta(milliseconds=500),
        NOW,
        NOW,
    ]


def test_a_retried_batch_stores_nothing_twice(client, integration, token):
    body = {"points": [{"metric": "temp", "value": i, "ts": 1795600000 + i} for i in range(50)]}
    assert send(client, token, body).json() == {"accepted": 50, "duplicates": 0}
    assert send(client, token, body).json() == {"accepted": 0, "duplicates": 50}
    assert len(stored(integration)) == 50


def test_a_gzipped_body_is_accepted(client, integration, token):
    body = gzip.compress(orjson.dumps({"points": [{"metric": "temp", "value": 1}]}))
    response = send(client, token, body, **{"Content-Encoding": "gzip"})
    assert response.json() == {"accepted": 1, "duplicates": 0}


def refused(client, token, body, integration):
    response = send(client, token, body)
    assert response.status_code == 400, response.content
    assert stored(integration) == []
    return response.json()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_values_are_refused_naming_the_point(client, integration, token, literal):
    body = '{"points": [{"metric": "t", "value": 1}, {"metric": "t", "value": LITERAL}]}'
    body = body.replace("LITERAL", literal)
    assert refused(client, token, body, integration) == {
        "code": "invalid",
        "message": "points[1].value: is not a finite number",
        "point": 1,
        "field": "value",
    }


def test_a_value_too_large_for_a_float_is_refused(client, integration, token):
    body = '{"points": [{"metric": "t", "value": 1' + "0" * 400 + "}]}"
    assert refused(client, token, body, integration)["message"] == (
        "points[0].value: is out of range"
    )


def test_values_whose_sums_overflow_are_refused_not_a_server_error(client, integration, token):
    """Found by schemathesis on PostgreSQL: two values near float8's limit in one minute made
    the rollup upsert's sum overflow, and PostgreSQL failed the batch: a 500."""
    for second in (0, 1):
        ts = (NOW + timedelta(seconds=second)).isoformat()
        body = {"points": [{"metric": "m", "value": -1.7976931348623157e308, "ts": ts}]}
        assert refused(client, token, body, integration)["message"] == (
            "points[0].value: is beyond ±1e+300: sums of such values overflow"
        )


def test_a_time_more_than_ten_minutes_ahead_is_refused(client, integration, token):
    body = {
        "points": [
            {"metric": "t", "value": 1},
            {"metric": "t", "value": 1, "ts": "2026-11-25T10:10:01Z"},
        ]
    }
    error = refused(client, token, body, integration)
    assert (
        error["message"]
        == "points[1].ts: 2026-11-25T10:10:01Z is more than 10 minutes in the future"
    )
    assert (error["point"], error["field"]) == (1, "ts")


def test_a_time_before_2000_is_refused(client, integration, token):
    body = {"points": [{"metric": "t", "value": 1, "ts": 946684799}]}
    error = refused(client, token, body, integration)
    assert error["message"] == "points[0].ts: 1999-12-31T23:59:59Z is before 2000-01-01"


@pytest.mark.parametrize(
    "point,message",
    [
        ({"value": 1}, "points[0].metric: is missing"),
        ({"metric": 1, "value": 1}, "points[0].metric: must be a string"),
        ({"metric": "", "value": 1}, "points[0].metric: is empty"),
        ({"metric": "t"}, "points[0].value: is missing"),
        ({"metric": "t", "value": "1"}, "points[0].value: must be a number"),
        ({"metric": "t", "value": True}, "points[0].value: must be a number"),
        ({"metric": "t", "value": 1, "ts": "yesterday"}, "points[0].ts: 'yesterday' is not"),
        ({"metric": "t", "value": 1, "ts": "2026-11-25T10:00:00"}, "has no time zone"),
        ({"metric": "t", "value": 1, "ts": 1e300}, "out of range for epoch seconds"),
        ({"metric": "t", "value": 1, "ts": [1]}, "must be an ISO 8601 string or epoch"),
        ({"metric": "t", "value": 1, "labels": ["a"]}, "points[0].labels: must be an object"),
        ({"metric": "t", "value": 1, "labels": {"a": 1}}, "value of 'a' must be a string"),
        ({"metric": "t", "value": 1, "valeu": 2}, "points[0]: unknown field 'valeu'"),
        ("temp", "points[0]: must be an object"),
    ],
)
def test_bad_points_are_refused_naming_index_and_field(client, integration, token, point, message):
    body = {"points": [point]}
    assert message in refused(client, token, body, integration)["message"]


def test_a_bad_point_after_good_ones_refuses_the_whole_batch(client, integration, token):
    points = [{"metric": "t", "value": i, "ts": 1795600000 + i} for i in range(20)]
    body = {"points": [*points, {"metric": "t", "value": "x"}]}
    error = refused(client, token, body, integration)
    assert (error["point"], error["field"]) == (20, "value")


@pytest.mark.parametrize(
    "body,message",
    [
        ('{"points": [', "invalid JSON at line 1 column 13"),
        ("[]", 'the body must be an object with a "points" array'),
        ('{"points": {}}', 'the body must be an object with a "points" array'),
        ('{"points": [], "extra": 1}', "unknown key 'extra' in the body"),
        (b"\xff", "the body is not UTF-8"),
    ],
)
def test_a_bad_body_is_refused(client, integration, token, body, message):
    error = refused(client, token, body, integration)
    assert error["message"].startswith(message)
    assert "point" not in error


def test_an_empty_batch_is_accepted(client, integration, token):
    assert send(client, token, {"points": []}).json() == {"accepted": 0, "duplicates": 0}


def test_a_body_over_the_limit_is_refused_with_413(client, integration, token, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 100
    body = {"points": [{"metric": "temp", "value": i} for i in range(10)]}
    response = send(client, token, body)
    assert response.status_code == 413
    assert response.json()["code"] == "request too large"


def test_unknown_and_revoked_tokens_are_refused_with_401(client, integration, token):
    body = {"points": [{"metric": "t", "value": 1}]}
    assert send(client, "ldr_nope", body).status_code == 401
    IngestToken.objects.get(integration=integration).revoke()
    response = send(client, token, body)
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "unknown or revoked token"}
    assert stored(integration) == []


@pytest.mark.parametrize("scheme", ["Token", "Basic", None])
def test_another_authorization_scheme_is_refused_with_401(client, integration, token, scheme):
    response = send(client, token, {"points": [{"metric": "t", "value": 1}]}, scheme=scheme)
    assert response.status_code == 401
    assert "Authorization: Bearer <token>" in response.json()["message"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_paused_integration_answers_409(client, integration, token):
    integration.paused = True
    integration.save()
    response = send(client, token, {"points": [{"metric": "t", "value": 1}]})
    assert response.status_code == 409
    assert response.json()["code"] == "paused"


def test_get_is_not_allowed(client, token):
    response = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405
