"""POST /api/v2/write: InfluxDB v2 compatible line protocol ingest."""

import gzip
from datetime import timedelta

import pytest

from integration.api_body import GZIP_MAX_MEMBERS
from integration.models import IngestToken, Series
from tests.guards import within
from tests.integration.conftest import NOW, NOW_NS, stored

URL = "/api/v2/write?org=acme&bucket=plant"
HOUR_AGO_NS = NOW_NS - 3600 * 10**9


@pytest.fixture(autouse=True)
def _frozen(frozen):
    pass


def write(client, token, body, *, url=URL, scheme="Token", **headers):
    if isinstance(body, str):
        body = body.encode()
    if scheme is not None:
        headers["Authorization"] = f"{scheme} {token}"
    return client.post(url, body, content_type="text/plain; charset=utf-8", headers=headers)


def test_it_stores_line_protocol_and_answers_204(client, integration, token):
    body = (
        f"vibration,line=3,sensor=a rms=0.52,peak=1.9 {HOUR_AGO_NS}\n"
        f"vibration,line=3,sensor=a rms=0.55,peak=2i {NOW_NS}\n"
    )
    response = write(client, token, body)
    assert response.status_code == 204
    assert response.content == b""
    labels = '{"line":"3","sensor":"a"}'
    hour_ago = NOW - timedelta(hours=1)
    assert stored(integration) == [
        ("vibration.peak", labels, hour_ago, 1.9),
        ("vibration.peak", labels, NOW, 2.0),
        ("vibration.rms", labels, hour_ago, 0.52),
        ("vibration.rms", labels, NOW, 0.55),
    ]


def test_a_line_without_timestamp_is_stamped_now(client, integration, token):
    assert write(client, token, "temp value=21.5").status_code == 204
    assert stored(integration) == [("temp.value", "{}", NOW, 21.5)]


def test_org_and_bucket_are_optional(client, integration, token):
    assert write(client, token, "temp value=1", url="/api/v2/write").status_code == 204


@pytest.mark.parametrize(
    "precision,timestamp",
    [
        ("ns", NOW_NS),
        ("us", NOW_NS // 10**3),
        ("ms", NOW_NS // 10**6),
        ("s", NOW_NS // 10**9),
    ],
)
def test_each_precision(client, integration, token, precision, timestamp):
    url = f"{URL}&precision={precision}"
    assert write(client, token, f"temp value=1 {timestamp}", url=url).status_code == 204
    assert stored(integration) == [("temp.value", "{}", NOW, 1.0)]


def test_an_unknown_precision_is_refused(client, integration, token):
    response = write(client, token, f"temp value=1 {NOW_NS}", url=f"{URL}&precision=h")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "precision" in response.json()["message"]


def test_a_gzipped_body_is_accepted(client, integration, token):
    body = gzip.compress(f"temp value=1 {NOW_NS}\n".encode())
    assert write(client, token, body, **{"Content-Encoding": "gzip"}).status_code == 204
    assert len(stored(integration)) == 1


def test_a_retried_write_stores_nothing_twice(client, integration, token):
    body = "\n".join(f"temp value={i} {NOW_NS - i * 10**9}" for i in range(100))
    assert write(client, token, body).status_code == 204
    assert write(client, token, body).status_code == 204
    assert len(stored(integration)) == 100


def test_a_bad_line_is_refused_naming_its_line_and_the_good_ones_are_stored(
    client, integration, token
):
    body = f"temp value=1 {NOW_NS}\n\ntemp value=2 {NOW_NS - 10**9}\ntemp value=oops {NOW_NS}\n"
    response = write(client, token, body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": (
            "partial write: 1 of 3 lines refused, the rest stored: "
            "line 4: invalid field value 'oops' for field 'value'"
        ),
        "line": 4,
        "lines": [4],
    }
    assert [row[3] for row in stored(integration)] == [2.0, 1.0]


def test_a_body_of_bad_lines_only_is_refused_naming_each_and_nothing_is_stored(
    client, integration, token
):
    response = write(client, token, f"temp value=oops\ntemp,x value=1\n# fine\ntemp v=1 {NOW_NS}1")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": (
            "line 1: invalid field value 'oops' for field 'value'; "
            "line 2: missing value for tag 'x'; "
            "line 4: timestamp is more than 10 minutes in the future"
        ),
        "line": 1,
        "lines": [1, 2, 4],
    }
    assert stored(integration) == []
    assert not Series.objects.exists()


def test_a_line_the_service_refuses_is_named_and_the_others_stored(client, integration, token):
    response = write(client, token, f"temp value=1\n_ping value=1\n{'m' * 200} value=1")
    assert response.status_code == 400
    assert response.json()["lines"] == [2, 3]
    assert response.json()["message"] == (
        "partial write: 2 of 3 lines refused, the rest stored: "
        "line 2: metric '_ping.value' starts with '_', kept for Ladder's own metrics; "
        f"line 3: metric '{'m' * 39}…' is longer than 200 characters"
    )
    assert stored(integration) == [("temp.value", "{}", NOW, 1.0)]


