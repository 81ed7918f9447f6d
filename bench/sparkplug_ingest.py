"""DDATA messages per second through the Sparkplug B host, against a bare paho subscriber.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ladder_sparkplug_bench \
        .venv/bin/python bench/sparkplug_ingest.py
    .venv/bin/python bench/sparkplug_ingest.py --messages 20000     # SQLite (a temporary file)

Starts a private mosquitto on a free port (or uses --url) and a throw-away test database.
--nodes (10) edge nodes, each bound to an integration and with one device of --metrics (10)
metrics, publish their NBIRTH and DBIRTH; once the host has stored them, a publisher process
sends --messages DDATA messages (every metric by alias, with its own timestamp, seq counting
up per node), never more than --window waiting for the broker's PUBACK (QoS 1, so that the
broker drops nothing; Sparkplug edge nodes publish data at QoS 0).

Both subscribers get the same messages in the same run: the baseline, a bare paho subscriber
(MQTT 5, `spBv1.0/#`) that only counts; and `integration.sparkplug.client.SparkplugHost`
(decode, resolve aliases, check seq, batch, store, commit). Each is timed from its first DDATA
received to its last one handled. The stored points are counted at the end: the run fails
unless every value was stored exactly once and no seq gap or rebirth was seen.

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

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("SQLITE_TEST_PATH", tempfile.mktemp(suffix=".sqlite3"))

import django  # noqa: E402

django.setup()

from integration.sparkplug.sparkplug_b_pb2 import Payload  # noqa: E402

GROUP, DEVICE = "bench", "dev"


def node_name(n: int) -> str:
    return f"node{n}"


def births(nodes: int, metrics: int, now_ms: int):
    for n in range(nodes):
        nbirth = Payload(timestamp=now_ms, seq=0)
        nbirth.metrics.add(name="bdSeq", datatype=8, long_value=0)
        yield f"spBv1.0/{GROUP}/NBIRTH/{node_name(n)}", nbirth.SerializeToString()
        dbirth = Payload(timestamp=now_ms, seq=1)
        for m in range(metrics):
            dbirth.metrics.add(name=f"Line/Sensor {m}", alias=m + 1, datatype=10, double_value=0.0)
        yield f"spBv1.0/{GROUP}/DBIRTH/{node_name(n)}/{DEVICE}", dbirth.SerializeToString()


def ddata(nodes: int, metrics: int, count: int, base_ms: int):
    for i in range(count):
        n = i % nodes
        ts = base_ms + i  # a millisecond apart: every value its own key
        message = Payload(timestamp=ts, seq=(2 + i // nodes) % 256)
        for m in range(metrics):
            message.metrics.add(alias=m + 1, timestamp=ts, double_value=i + m / 10)
        yield f"spBv1.0/{GROUP}/DDATA/{node_name(n)}/{DEVICE}", message.SerializeToString()


def publisher_main(url, nodes, metrics, count, window, base_ms):
    """Run in its own process, so the publisher never competes with the subscribers."""
    from integration.mqtt.publishing import publish_bounded, publisher_connect

    client = publisher_connect(url, window=window)
    started = time.perf_counter()
    sent = publish_bounded(client, ddata(nodes, metrics, count, base_ms), window=window)
    seconds = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    print(f"{sent} {seconds:.3f}")


if len(sys.argv) > 1 and sys.argv[1] == "--publisher":
    publisher_main(sys.argv[2], *map(int, sys.argv[3:8]))
    sys.exit(0)

import paho.mqtt.client as mqtt  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from bench.broker import private_broker  # noqa: E402
from integration.mqtt.decoding import broker_from_url  # noqa: E402
from integration.sparkplug.client import SparkplugHost  # noqa: E402


class Bare:
    """The baseline: counts DDATA messages, nothing else."""

    def __init__(self, url: str):
        broker = broker_from_url(url)
        self.count, self.first, self.last = 0, None, None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=mqtt.MQTTv5
        )
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = self.on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.client.subscribe("spBv1.0/#", qos=1)
        assert subscribed.wait(10)

    def on_message(self, client, userdata, message):
        if "/DDATA/" in message.topic:
            self.count += 1
            self.last = time.perf_counter()
            self.first = self.first or self.last

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--metrics", type=int, default=10, help="values per DDATA message")
    parser.add_argument("--window", type=int, default=100, help="publisher messages in flight")
    parser.add_argument("--url", help="an existing broker instead of a private mosquitto")
    args = parser.parse_args()

    if not args.url and not shutil.which("mosquitto"):
        raise SystemExit("mosquitto is not installed: pass --url")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    directory = Path(tempfile.mkdtemp(prefix="ladder-bench-sparkplug-"))
    broker, url = (None, args.url) if args.url else private_broker(directory)
    host = None
    try:
        from accounts.models import Organization
        from integration.models import Integration, Point

        org = Organization.objects.create(name="Bench", slug="bench")
        integrations = [
            Integration.objects.create(
                organization=org,
                name=f"Press {n}",
                sparkplug_group=GROUP,
                sparkplug_node=node_name(n),
            )
            for n in range(args.nodes)
        ]
        host = SparkplugHost(broker=broker_from_url(url), host_id="bench", client_id="bench")
        host.start()
        assert host.active.wait(10), "the host did not connect"
        bare = Bare(url)
        time.sleep(0.5)  # both subscribed
        from integration.mqtt.publishing import publish_bounded, publisher_connect

        client = publisher_connect(url, window=args.window)
        now_ms = int(time.time() * 1000)
        publish_bounded(client, births(args.nodes, args.metrics, now_ms), window=args.window)
        client.disconnect()
        client.loop_stop()
        birth_points = args.nodes * args.metrics
        deadline = time.monotonic() + 30
        while host.counters.points_accepted < birth_points and time.monotonic() < deadline:
            time.sleep(0.05)
        print(
            f"{connection.vendor}, {args.messages:,} DDATA messages of {args.metrics} values "
            f"each over {args.nodes} edge nodes, publisher window {args.window}\n"
        )
        started_host = host.counters.points_accepted
        first_host = None
        base_ms = (int(time.time()) - 3600) * 1000
        publisher = subprocess.Popen(
            [sys.executable, __file__, "--publisher", url]
            + [str(v) for v in (args.nodes, args.metrics, args.messages, args.window, base_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        expected = args.messages * args.metrics
        last_change, seen = time.perf_counter(), started_host
        while host.counters.points_accepted - started_host < expected:
            now = time.perf_counter()
            if first_host is None and host.counters.received > 2 * args.nodes:
                first_host = now
            if host.counters.points_accepted != seen:
                seen, last_change = host.counters.points_accepted, now
            elif now - last_change > 30:
                raise SystemExit(f"the host stalled at {seen - started_host} of {expected}")
            time.sleep(0.001)
        host_seconds = time.perf_counter() - first_host
        publisher.communicate(timeout=60)
        bare_seconds = bare.last - bare.first
        bare.stop()
        bare_rate, host_rate = bare.count / bare_seconds, args.messages / host_seconds
        print(f"{'':<40} {'DDATA msg/s':>12} {'values/s':>10}")
        print(f"{'bare paho subscriber (baseline)':<40} {bare_rate:>12,.0f} {'':>10}")
        print(
            f"{'Sparkplug host (listener)':<40} {host_rate:>12,.0f} "
            f"{host_rate * args.metrics:>10,.0f}  ({host_rate / bare_rate:.2f}x)"
        )
        stored = Point.objects.filter(series__metric__integration__in=integrations).count()
        # The births' values, the birth and data values and one ok ping per node.
        total = birth_points + expected + args.nodes
        counters = host.counters
        print(
            f"\nhost: {stored:,} of {total:,} points stored, {counters.points_duplicate} "
            f"duplicates, {counters.gaps} gaps, {counters.rebirths} rebirths, "
            f"{counters.database_errors} database errors; baseline got {bare.count:,} DDATA"
        )
        if stored != total or counters.points_duplicate or counters.gaps or counters.rebirths:
            raise SystemExit("LOSS, DUPLICATES OR GAPS")
    finally:
        if host is not None:
            host.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if broker:
            broker.terminate()
            broker.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
