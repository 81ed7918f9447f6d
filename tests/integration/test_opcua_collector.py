"""The OPC UA collector with the real things (issue 14, item 7): asyncua's own server with
changing variables, `ladder-opcua` as its console script (or `python -m`) in a subprocess with a
config file written here, and Ladder under gunicorn on the test database, stopped and started
again on the same port mid-run. What Ladder stores must equal what the OPC UA server produced:
nothing lost, nothing doubled.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from asyncua import ua

from integration.models import IngestToken, Integration
from tests.instances import ROOT, database_env, free_port, wait_for
from tests.integration.conftest import stored
from tests.integration.opcua_plant import (
    Plant,
    collector_command,
    collector_env,
    make_certificate,
    ms,
)
from tests.services import port_open


class Ladder:
    """Ladder under gunicorn on the test database; `stop()` and `start()` keep the port."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
            f"127.0.0.1:{self.port}", "--workers", "1", "--worker-class", "gthread",
            "--threads", "2", "--graceful-timeout", "3",
        ]  # fmt: skip
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=database_env(LOG_LEVEL="WARNING"), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        wait_for(lambda: port_open("127.0.0.1", self.port), 30, "gunicorn to listen")

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


@pytest.fixture
def integration_and_token(transactional_db, org):
    integration = Integration.objects.create(organization=org, name="Press line 3 OPC UA")
    return integration, IngestToken.objects.issue(integration=integration, name="opcua")[1]


