"""Chunked request bodies (issue 14, item 1): what Telegraf and influxdb-client-js send.

Through a real gunicorn and Django's runserver (Ladder's, which decodes chunks), as subprocesses
on the test database, and through the test client with a WSGI input that the server declared
terminated (``wsgi.input_terminated``), as gunicorn hands it over.
"""

import contextlib
import gzip
import http.client
import io
import json
import os
import signal
import subprocess
import sys
import time
import zlib

import pytest

from integration.models import IngestToken, Integration
from tests.instances import ROOT, database_env, free_port, wait_for
from tests.integration.conftest import NOW_NS, stored
from tests.services import port_open

LIMIT = 100_000  # TELEMETRY_MAX_BODY_BYTES of the servers started here
WRITE = "/api/v2/write?bucket=ladder&org=acme"


def telegraf_body(lines: int = 300) -> list[bytes]:
    """Line protocol gzipped as a stream and cut into pieces, each sent as a chunk (Telegraf's
    Go client sends a body of unknown length that way)."""
    start = (int(time.time()) - 3600) * 10**9  # an hour ago, one line a second
    text = "".join(
        f"cpu,host=press3 usage_idle={i}.5,usage_user={i}i {start + i * 10**9}\n"
        for i in range(lines)
    )
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    data = compressor.compress(text.encode()) + compressor.flush()
    return [data[i : i + 700] for i in range(0, len(data), 700)]


def post_chunked(connection, url, pieces, token, *, scheme="Token", encoding="gzip", **headers):
    headers = {
        "Authorization": f"{scheme} {token}",
        "Content-Type": "text/plain; charset=utf-8",
        "User-Agent": "Telegraf/1.36.1 Go/1.24.4",
        **({"Content-Encoding": encoding} if encoding else {}),
        **headers,
    }
    connection.request("POST", url, body=iter(pieces), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    return response.status, response.read()


@contextlib.contextmanager
def server(command: list[str], env: dict, port: int, log_path):
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for(lambda: port_open("127.0.0.1", port), 30, "the server to listen")
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def integration_and_token(transactional_db, org):
    integration = Integration.objects.create(organization=org, name="Press line 3")
    return integration, IngestToken.objects.issue(integration=integration, name="telegraf")[1]


def env_for_servers() -> dict:
    return database_env(TELEMETRY_MAX_BODY_BYTES=str(LIMIT), LOG_LEVEL="WARNING")


@pytest.fixture
def gunicorn(integration_and_token, tmp_path):
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
        f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread", "--threads", "2",
    ]  # fmt: skip
    with server(command, env_for_servers(), port, tmp_path / "gunicorn.log"):
        yield port


@pytest.fixture
def runserver(integration_and_token, tmp_path):
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    with server(command, env_for_servers(), port, tmp_path / "runserver.log"):
        yield port