def test_a_retried_partial_write_stores_nothing_twice(client, integration, token):
    body = "\n".join(f"temp value={i} {NOW_NS - i * 10**9}" for i in range(50)) + "\nbad"
    assert write(client, token, body).status_code == 400
    assert write(client, token, body).status_code == 400
    assert len(stored(integration)) == 50


def test_over_a_hundred_bad_lines_refuse_the_body_whole(client, integration, token):
    body = "temp value=1\n" + "bad\n" * 101
    response = write(client, token, body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "line 2: missing fields (and at least 100 more lines refused)",
        "line": 2,
    }
    assert stored(integration) == []


@pytest.mark.parametrize("value", ["NaN", "inf", "-Infinity"])
def test_non_finite_values_are_refused(client, integration, token, value):
    response = write(client, token, f"temp value={value}")
    assert response.status_code == 400
    assert response.json()["line"] == 1
    assert "not a finite number" in response.json()["message"]
    assert stored(integration) == []


def test_a_time_more_than_ten_minutes_ahead_is_refused(client, integration, token):
    future = NOW_NS + 11 * 60 * 10**9
    response = write(client, token, f"temp value=1 {future}")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "line 1: timestamp is more than 10 minutes in the future",
        "line": 1,
        "lines": [1],
    }


def test_a_time_before_2000_is_refused(client, integration, token):
    response = write(client, token, "temp value=1 946684799", url=f"{URL}&precision=s")
    assert response.status_code == 400
    assert response.json()["message"] == "line 1: timestamp is before 2000-01-01"


def test_a_metric_name_the_service_refuses_is_named(client, integration, token):
    response = write(client, token, f"{'m' * 200} value=1")
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"line 1: metric '{'m' * 39}…' is longer than 200 characters"
    )


def test_labels_the_service_refuses_are_named_with_their_metric(client, integration, token):
    tags = ",".join(f"k{i:02}=v" for i in range(33))
    response = write(client, token, f"temp,{tags} value=1")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "line 1: labels of metric 'temp.value': 33 labels; at most 32"
    )


def test_a_reserved_metric_name_is_refused(client, integration, token):
    response = write(client, token, "_ping value=1")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "line 1: metric '_ping.value' starts with '_', kept for Ladder's own metrics"
    )


def test_a_body_that_is_not_utf8_is_refused(client, integration, token):
    response = write(client, token, b"temp value=1 \xff")
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["message"]


