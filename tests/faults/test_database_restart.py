"""PostgreSQL stopped and started again under HTTP ingest: clients get 503 with Retry-After,
never 500, their retries land, and every acknowledged point is stored exactly once.

The app runs under gunicorn against a private PostgreSQL (its own cluster on a free port), with
persistent connections, so the restart also proves that stale connections are replaced.
"""

import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import psycopg
import pytest

from integration.models import IngestToken
from tests.instances import (
    ROOT,
    PrivatePostgreSQL,
    free_port,
    need_postgresql_binaries,
    wait_for,
)
from tests.services import port_open

CLIENTS = 4
BATCHES = 80  # per client
LINES = 25  # points per batch
# An hour ago, whole seconds: inside the ingest window whenever the tests run.
BASE_NS = (int(time.time()) - 3600) * 10**9


def batch(client: int, number: int) -> list[tuple[str, str, int, float]]:
    """(metric, labels, ts in ns, value) of one batch; no two points share a timestamp."""
    first = (client * BATCHES + number) * LINES
    return [
        ("fault.value", f'{{"client":"c{client}"}}', BASE_NS + (first + j) * 10**6, first + j + 0.5)
        for j in range(LINES)
    ]


def line_protocol(points) -> bytes:
    return "\n".join(
        f"fault,client={json.loads(labels)['client']} value={value} {ts}"
        for _, labels, ts, value in points
    ).encode()


class Client(threading.Thread):
    """Sends its batches one after another; retries each on 503 or a lost connection until
    it is acknowledged (204), as Telegraf does."""

    def __init__(self, number: int, port: int, token: str, deadline: float):
        super().__init__(name=f"fault-client-{number}", daemon=True)
        self.number, self.port, self.token, self.deadline = number, port, token, deadline
        self.acknowledged: list[tuple] = []
        self.statuses: Counter[int] = Counter()
        self.unavailable: list[tuple[str | None, dict]] = []  # (Retry-After, body) of each 503
        self.unexpected: list[tuple[int, bytes]] = []
        self.connection_errors = 0

    def run(self):
        for number in range(BATCHES):
            points = batch(self.number, number)
            while not self.send(line_protocol(points)):
                if time.monotonic() > self.deadline:
                    return
                time.sleep(0.1)  # sooner than Retry-After asks, to see more of the outage
            self.acknowledged.extend(points)
            time.sleep(0.01)

    def send(self, body: bytes) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(
                "POST",
                "/api/v2/write?precision=ns",
                body,
                {"Authorization": f"Token {self.token}", "Content-Type": "text/plain"},
            )
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection_errors += 1
            return False
        finally:
            connection.close()
        self.statuses[response.status] += 1
        if response.status == 204:
            return True
        if response.status == 503:
            self.unavailable.append((response.getheader("Retry-After"), json.loads(content)))
        else:
            self.unexpected.append((response.status, content[:500]))
        return False


def manage_output(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture
def database():
    need_postgresql_binaries()
    server = PrivatePostgreSQL()
    try:
        server.create_database("ladder")
        yield server
    finally:
        server.remove()


@pytest.fixture
def app(database, tmp_path):
    """Ladder under gunicorn on the private database: (port, token, integration id)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database.url("ladder"),
        "DB_CONN_MAX_AGE": "60",  # persistent connections: they must survive the restart
        "SECRET_KEY": "ladder-tests-only-not-a-secret-0123456789abcdefghijklmnop",
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    manage_output(env, "migrate", "-v", "0")
    create = (
        "from accounts.models import Organization as O; O.objects.create(name='Acme', slug='acme')"
    )
    manage_output(env, "shell", "-c", create)
    created = json.loads(manage_output(env, "create_integration", "acme", "Press line 3"))
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "4",
         "--graceful-timeout", "5"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: port_open("127.0.0.1", port), 20, "gunicorn to listen")
        yield port, created["token"], created["id"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def stored_points(database, integration_id) -> list[tuple]:
    with psycopg.connect(database.url("ladder")) as connection:
        rows = connection.execute(
            "SELECT m.name, s.labels, p.ts, p.value FROM integration_point p "
            "JOIN integration_series s ON s.id = p.series_id "
            "JOIN integration_metric m ON m.id = s.metric_id WHERE m.integration_id = %s",
            [integration_id],
        ).fetchall()
        counted = connection.execute(
            "SELECT coalesce(sum(r.count), 0) FROM integration_minuterollup r "
            "JOIN integration_series s ON s.id = r.series_id "
            "JOIN integration_metric m ON m.id = s.metric_id WHERE m.integration_id = %s",
            [integration_id],
        ).fetchone()[0]
    return rows, counted


def test_clients_get_503_while_postgresql_is_down_and_every_acknowledged_point_is_stored_once(
    database, app
):
    port, token, integration_id = app
    clients = [Client(n, port, token, deadline=time.monotonic() + 45) for n in range(CLIENTS)]
    for client in clients:
        client.start()

    def acknowledged() -> int:
        return sum(len(c.acknowledged) for c in clients)

    def unavailable() -> int:
        return sum(len(c.unavailable) for c in clients)

    wait_for(lambda: acknowledged() >= 20 * LINES, 20, "the first batches acknowledged")
    database.stop("fast")  # disconnects every session, as a restart or failover does
    wait_for(lambda: unavailable() >= 2 * CLIENTS, 15, "503s while the database is down")
    time.sleep(1)
    during_outage = acknowledged()
    assert all(c.is_alive() for c in clients), "the clients finished before the outage"
    database.start()
    for client in clients:
        client.join(45)
    assert not any(c.is_alive() for c in clients), "a client's retries never landed"

    assert [c.unexpected for c in clients] == [[]] * CLIENTS  # 204 or 503, never a 500
    outage = [u for c in clients for u in c.unavailable]
    assert all(retry_after == "5" for retry_after, _ in outage)
    assert all(body["code"] == "unavailable" for _, body in outage)
    total = CLIENTS * BATCHES * LINES
    assert acknowledged() == total  # every batch landed in the end...
    assert acknowledged() > during_outage  # ...some of them only after the restart

    sent = sorted(
        (metric, labels, datetime.fromtimestamp(ts / 10**9, UTC), value)
        for c in clients
        for metric, labels, ts, value in c.acknowledged
    )
    rows, rolled_up = stored_points(database, integration_id)
    assert len(rows) == len(set(rows)) == total
    assert sorted(rows) == sent
    assert rolled_up == total  # no retry was counted twice in the rollups either


@pytest.mark.django_db
def test_an_unavailable_database_is_a_503_with_retry_after(client, monkeypatch):
    from django.db import InterfaceError, OperationalError

    for error in (OperationalError("connection refused"), InterfaceError("connection closed")):

        def down(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr(IngestToken.objects, "authenticate", down)
        response = client.post(
            "/api/v2/write",
            b"temp value=1",
            content_type="text/plain",
            headers={"Authorization": "Token lt_anything"},
        )
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.json() == {
            "code": "unavailable",
            "message": "the database is unavailable: retry",
        }
