"""InfluxDB's own clients against Ladder (issue 14, item 2): the `influxdb` 1.x client's
`write_points` and `ping`, `influxdb_client`'s `ping`, `health` and a write, over HTTP to a live
server; the 1.x `/write` endpoint's ways to send a token, its precisions and errors."""

import base64
import time
import warnings
from datetime import UTC, datetime
from urllib.parse import urlsplit

import influxdb
import influxdb_client
import pytest
from influxdb.exceptions import InfluxDBClientError
from influxdb_client.client.write_api import SYNCHRONOUS

from integration.api import INFLUXDB_VERSION
from integration.models import IngestToken
from tests.integration.conftest import stored

# An hour ago, in whole seconds: inside the ingest window whenever the tests run.
WHEN = datetime.fromtimestamp(int(time.time()) // 3600 * 3600 - 3600, UTC)


@pytest.fixture
def server(live_server):
    parts = urlsplit(live_server.url)
    return parts.hostname, parts.port


def v1_client(server, **options):
    host, port = server
    return influxdb.InfluxDBClient(host=host, port=port, database="telegraf", **options)


def points(n=3, measurement="vibration"):
    return [
        {
            "measurement": measurement,
            "tags": {"press": "3"},
            "time": WHEN.replace(minute=i).isoformat(),
            "fields": {"rms": 0.5 + i, "peak": i},
        }
        for i in range(n)
    ]


# The `influxdb` 1.x client


@pytest.mark.parametrize("precision", [None, "n", "u", "ms", "s", "m", "h"])
def test_the_1x_client_writes_in_each_precision(server, integration, token, precision):
    client = v1_client(server, username="ladder", password=token)
    batch = points(1) if precision == "h" else points(3)  # one point an hour
    assert client.write_points(batch, time_precision=precision) is True
    rows = stored(integration)
    assert len(rows) == 2 * len(batch)
    assert rows[0][:3] == ("vibration.peak", '{"press":"3"}', WHEN)


def test_the_1x_client_writes_with_basic_auth(server, integration, token):
    assert v1_client(server, username="anyone", password=token).write_points(points())
    assert len(stored(integration)) == 6


def test_the_1x_client_writes_with_a_token_header(server, integration, token):
    client = v1_client(server, headers={"Authorization": f"Token {token}"})
    assert client.write_points(points())
    assert len(stored(integration)) == 6


def test_the_1x_client_writes_with_a_bearer_header(server, integration, token):
    client = v1_client(server, headers={"Authorization": f"Bearer {token}"})
    assert client.write_points(points())
    assert len(stored(integration)) == 6


def test_the_1x_client_writes_with_u_and_p_parameters(server, integration, token):
    line = f"vibration,press=3 rms=1.5 {int(WHEN.timestamp())}"
    params = {"db": "telegraf", "precision": "s", "u": "ladder", "p": token}
    assert v1_client(server).write(line, params=params, protocol="line") is True
    assert stored(integration) == [("vibration.rms", '{"press":"3"}', WHEN, 1.5)]


def test_the_1x_client_writes_gzipped(server, integration, token):
    client = v1_client(server, username="ladder", password=token, gzip=True)
    assert client.write_points(points())
    assert len(stored(integration)) == 6


def test_the_1x_clients_ping_answers_the_version(server, db):
    assert v1_client(server).ping() == INFLUXDB_VERSION


def test_the_1x_client_is_refused_a_wrong_token(server, integration, token):
    client = v1_client(server, username="ladder", password="ldr_wrong")
    with pytest.raises(InfluxDBClientError) as refused:
        client.write_points(points())
    assert refused.value.code == 401
    assert refused.value.content == '{"error":"unknown or revoked token"}'
    assert stored(integration) == []


def test_a_token_writes_only_its_own_integration(
    server, integration, token, other_integration, other_token
):
    assert v1_client(server, username="x", password=other_token).write_points(points())
    assert stored(integration) == []
    assert len(stored(other_integration)) == 6


def test_a_revoked_token_is_refused(server, integration, token):
    IngestToken.objects.filter(integration=integration).update(revoked=WHEN)
    with pytest.raises(InfluxDBClientError) as refused:
        v1_client(server, username="x", password=token).write_points(points())
    assert refused.value.code == 401


def test_a_1x_batch_with_bad_lines_stores_the_good_ones_and_names_each_bad_one(
    server, integration, token
):
    seconds = int(WHEN.timestamp())
    lines = "\n".join(
        [
            f"temp value=1 {seconds}",
            "temp value=oops",
            f"temp value=2 {seconds + 1}",
            f"_reserved value=1 {seconds}",
        ]
    )
    client = v1_client(server, username="x", password=token)
    with pytest.raises(InfluxDBClientError) as refused:
        client.write(lines, params={"db": "telegraf", "precision": "s"}, protocol="line")
    assert refused.value.code == 400
    assert refused.value.content == (
        '{"error":"partial write: 2 of 4 lines refused, the rest stored: '
        "line 2: invalid field value 'oops' for field 'value'; "
        "line 4: metric '_reserved.value' starts with '_', kept for Ladder's own metrics\"}"
    )
    assert [row[3] for row in stored(integration)] == [1.0, 2.0]


# `influxdb_client` (2.x)


def v2_client(live_server, token="unused"):
    return influxdb_client.InfluxDBClient(url=live_server.url, token=token, org="acme")


def test_the_2x_clients_ping_and_version(live_server, db):
    with v2_client(live_server) as client:
        assert client.ping() is True
        assert client.version() == INFLUXDB_VERSION


def test_the_2x_clients_health_passes(live_server, db):
    with v2_client(live_server) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # health() is deprecated
        health = client.health()
    assert (health.name, health.status, health.version) == ("influxdb", "pass", INFLUXDB_VERSION)
    assert health.message == "ready for queries and writes"


def test_the_2x_client_writes(live_server, integration, token):
    with v2_client(live_server, token) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket="ladder", record=f"vibration,press=3 rms=1.5 {int(WHEN.timestamp())}",
            write_precision="s",
        )  # fmt: skip
    assert stored(integration) == [("vibration.rms", '{"press":"3"}', WHEN, 1.5)]


