"""The demo telemetry simulator's transports: HTTP to a stub server and MQTT to a broker."""

import http.server
import random
import socket
import threading
import time
import uuid
from datetime import timedelta

import orjson
import pytest

from integration import jsonpoints
from integration.demo import DEMO_INTEGRATIONS
from integration.simulator.signals import sample
from integration.simulator.transports import HttpTransport, MqttTransport, Refused, Unavailable
from tests.integration.conftest import WEDNESDAY
from tests.services import need_mqtt

# Transports


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_http_to_a_server_that_is_not_up_is_unavailable():
    transport = HttpTransport(f"http://127.0.0.1:{closed_port()}", {"k": "ldr_x"}, timeout=2)
    feed = DEMO_INTEGRATIONS[0].feed("k")
    with pytest.raises(Unavailable, match="refused"):
        transport.points(feed, sample(feed.signals, WEDNESDAY, random.Random(1)))


class StubHandler(http.server.BaseHTTPRequestHandler):
    answers: dict = {}
    requests: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        self.requests.append((self.path, self.headers["Authorization"], body))
        status, answer = self.answers.get(self.path, (200, {"accepted": 1, "duplicates": 0}))
        payload = orjson.dumps(answer)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_server():
    StubHandler.answers, StubHandler.requests = {}, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", StubHandler
    server.shutdown()
    server.server_close()


def test_http_posts_json_and_pings_with_the_feeds_token(stub_server):
    url, handler = stub_server
    feed = DEMO_INTEGRATIONS[0].feed("k")
    transport = HttpTransport(url + "/", {"k": "ldr_secret"})
    points = sample(feed.signals, WEDNESDAY, random.Random(1))
    transport.points(feed, points)
    assert transport.ping(feed, failed=False) is True
    transport.ping(feed, failed=True)
    paths = [(path, auth) for path, auth, _ in handler.requests]
    assert paths == [
        ("/api/v1/telemetry", "Bearer ldr_secret"),
        ("/api/v1/ping", "Bearer ldr_secret"),
        ("/api/v1/ping/fail", "Bearer ldr_secret"),
    ]
    assert jsonpoints.parse(handler.requests[0][2], now=WEDNESDAY) == points


def test_http_errors_are_refusals_and_server_errors_unavailable(stub_server):
    url, handler = stub_server
    handler.answers = {
        "/api/v1/telemetry": (409, {"code": "paused", "message": "integration k is paused"}),
        "/api/v1/ping": (503, {"code": "unavailable", "message": "later"}),
    }
    feed = DEMO_INTEGRATIONS[0].feed("k")
    transport = HttpTransport(url, {"k": "ldr_secret"})
    with pytest.raises(Refused, match="HTTP 409: integration k is paused") as refused:
        transport.points(feed, sample(feed.signals, WEDNESDAY, random.Random(1)))
    assert refused.value.status == 409
    with pytest.raises(Unavailable, match="HTTP 503"):
        transport.ping(feed, failed=False)


def test_mqtt_refuses_a_url_that_is_not_mqtt():
    with pytest.raises(ValueError, match="mqtt://"):
        MqttTransport("http://127.0.0.1:1883")


def test_mqtt_to_a_broker_that_is_not_up_is_unavailable():
    transport = MqttTransport(f"mqtt://127.0.0.1:{closed_port()}", timeout=0.5)
    feed = DEMO_INTEGRATIONS[0].feed("k")
    try:
        with pytest.raises(Unavailable, match="not connected"):
            transport.points(feed, sample(feed.signals, WEDNESDAY, random.Random(1)))
    finally:
        transport.close()


def test_mqtt_publishes_at_qos_1_with_a_bounded_number_in_flight():
    need_mqtt()
    import paho.mqtt.client as mqtt

    prefix, key = f"test-{uuid.uuid4().hex[:12]}", str(uuid.uuid4())
    received, subscribed = [], threading.Event()
    subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    subscriber.on_subscribe = lambda *args: subscribed.set()
    subscriber.on_message = lambda client, userdata, message: received.append(message)
    subscriber.connect("127.0.0.1", 1883)
    subscriber.subscribe(f"{prefix}/+/telemetry", qos=1)
    subscriber.loop_start()
    transport = MqttTransport("mqtt://127.0.0.1:1883", prefix=prefix, max_inflight=10)
    try:
        assert subscribed.wait(5)
        feed = DEMO_INTEGRATIONS[0].feed(key)
        rng = random.Random(1)
        batches = [sample(feed.signals, WEDNESDAY + timedelta(seconds=i), rng) for i in range(300)]
        for points in batches:
            transport.points(feed, points)
            assert len(transport._unacked) <= 10
        transport.flush()
        assert not transport._unacked
        deadline = time.monotonic() + 10
        while len(received) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {message.topic for message in received} == {f"{prefix}/{key}/telemetry"}
        got = [jsonpoints.parse(message.payload, now=WEDNESDAY) for message in received]
        assert sorted(got, key=lambda points: points[0].ts) == batches
        assert transport.ping(feed, failed=True) is False  # MQTT carries telemetry only
    finally:
        transport.close()
        subscriber.disconnect()
        subscriber.loop_stop()
