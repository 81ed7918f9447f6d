"""Messages per second through one MQTT listener at QoS 1, zero loss, against a bare subscriber.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ladder_mqtt_bench \
        .venv/bin/python bench/mqtt_ingest.py
    .venv/bin/python bench/mqtt_ingest.py --messages 20000     # SQLite (a temporary file)

Starts a private mosquitto on a free port (or uses --url) and a throw-away test database. A
publisher process sends --messages QoS 1 messages of one line-protocol point each, spread over
--integrations (10), never more than --window waiting for the broker's PUBACK. Two scenarios,
each timed from the first message received to the last one handled:

- live: the subscriber is connected while the publisher sends (end to end);
- backlog: the messages were queued by the broker while the subscriber was away (same client
  id, persistent session), then it connects and drains them: the subscriber's own ceiling.

Each for two subscribers in the same run: the baseline, a bare paho subscriber (MQTT 5, shared
subscription, QoS 1) that only counts; and `integration.mqtt.Listener` (decode, batch, store,
commit, then PUBACK). The stored points are counted at the end: the run fails unless every
message was stored exactly once.

A benchmark, never a test.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def payloads(ids: list[str], prefix: str, count: int, base_ns: int):
    for i in range(count):
        ts = base_ns + i * 1_000_000  # a millisecond apart: every point its own key
        yield f"{prefix}/{ids[i % len(ids)]}/telemetry", f"vibration,sensor=s{i % 7} rms={i}.5 {ts}"


def publisher_main(url: str, prefix: str, ids: str, count: int, window: int, base_ns: int):
    """Run in its own process, so the publisher never competes with the subscriber for the GIL."""
    from integration.mqtt.publishing import publish_bounded, publisher_connect

    client = publisher_connect(url, window=window)
    started = time.perf_counter()
    sent = publish_bounded(client, payloads(ids.split(","), prefix, count, base_ns), window=window)
    seconds = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    print(f"{sent} {seconds:.3f}")


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("SQLITE_TEST_PATH", tempfile.mktemp(suffix=".sqlite3"))

import django  # noqa: E402

django.setup()

if len(sys.argv) > 1 and sys.argv[1] == "--publisher":
    url, prefix, ids, count, window, base_ns = sys.argv[2:8]
    publisher_main(url, prefix, ids, int(count), int(window), int(base_ns))
    sys.exit(0)

import paho.mqtt.client as mqtt  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from bench.broker import private_broker  # noqa: E402
from integration.mqtt.decoding import broker_from_url  # noqa: E402
from integration.mqtt.listener import Listener  # noqa: E402


class Publisher:
    def __init__(self, url, prefix, ids, count, window, base_ns):
        args = [url, prefix, ",".join(ids), str(count), str(window), str(base_ns)]
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--publisher", *args], stdout=subprocess.PIPE, text=True
        )

    def result(self) -> tuple[int, float]:
        out, _ = self.process.communicate(timeout=600)
        if self.process.returncode:
            raise SystemExit(f"the publisher failed ({self.process.returncode})")
        sent, seconds = out.split()
        return int(sent), float(seconds)


class Clock:
    """Seconds until `handled()` reaches `total`, polled every millisecond; fails on a stall."""

    def __init__(self, subscriber, total, stall=30.0):
        self.subscriber, self.total, self.stall = subscriber, total, stall

    def run(self, started: float | None = None) -> float:
        """From `started` (default: when the first message is received) to the last handled."""
        while started is None and self.subscriber.received() == 0:
            time.sleep(0.001)
        first = started or time.perf_counter()
        last_seen, last_change = 0, first
        while (seen := self.subscriber.handled()) < self.total:
            now = time.perf_counter()
            if seen != last_seen:
                last_seen, last_change = seen, now
            elif now - last_change > self.stall:
                raise SystemExit(f"stalled at {seen} of {self.total}")
            time.sleep(0.001)
        return time.perf_counter() - first


class Bare:
    """The baseline: a bare paho subscriber that counts and acknowledges, nothing else."""

    label = "bare paho subscriber (baseline)"

    def __init__(self, url: str, name: str, args):
        self.broker, self.name, self.count = broker_from_url(url), name, 0
        self.receive_maximum = min(2 * args.batch_messages, 65535)  # as the listener's

    def start(self) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.name, protocol=mqtt.MQTTv5
        )
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self.on_message
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 300
        properties.ReceiveMaximum = self.receive_maximum
        self.client.connect(
            self.broker.host, self.broker.port, clean_start=False, properties=properties
        )
        self.client.loop_start()
        self.client.subscribe(f"$share/{self.name}/{self.name}/+/telemetry", qos=1)
        assert subscribed.wait(10)

    def on_message(self, client, userdata, message):
        self.count += 1

    def received(self) -> int:
        return self.count

    handled = received

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Ladder:
    """The listener of `manage.py telemetry_listen`, in a thread."""

    label = "telemetry_listen (listener)"

    def __init__(self, url: str, name: str, args):
        self.url, self.name, self.args = url, name, args
        self.runs: list[Listener] = []

    def start(self) -> None:
        run = Listener(
            url=self.url,
            client_id=self.name,
            group=self.name,
            prefix=self.name,
            batch_messages=self.args.batch_messages,
            batch_seconds=self.args.batch_seconds,
            session_expiry=300,
        )
        self.runs.append(run)
        self.thread = threading.Thread(target=run.run, name="listener", daemon=True)
        self.thread.start()
        assert run.subscribed.wait(10)

    def received(self) -> int:
        return self.runs[-1].counters.received

    def handled(self) -> int:
        """Points committed (one a message)."""
        return self.runs[-1].counters.points_accepted

    def stop(self) -> None:
        self.runs[-1].stop()
        self.thread.join(30)

    def total(self, name: str) -> int:
        return sum(getattr(run.counters, name) for run in self.runs)


def live(subscriber, url, ids, args, base_ns) -> float:
    subscriber.start()
    try:
        publisher = Publisher(url, subscriber.name, ids, args.messages, args.window, base_ns)
        seconds = Clock(subscriber, args.messages).run()
        publisher.result()
        time.sleep(0.5)  # anything delivered twice would show up now
    finally:
        subscriber.stop()
    return args.messages / seconds


def backlog(subscriber, url, ids, args, base_ns) -> float:
    subscriber.start()  # the session and its subscription exist from now on
    subscriber.stop()
    Publisher(url, subscriber.name, ids, args.messages, args.window, base_ns).result()
    started = time.perf_counter()  # the backlog flows as soon as the session is back
    subscriber.start()
    try:
        seconds = Clock(subscriber, args.messages).run(started)
        time.sleep(0.5)
    finally:
        subscriber.stop()
    return args.messages / seconds


def check(integrations, listeners, messages) -> None:
    """Every message stored exactly once, nothing refused, counted from the database."""
    from integration.models import Point

    stored = Point.objects.filter(series__metric__integration__in=integrations).count()
    expected = messages * len(listeners)
    accepted = sum(ladder.total("points_accepted") for ladder in listeners)
    duplicates = sum(ladder.total("points_duplicate") for ladder in listeners)
    batches = sum(ladder.total("batches") for ladder in listeners)
    refused = sum(
        ladder.total(name)
        for ladder in listeners
        for name in (
            "unknown_integration",
            "unknown_topic",
            "paused",
            "bad_payload",
            "too_large",
            "invalid_point",
            "too_many_metrics",
            "retained",
        )
    )
    errors = sum(ladder.total("database_errors") for ladder in listeners)
    print(
        f"\nlistener: {stored:,} of {expected:,} points stored in {batches} transactions, "
        f"{duplicates} duplicates, {refused} refused, {errors} database errors"
    )
    if stored != expected or accepted != expected or duplicates or refused:
        raise SystemExit("LOSS OR DUPLICATES")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--integrations", type=int, default=10, help="messages spread over N")
    parser.add_argument("--window", type=int, default=100, help="publisher messages in flight")
    parser.add_argument("--batch-messages", type=int, default=2000)
    parser.add_argument("--batch-seconds", type=float, default=0.2)
    parser.add_argument("--url", help="an existing broker instead of a private mosquitto")
    args = parser.parse_args()

    if not args.url and not shutil.which("mosquitto"):
        raise SystemExit("mosquitto is not installed: pass --url")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    directory = Path(tempfile.mkdtemp(prefix="ladder-bench-mqtt-"))
    broker, url = (None, args.url) if args.url else private_broker(directory)
    try:
        from accounts.models import Organization
        from integration.models import Integration

        org = Organization.objects.create(name="Bench", slug="bench")
        integrations = [
            Integration.objects.create(organization=org, name=f"Press {n}")
            for n in range(args.integrations)
        ]
        ids = [str(i.pk) for i in integrations]
        base_ns = (int(time.time()) - 3600) * 10**9
        print(
            f"{connection.vendor}, {args.messages:,} QoS 1 messages of one point each, "
            f"{args.integrations} integrations, publisher window {args.window}, listener "
            f"batches of up to {args.batch_messages} messages / {args.batch_seconds} s\n"
        )
        ms = 1_000_000
        results = {}
        for n, (scenario, kind) in enumerate(
            [(live, Bare), (live, Ladder), (backlog, Bare), (backlog, Ladder)]
        ):
            name = f"bench-{scenario.__name__}-{kind.__name__.lower()}"
            subscriber = kind(url, name, args)
            rate = scenario(subscriber, url, ids, args, base_ns + n * args.messages * ms)
            results[scenario.__name__, kind] = (rate, subscriber)
        print(f"{'':<34} {'live':>14} {'backlog':>16}")
        for kind in (Bare, Ladder):
            rates = [results[scenario, kind][0] for scenario in ("live", "backlog")]
            ratios = [
                f"({rate / results[scenario, Bare][0]:.2f}x)" if kind is Ladder else ""
                for scenario, rate in zip(("live", "backlog"), rates, strict=True)
            ]
            print(
                f"{kind.label:<34} {rates[0]:>7,.0f} msg/s {ratios[0]:<7} "
                f"{rates[1]:>7,.0f} msg/s {ratios[1]}"
            )
        check(integrations, [results[s, Ladder][1] for s in ("live", "backlog")], args.messages)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if broker:
            broker.terminate()
            broker.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