def test_the_probes_say_nothing_of_any_organisation(client, org, integration):
    for path in ("/ping", "/health"):
        for method in (client.get, client.head):
            response = method(path)
            assert response.status_code == (204 if path == "/ping" else 200)
            assert response["X-Influxdb-Version"] == INFLUXDB_VERSION
            assert b"acme" not in response.content.lower()
            assert "acme" not in str(response.headers).lower()


def test_the_integrations_own_ping_is_still_token_authenticated(client, integration, token):
    assert client.post("/api/v1/ping").status_code == 401
    response = client.post("/api/v1/ping", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"accepted": 1, "duplicates": 0}


# /write's details, through the test client


def write_v1(client, body, query="db=telegraf", **headers):
    return client.post(f"/write?{query}", body, content_type="text/plain", headers=headers)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_no_token_is_a_1x_401(client, integration):
    response = write_v1(client, "temp value=1")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="InfluxDB"'
    assert response.json() == {
        "error": "send the ingest token as the password (Basic auth or the p parameter) "
        "or as the header 'Authorization: Token <token>'"
    }


@pytest.mark.parametrize("authorization", [basic("x", ""), "Basic ###", "Digest abc", "Token "])
def test_malformed_credentials_are_a_401(client, integration, authorization):
    response = write_v1(client, "temp value=1", Authorization=authorization)
    assert response.status_code == 401
    assert stored(integration) == []


def test_an_unknown_1x_precision_is_refused(client, integration, token):
    response = write_v1(client, "temp value=1", f"precision=d&p={token}")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid precision 'd': use n, ns, u, us, ms, s, m, h",
    }


def test_the_v2_endpoint_does_not_take_1x_precisions(client, integration, token):
    response = client.post(
        "/api/v2/write?precision=h", "temp value=1", content_type="text/plain",
        headers={"Authorization": f"Token {token}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["message"] == "invalid precision 'h': use ns, us, ms or s"


def test_1x_errors_keep_the_limits(client, integration, token, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 100
    response = write_v1(client, "temp value=1\n" * 20, f"p={token}")
    assert response.status_code == 413
    assert response.json() == {"error": "the body is over 100 bytes (after decompression)"}


def test_a_paused_integration_is_a_1x_409(client, integration, token):
    integration.paused = True
    integration.save()
    response = write_v1(client, "temp value=1", f"p={token}")
    assert response.status_code == 409
    assert "paused" in response.json()["error"]


def test_get_on_write_is_a_1x_405(client, token):
    response = client.get(f"/write?p={token}")
    assert response.status_code == 405
    assert response.json() == {"error": "use POST, not GET"}