@pytest.fixture
def ladder(integration_and_token, tmp_path):
    server = Ladder(tmp_path / "gunicorn.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def plants():
    started: list[Plant] = []

    def start(*args, **kwargs) -> Plant:
        plant = Plant(*args, **kwargs).start()
        started.append(plant)
        return plant

    yield start
    for plant in started:
        plant.stop()


def write_config(tmp_path, *, url, token, plant, names, opcua="", ladder="", flush=0.2) -> Path:
    nodes = "".join(
        f'[[nodes]]\nnode_id = "{plant.node_id(name)}"\nmetric = "plant"\n'
        f'field = "{name.lower()}"\ntags = {{ line = "3" }}\n'
        for name in names
    )
    path = tmp_path / "collector.toml"
    path.write_text(
        f'[ladder]\nurl = "{url}"\ntoken = "{token}"\nflush_interval_s = {flush}\n'
        f"retry_max_s = 1\nhold_max_s = 1\ntimeout_s = 5\n{ladder}\n"
        f'[opcua]\nendpoint = "{plant.endpoint}"\nsampling_interval_ms = 0\n'
        f"publishing_interval_ms = 100\nreconnect_max_s = 1\n{opcua}\n"
        f'[buffer]\npath = "{tmp_path}/buffer.sqlite3"\n\n{nodes}'
    )
    return path


@contextlib.contextmanager
def collector(config: Path, log_path: Path, *, module: bool = False):
    """`ladder-opcua --config ...` (or `python -m integration.opcua.collector`) until the
    block ends; then SIGTERM, which it must obey."""
    command = [*collector_command(module=module), "--config", str(config)]
    env = collector_env()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=config.parent, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                assert process.wait(20) == 0
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise


def stored_set(integration) -> list[tuple[str, int, float]]:
    """(field, ts in ms, value) of every stored point, as a sorted list (doubles would show)."""
    return sorted(
        (metric.removeprefix("plant."), ms(ts), value)
        for metric, labels, ts, value in stored(integration)
    )


def produced_set(plant: Plant) -> list[tuple[str, int, float]]:
    return sorted((name.lower(), ts, value) for name, ts, value in plant.produced)


def buffered(tmp_path) -> int:
    """Lines waiting in the collector's buffer (0 before it made the file)."""
    with sqlite3.connect(tmp_path / "buffer.sqlite3") as db:
        try:
            return db.execute("SELECT count(*) FROM points").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_every_value_the_server_produced_is_stored_once_across_a_ladder_outage(
    integration_and_token, ladder, plants, tmp_path
):
    integration, token = integration_and_token
    plant = plants({"Counter": 0, "Sine": 0.0})
    config = write_config(
        tmp_path, url=ladder.url, token=token, plant=plant, names=["Counter", "Sine"]
    )
    log = tmp_path / "collector.log"
    with collector(config, log):
        # The current values first (the collector is subscribed), then a change every 50 ms.
        wait_for(lambda: len(stored(integration)) == 2, 20, "the first values stored")
        plant.run_updates(every=0.05)
        wait_for(lambda: len(stored(integration)) >= 40, 20, "values flowing")

        ladder.stop()
        written = plant.writes
        # 3 s of changes (60 rounds of 2) while Ladder is down, and its restart on top.
        wait_for(lambda: plant.writes >= written + 120, 20, "values changing during the outage")
        assert buffered(tmp_path) >= 100  # waiting on disk
        ladder.start()  # the same port

        wait_for(lambda: len(stored(integration)) >= plant.writes - 4, 30, "the backlog sent")
        plant.stop_updates()
        expected = produced_set(plant)
        wait_for(lambda: len(stored(integration)) >= len(expected), 20, "every value stored")
        time.sleep(0.5)  # nothing more may arrive

    assert stored_set(integration) == expected
    assert len(expected) > 100
    text = log.read_text()
    assert "connected to opc.tcp://" in text
    # Refused once gunicorn is gone; reset when its graceful stop (a loaded machine) drops the
    # connection first.
    assert re.search(r"Ladder unreachable \(Connection(Refused|Reset)Error", text)
    assert "Ladder answers again: sending" in text
    assert "flushed" in text
    assert buffered(tmp_path) == 0


def test_what_is_buffered_when_the_collector_stops_is_sent_after_it_starts_again(
    integration_and_token, ladder, plants, tmp_path
):
    integration, token = integration_and_token
    plant = plants({"Counter": 0, "Sine": 0.0})
    config = write_config(
        tmp_path, url=ladder.url, token=token, plant=plant, names=["Counter", "Sine"]
    )
    ladder.stop()
    with collector(config, tmp_path / "first.log"):
        wait_for(lambda: buffered(tmp_path) == 2, 20, "the current values buffered")
        plant.run_updates(every=0.05)
        wait_for(lambda: plant.writes >= 60, 20, "values changing")
        plant.stop_updates()
        wait_for(lambda: buffered(tmp_path) == len(plant.produced), 20, "all of them buffered")
    assert stored(integration) == []
    left = f"stopped ({len(plant.produced)} points left in the buffer"
    assert left in (tmp_path / "first.log").read_text()

    ladder.start()
    with collector(config, tmp_path / "second.log"):
        # The second run also reports each node's current value again: a repeat, stored once.
        wait_for(lambda: buffered(tmp_path) == 0, 20, "the buffer sent")
        wait_for(lambda: len(stored(integration)) == len(plant.produced), 20, "all stored")
        time.sleep(0.5)
    assert stored_set(integration) == produced_set(plant)


def test_the_collector_reconnects_when_the_opcua_server_restarts(
    integration_and_token, ladder, plants, tmp_path
):
    integration, token = integration_and_token
    plant = plants({"Counter": 0, "Sine": 0.0})
    config = write_config(
        tmp_path, url=ladder.url, token=token, plant=plant, names=["Counter", "Sine"]
    )
    log = tmp_path / "collector.log"
    with collector(config, log):
        wait_for(lambda: len(stored(integration)) == 2, 20, "the first values stored")
        plant.run_updates(every=0.05)
        wait_for(lambda: len(stored(integration)) >= 30, 20, "values flowing")
        # A server stopped between a change and its next publish never sends that change:
        # let the last ones out first.
        plant.stop_updates()
        before = len(plant.produced)
        wait_for(lambda: len(stored(integration)) == before, 20, "the changes so far stored")
        plant.restart(pause=2)
        wait_for(lambda: "lost the connection" in log.read_text(), 20, "the loss logged")
        # OPC UA keeps no history here: what changes before the collector is back is unseen.
        wait_for(lambda: log.read_text().count("connected to opc.tcp://") == 2, 20, "reconnected")
        plant.run_updates(every=0.05)
        written = plant.writes
        wait_for(lambda: plant.writes >= written + 30, 20, "values changing again")
        plant.stop_updates()
        expected = produced_set(plant)
        wait_for(lambda: len(stored(integration)) >= len(expected), 20, "every value stored")
    assert stored_set(integration) == expected


def test_user_and_password_are_sent_and_a_wrong_password_is_reported(
    integration_and_token, ladder, plants, tmp_path
):
    integration, token = integration_and_token
    plant = plants({"Counter": 0}, users={"collector": "s3cret-pw"})
    (tmp_path / "password").write_text("s3cret-pw\n")
    wrong = write_config(
        tmp_path, url=ladder.url, token=token, plant=plant, names=["Counter"],
        opcua='username = "collector"\npassword = "wrong"',
    )  # fmt: skip
    with collector(wrong, tmp_path / "wrong.log", module=True):
        wait_for(lambda: "cannot connect" in (tmp_path / "wrong.log").read_text(), 20, "a refusal")
    assert "BadUserAccessDenied" in (tmp_path / "wrong.log").read_text()
    assert stored(integration) == []

    right = write_config(
        tmp_path, url=ladder.url, token=token, plant=plant, names=["Counter"],
        opcua=f'username = "collector"\npassword_file = "{tmp_path}/password"',
    )  # fmt: skip
    with collector(right, tmp_path / "right.log", module=True):
        wait_for(lambda: len(stored(integration)) == 1, 20, "the value stored")
        plant.write("Counter", 41)
        wait_for(lambda: len(stored(integration)) == 2, 20, "the change stored")
    assert stored_set(integration) == produced_set(plant)


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
def test_basic256sha256_with_client_and_server_certificates(
    integration_and_token, ladder, plants, tmp_path, mode
):
    integration, token = integration_and_token
    server_cert = make_certificate(tmp_path / "pki", "server", "urn:ladder:tests:plant-server")
    client_cert, client_key = make_certificate(
        tmp_path / "pki", "client", "urn:ladder:opcua-collector"
    )
    policy = getattr(ua.SecurityPolicyType, f"Basic256Sha256_{mode}")
    plant = plants({"Counter": 0, "Sine": 0.0}, certificate=server_cert, security=[policy])
    config = write_config(
        tmp_path, url=ladder.url, token=token, plant=plant, names=["Counter", "Sine"],
        opcua=f'security = "Basic256Sha256,{mode}"\ncertificate = "{client_cert}"\n'
        f'private_key = "{client_key}"\nserver_certificate = "{server_cert[0]}"',
    )  # fmt: skip
    log = tmp_path / "collector.log"
    with collector(config, log):
        wait_for(lambda: len(stored(integration)) == 2, 20, "the first values stored")
        plant.run_updates(every=0.05)
        wait_for(lambda: len(stored(integration)) >= 20, 20, "values flowing")
        plant.stop_updates()
        expected = produced_set(plant)
        wait_for(lambda: len(stored(integration)) >= len(expected), 20, "every value stored")
    assert stored_set(integration) == expected
    assert f"(Basic256Sha256,{mode}, 2 nodes)" in log.read_text()


def test_a_server_without_the_mode_asked_for_is_reported(ladder, plants, tmp_path):
    client_cert, client_key = make_certificate(tmp_path, "client", "urn:ladder:opcua-collector")
    plant = plants({"Counter": 0})  # offers no encryption without a certificate of its own
    config = write_config(
        tmp_path, url=ladder.url, token="unused", plant=plant, names=["Counter"],
        opcua=f'security = "Basic256Sha256,SignAndEncrypt"\ncertificate = "{client_cert}"\n'
        f'private_key = "{client_key}"',
    )  # fmt: skip
    log = tmp_path / "collector.log"
    with collector(config, log):
        wait_for(lambda: "cannot connect" in log.read_text(), 20, "the refusal logged")
    assert "No matching endpoints" in log.read_text()


# Against a scripted HTTP server: the lines as sent, and what the collector does with each
# kind of answer.


class Scripted(http.server.ThreadingHTTPServer):
    """Answers POSTs with the statuses in `script` (then 204s); records each body's lines."""

    def __init__(self, script: list[tuple[int, dict, dict | None]]):
        self.script = list(script)
        self.requests: list[tuple[int, list[str], str]] = []  # (status, lines, authorization)
        super().__init__(("127.0.0.1", 0), _Answer)
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def lines(self, status: int = 204) -> list[str]:
        return [line for s, lines, _ in self.requests if s == status for line in lines]


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        status, headers, answer = (
            self.server.script.pop(0) if self.server.script else (204, {}, None)
        )
        lines = body.decode().split("\n")
        self.server.requests.append((status, lines, self.headers["Authorization"]))
        assert self.path == "/api/v2/write?precision=ms"
        content = json.dumps(answer).encode() if answer else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


def test_status_codes_become_quality_and_each_refusal_is_handled_as_it_should(plants, tmp_path):
    refused = {"code": "invalid", "message": "line 2: metric over the limit", "lines": [2]}
    ladder = Scripted([
        (503, {"Retry-After": "1"}, {"code": "unavailable", "message": "retry"}),
        (429, {"Retry-After": "1"}, {"code": "too many requests", "message": "slow down"}),
        (204, {}, None),
        (401, {}, {"code": "unauthorized", "message": "unknown or revoked token"}),
        (204, {}, None),  # the held batch, sent again
        (400, {}, refused),
    ])  # fmt: skip
    plant = plants({"Counter": 0, "Sine": 0.0})
    config = write_config(
        tmp_path, url=ladder.url, token="ldr_test", plant=plant, names=["Counter", "Sine"],
        ladder="batch_points = 2", flush=1,
    )  # fmt: skip
    log = tmp_path / "collector.log"
    with collector(config, log):
        wait_for(lambda: len(ladder.requests) >= 3, 20, "the retried first batch accepted")
        uncertain = plant.write("Sine", 0.5, status=ua.StatusCodes.UncertainLastUsableValue)
        wait_for(lambda: len(ladder.requests) >= 5, 20, "the 401, then the batch again")
        # Bad: the server sends no value (Part 4, 7.7.1), so there is nothing to send.
        plant.write("Sine", 0.25, status=ua.StatusCodes.BadSensorFailure)
        wait_for(lambda: "BadSensorFailure without a value" in log.read_text(), 20, "the log")
        # Both in one batch (the collector sends once a second here).
        sine, counter = plant.write_together(
            ("Sine", 0.75, ua.StatusCodes.Good), ("Counter", 1, ua.StatusCodes.Good)
        )
        wait_for(lambda: len(ladder.requests) >= 6, 20, "the 400")
        plant.write("Counter", 2)
        wait_for(lambda: len(ladder.lines()) >= 4, 20, "the collector going on")

    first = sorted(ladder.requests[0][1])
    assert [lines for _, lines, _ in ladder.requests[:3]] == [ladder.requests[0][1]] * 3
    assert first[0].startswith("plant,line=3 counter=0i ")
    assert first[1].startswith("plant,line=3 sine=0.0 ")
    assert {auth for _, _, auth in ladder.requests} == {"Token ldr_test"}
    assert ladder.requests[3][1] == [f'plant,line=3 sine=0.5,_quality="uncertain" {uncertain}']
    assert ladder.requests[4][1] == ladder.requests[3][1]  # held, not rejected, then sent
    assert sorted(ladder.requests[5][1]) == [
        f"plant,line=3 counter=1i {counter}",
        f"plant,line=3 sine=0.75 {sine}",
    ]
    assert ladder.lines()[3].startswith("plant,line=3 counter=2i ")
    with sqlite3.connect(tmp_path / "buffer.sqlite3") as db:
        rejected = db.execute("SELECT status, reason, line FROM rejected ORDER BY id").fetchall()
    # 401: held and sent again; 400 naming line 2: only that line (Ladder stored the rest).
    assert rejected == [(400, "line 2: metric over the limit", ladder.requests[5][1][1])]
    text = log.read_text()
    assert "Ladder unreachable (HTTP 503: retry)" in text
    assert "Ladder refuses the data (HTTP 401: unknown or revoked token): holding" in text
    assert "Ladder accepts the data again (it refused it with HTTP 401)" in text
    assert "node ns=2;s=Plant.Sine has values again" in text
    assert "Ladder refused 1 of 2 lines (HTTP 400: line 2: metric over the limit)" in text


def test_a_buffer_it_cannot_write_stops_the_collector_with_status_1(plants, tmp_path):
    plant = plants({"Counter": 0})
    config = write_config(
        tmp_path, url="http://127.0.0.1:9", token="t", plant=plant, names=["Counter"]
    )
    config.write_text(config.read_text().replace(f"{tmp_path}/buffer.sqlite3", "/proc/buffer"))
    result = subprocess.run(
        [*collector_command(), "--config", str(config)], env=collector_env(), cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "stopped by an error (the buffer keeps what was not sent)" in result.stderr