def check_a_server(port, integration, token):
    """Telegraf's request, JSON chunked, and both over-limit refusals, on one connection where
    the server keeps it (each refused body is read through or the connection is closed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pieces = telegraf_body()
    status, body = post_chunked(connection, WRITE, pieces, token)
    assert (status, body) == (204, b"")
    assert len(stored(integration)) == 600

    # The same again: stored once (a retry), and the connection carried a second request.
    assert post_chunked(connection, WRITE, pieces, token)[0] == 204
    assert len(stored(integration)) == 600

    points = {"points": [{"metric": "node_red.flow", "value": 3}]}
    status, body = post_chunked(
        connection, "/api/v1/telemetry", [json.dumps(points).encode()], token, scheme="Bearer",
        encoding=None, **{"Content-Type": "application/json"},
    )  # fmt: skip
    assert (status, json.loads(body)) == (200, {"accepted": 1, "duplicates": 0})

    # Over the limit once inflated: 200 kB of one line, gzipped to a few hundred bytes.
    bomb = gzip.compress(b"cpu v=1 " + b"0" * 200_000)
    assert len(bomb) < 1000
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    status, body = post_chunked(connection, WRITE, [bomb[:300], bomb[300:]], token)
    assert status == 413
    assert json.loads(body) == {
        "code": "request too large",
        "message": f"the body is over {LIMIT} bytes (after decompression)",
        "maxLength": LIMIT,
    }

    # Over the limit as sent: 150 kB that gzip cannot shrink.
    noise = gzip.compress(os.urandom(150_000))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pieces = [noise[i : i + 8192] for i in range(0, len(noise), 8192)]
    status, body = post_chunked(connection, WRITE, pieces, token)
    assert status == 413
    assert json.loads(body)["code"] == "request too large"
    assert len(stored(integration)) == 601


def test_a_chunked_gzip_body_like_telegrafs_is_stored_under_gunicorn(
    gunicorn, integration_and_token
):
    check_a_server(gunicorn, *integration_and_token)


def test_a_chunked_gzip_body_like_telegrafs_is_stored_under_runserver(
    runserver, integration_and_token
):
    check_a_server(runserver, *integration_and_token)


def test_runserver_answers_a_malformed_chunked_body_with_400(runserver, integration_and_token):
    _, token = integration_and_token
    connection = http.client.HTTPConnection("127.0.0.1", runserver, timeout=30)
    connection.putrequest("POST", WRITE)
    connection.putheader("Authorization", f"Token {token}")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    connection.send(b"zz\r\ncpu v=1\r\n0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 400
    assert b"Content-Length" not in response.read()  # the chunks were read, and refused


def test_ladders_runserver_is_the_one_manage_py_runs():
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "runserver"], cwd=ROOT, env=database_env(),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--nostatic" in result.stdout  # WhiteNoise's and staticfiles' options are kept
    from django.core.management import get_commands

    assert get_commands()["runserver"] == "integration"


# Through the test client: the WSGI input as gunicorn gives it (decoded, terminated).


class Endless:
    """A decoded chunked body that never ends; counts what was read of it."""

    def __init__(self, piece: bytes):
        self.piece, self.read_bytes = piece, 0

    def readline(self, size=-1):
        raise AssertionError("a line read: unbounded")

    def read(self, size=-1):
        assert 0 < size <= 64 * 1024, "an unbounded read"
        self.read_bytes += size
        return (self.piece * (size // len(self.piece) + 1))[:size]


def chunked(client, url, stream, token, *, scheme="Token", **headers):
    return client.generic(
        "POST", url, b"", content_type="text/plain",
        headers={"Authorization": f"{scheme} {token}", "Transfer-Encoding": "chunked", **headers},
        **{"wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
    )  # fmt: skip


@pytest.mark.django_db
def test_a_terminated_chunked_input_is_read_whole(client, integration, token):
    lines = "".join(f"temp value={i} {NOW_NS - i * 10**9}\n" for i in range(5))
    body = gzip.compress(lines.encode())
    response = chunked(client, WRITE, io.BytesIO(body), token, **{"Content-Encoding": "gzip"})
    assert response.status_code == 204
    assert len(stored(integration)) == 5


@pytest.mark.django_db
def test_a_terminated_chunked_json_body_is_read_whole(client, integration, token):
    body = json.dumps({"points": [{"metric": "temp", "value": 1}]}).encode()
    response = chunked(client, "/api/v1/telemetry", io.BytesIO(body), token, scheme="Bearer")
    assert response.json() == {"accepted": 1, "duplicates": 0}


@pytest.mark.django_db
def test_an_endless_chunked_body_is_refused_at_the_limit(client, integration, token, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 1_000_000
    stream = Endless(b"temp value=1\n")
    response = chunked(client, WRITE, stream, token)
    assert response.status_code == 413
    assert stream.read_bytes == 1_000_001  # the limit and one byte, never more
    assert stored(integration) == []


@pytest.mark.django_db
def test_an_endless_chunked_gzip_body_is_refused_at_the_limit(client, integration, token, settings):
    settings.TELEMETRY_MAX_BODY_BYTES = 1_000_000
    stream = Endless(os.urandom(4096))
    response = chunked(client, WRITE, stream, token, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert stream.read_bytes == 1_000_001