def test_a_body_over_the_limit_is_refused_with_413(client, integration, token, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 1000
    response = write(client, token, "temp value=1\n" * 100)
    assert response.status_code == 413
    assert response.json() == {
        "code": "request too large",
        "message": "the body is over 1000 bytes (after decompression)",
        "maxLength": 1000,
    }
    assert write(client, token, "temp value=1\n" * 70).status_code == 204


def test_a_gzip_bomb_is_refused_with_413(client, integration, token, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 100_000
    bomb = gzip.compress(b"temp value=1\n" * 1_000_000)  # 13 MB that gzip to ~25 KB
    assert len(bomb) < 100_000
    response = write(client, token, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert stored(integration) == []


def test_too_many_points_are_refused_with_413(client, integration, token, settings):
    settings.TELEMETRY_MAX_POINTS = 10
    body = "\n".join(f"temp value={i} {NOW_NS - i * 10**9}" for i in range(11))
    response = write(client, token, body)
    assert response.status_code == 413
    assert response.json()["code"] == "request too large"


def test_invalid_gzip_is_refused(client, integration, token):
    response = write(client, token, b"not gzip", **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "not valid gzip" in response.json()["message"]


def test_truncated_gzip_is_refused(client, integration, token):
    body = gzip.compress(b"temp value=1\n" * 100)[:-12]
    response = write(client, token, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "truncated" in response.json()["message"]


def test_another_content_encoding_is_refused_with_415(client, integration, token):
    response = write(client, token, "temp value=1", **{"Content-Encoding": "br"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported media type"


def test_an_unknown_token_is_refused_with_401(client, integration, token):
    response = write(client, token + "x", "temp value=1")
    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "unknown or revoked token"}
    assert stored(integration) == []


def test_a_revoked_token_is_refused_with_401(client, integration, token):
    IngestToken.objects.get(integration=integration).revoke()
    response = write(client, token, "temp value=1")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert stored(integration) == []


@pytest.mark.parametrize("how", ["revoke", "revoke by update", "delete"])
def test_a_token_this_worker_used_is_refused_once_revoked_or_deleted(
    client, integration, token, how
):
    """The worker keeps the tokens it authenticated (`IngestCache.tokens`); revoking or
    deleting one bumps the ingest generation, so the next request reads it again."""
    assert write(client, token, "temp value=1").status_code == 204
    row = IngestToken.objects.get(integration=integration)
    if how == "revoke":
        row.revoke()
    elif how == "revoke by update":
        IngestToken.objects.filter(pk=row.pk).update(revoked=NOW)
    else:
        row.delete()
    response = write(client, token, f"temp value=2 {NOW_NS + 1}")
    assert response.status_code == 401
    assert len(stored(integration)) == 1


def test_a_paused_integration_with_a_kept_token_answers_409(client, integration, token):
    assert write(client, token, "temp value=1").status_code == 204
    integration.paused = True
    integration.save()
    assert write(client, token, f"temp value=2 {NOW_NS + 1}").status_code == 409
    assert len(stored(integration)) == 1


def test_a_metric_renamed_during_a_slow_upload_is_not_written_with_its_old_id(
    client, integration, token, monkeypatch, django_capture_on_commit_callbacks
):
    """The cache is checked with the token; a body that took longer than RECHECK_AFTER to
    arrive is stored after checking it again."""
    from integration import api
    from integration.models import Metric

    with django_capture_on_commit_callbacks(execute=True):  # its series id kept at commit
        assert write(client, token, "temp value=1").status_code == 204
    assert api.series_cache().series
    read = api.read_body

    def slow(request):
        Metric.objects.filter(integration=integration).update(name="temp.old")
        return read(request)

    monkeypatch.setattr(api, "read_body", slow)
    monkeypatch.setattr(api, "RECHECK_AFTER", 0.0)
    assert write(client, token, f"temp value=2 {NOW_NS + 1}").status_code == 204
    assert [row[0] for row in stored(integration)] == ["temp.old", "temp.value"]


@pytest.mark.django_db(transaction=True)
def test_the_token_triggers_exist_after_every_migration():
    """A later migration that rebuilds the tokens' table (SQLite does, to alter a column) would
    drop them, and a revoked token would stay kept by the workers."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert {"ingesttoken_changed", "ingesttoken_deleted", "integration_paused_changed"} <= names


def test_a_kept_token_saves_its_query(client, integration, token):
    """Once a worker has seen a token, a request reads only the ingest generation before its
    points (it read the token too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert write(client, token, "temp value=1").status_code == 204
    with CaptureQueriesContext(connection) as second:
        assert write(client, token, f"temp value=2 {NOW_NS + 1}").status_code == 204
    tokens = [q for q in first.captured_queries if "integration_ingesttoken" in q["sql"]]
    assert tokens and tokens[0]["sql"].lstrip().startswith("SELECT")
    assert not [q for q in second.captured_queries if 'FROM "integration_ingesttoken"' in q["sql"]]


@pytest.mark.parametrize("scheme", ["Bearer", "Basic", None])
def test_another_authorization_scheme_is_refused_with_401(client, integration, token, scheme):
    response = write(client, token, "temp value=1", scheme=scheme)
    assert response.status_code == 401
    assert response.json()["message"] == (
        "send the ingest token as the header 'Authorization: Token <token>'"
    )
    assert response["WWW-Authenticate"] == "Token"


def test_a_paused_integration_answers_409_and_stores_nothing(client, integration, token):
    integration.paused = True
    integration.save()
    response = write(client, token, "temp value=1")
    assert response.status_code == 409
    assert response.json()["code"] == "paused"
    assert stored(integration) == []


def test_get_is_not_allowed(client, token):
    response = client.get(URL, headers={"Authorization": f"Token {token}"})
    assert response.status_code == 405
    assert response.json()["code"] == "method not allowed"
    assert response["Allow"] == "POST"


def test_no_csrf_token_is_needed(integration, token):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert write(client, token, "temp value=1").status_code == 204


def test_a_body_over_djangos_upload_limit_is_still_accepted(client, integration, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = "\n".join(f"temp value={i} {NOW_NS - i * 10**9}" for i in range(200))
    assert len(body) > 1000
    assert write(client, token, body).status_code == 204
    assert len(stored(integration)) == 200


def test_a_chunked_body_without_length_is_refused_not_dropped(client, integration, token):
    response = client.generic(
        "POST",
        URL,
        b"",
        content_type="text/plain",
        headers={"Authorization": f"Token {token}", "Transfer-Encoding": "chunked"},
    )
    assert response.status_code == 400
    assert "Content-Length" in response.json()["message"]


def test_a_gzip_body_of_several_members_is_accepted(client, integration, token):
    body = gzip.compress(f"temp value=1 {NOW_NS}\n".encode()) + gzip.compress(
        f"temp value=2 {HOUR_AGO_NS}\n".encode()
    )
    assert write(client, token, body, **{"Content-Encoding": "gzip"}).status_code == 204
    assert len(stored(integration)) == 2


def test_a_gzip_body_of_more_members_than_the_cap_is_refused(client, integration, token):
    body = gzip.compress(f"temp value=1 {NOW_NS}\n".encode()) * (GZIP_MAX_MEMBERS + 1)
    response = write(client, token, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert response.json()["message"] == f"the gzip body has over {GZIP_MAX_MEMBERS} members"
    assert stored(integration) == []


def test_a_gzip_body_of_many_tiny_members_is_refused_at_once(client, integration, token):
    body = gzip.compress(b"") * 200_000  # 4 MB; each member's leftover input was copied
    with within(10):
        response = write(client, token, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 400
