"""bench/breadth.py's devices: one process per transport sends every device's reports on its
own schedule (each report three values: `machine temp=...,rpm=...,load=...`).

- http: line protocol POSTed to /api/v2/write with the device's token, one request a report
  on a new connection, as each device would (gunicorn's sync workers close every connection
  after its answer, so a device cannot keep one), by a pool of threads; a report is queued at
  its time whatever the answers, and its lag is counted when its answer arrives, so a slow
  server shows as lag;
- mqtt: one MQTT 5 client publishes `ladder/<integration id>/telemetry` at QoS 1, never more
  than 100 messages waiting for the broker's acknowledgement;
- sparkplug: one client publishes for every edge node (`spBv1.0/breadth/.../node<n>`, one
  device `dev`): NBIRTH and DBIRTH once the host's STATE is online, then DDATA by alias with
  seq counting up, at QoS 1 (edge nodes use QoS 0; the broker must not drop what is counted);
  a rebirth request (NCMD) is answered with new births, as an edge node does.

Silent devices send nothing after `silent_at`. Each sender returns, per device: values sent
(acknowledged: 204 for HTTP, PUBACK for MQTT), values refused or unanswered, the time of its
last value (ns since the epoch) and the worst lag behind schedule (HTTP: of the answer, so
the time a report waited in the queue counts; MQTT and Sparkplug: of the publish); plus the
process's CPU seconds.
"""

from __future__ import annotations

import heapq
import json
import queue
import threading
import time

FIELDS = ("temp", "rpm", "load")


def values(index: int, k: int) -> tuple[float, float, float]:
    return (20 + (index * 7 + k * 13) % 100 / 10, 1000.0 + (k * 31) % 500, (k * 17) % 100 / 100)


def schedule(devices, start: float, end: float, silent_at: float):
    """(due, device, k) of every report in time order, k counting up per device."""
    heap = [(start + d.phase, d.index, 0) for d in devices]
    heapq.heapify(heap)
    by_index = {d.index: d for d in devices}
    while heap:
        due, index, k = heapq.heappop(heap)
        device = by_index[index]
        if due >= end or (device.silent and due >= silent_at):
            continue
        yield due, device, k
        heapq.heappush(heap, (due + device.period, index, k + 1))


def send(transport, devices, target, start, end, silent_at, results):
    """The sender process of one transport; puts (transport, per device, cpu) on `results`."""
    cpu = time.process_time()
    mine = [d for d in devices if d.transport == transport]
    stats = {d.index: [0, 0, 0, 0.0] for d in mine}  # sent, failed, last ns, worst lag
    sender = {"http": send_http, "mqtt": send_mqtt, "sparkplug": send_sparkplug}[transport]
    if mine:
        sender(mine, target, schedule(mine, start, end, silent_at), stats)
    results.put((transport, stats, time.process_time() - cpu))


def wall_ns(due: float) -> int:
    """The wall clock time of monotonic `due`, in ns."""
    return time.time_ns() + int((due - time.monotonic()) * 1e9)


def send_http(devices, port, reports, stats, threads: int = 32):
    import http.client

    work = queue.Queue(maxsize=10_000)
    counting = threading.Lock()  # one device's reports may be answered by two threads at once

    def sender():
        while (item := work.get()) is not None:
            device, body, ts, due = item
            status = 0
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                connection.request(
                    "POST",
                    "/api/v2/write?precision=ns",
                    body=body,
                    headers={
                        "Authorization": f"Token {device.token}",
                        "Content-Type": "text/plain",
                    },
                )
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError:
                pass
            finally:
                connection.close()
            with counting:
                entry = stats[device.index]
                entry[3] = max(entry[3], time.monotonic() - due)
                if status == 204:
                    entry[0] += len(FIELDS)
                    entry[2] = max(entry[2], ts)
                else:
                    entry[1] += len(FIELDS)

    pool = [threading.Thread(target=sender) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for due, device, k in reports:
        time.sleep(max(0.0, due - time.monotonic()))
        ts = wall_ns(due)
        temp, rpm, load = values(device.index, k)
        body = f"machine temp={temp},rpm={rpm},load={load} {ts}".encode()
        work.put((device, body, ts, due))
    for _ in pool:
        work.put(None)
    for thread in pool:
        thread.join()


def send_mqtt(devices, url, reports, stats):
    from integration.mqtt.publishing import publish_bounded, publisher_connect

    client = publisher_connect(url, client_id="bench-mqtt-devices")
    last = {}

    def messages():
        for due, device, k in reports:
            time.sleep(max(0.0, due - time.monotonic()))
            ts = wall_ns(due)
            temp, rpm, load = values(device.index, k)
            stats[device.index][3] = max(stats[device.index][3], time.monotonic() - due)
            stats[device.index][0] += len(FIELDS)
            last[device.index] = ts
            yield (
                f"ladder/{device.integration}/telemetry",
                f"machine temp={temp},rpm={rpm},load={load} {ts}",
            )

    try:
        publish_bounded(client, messages())  # returns once every message is acknowledged
    finally:
        client.disconnect()
        client.loop_stop()
    for index, ts in last.items():
        stats[index][2] = ts


def births(device, ms: int, bd_seq: int):
    from integration.sparkplug.sparkplug_b_pb2 import Payload

    nbirth = Payload(timestamp=ms, seq=0)
    nbirth.metrics.add(name="bdSeq", datatype=8, long_value=bd_seq)
    dbirth = Payload(timestamp=ms, seq=1)
    temp, rpm, load = values(device.index, -1)
    for alias, (name, value) in enumerate(zip(FIELDS, (temp, rpm, load), strict=True), 1):
        dbirth.metrics.add(name=f"machine.{name}", alias=alias, datatype=10, double_value=value)
    return [
        (f"spBv1.0/{device_group()}/NBIRTH/{device.node}", nbirth.SerializeToString()),
        (f"spBv1.0/{device_group()}/DBIRTH/{device.node}/dev", dbirth.SerializeToString()),
    ]


def device_group() -> str:
    from bench.breadth_seed import GROUP

    return GROUP


def send_sparkplug(devices, target, reports, stats):
    """`target`: (broker URL, host id)."""
    from integration.mqtt.publishing import publish_bounded, publisher_connect
    from integration.sparkplug.sparkplug_b_pb2 import Payload

    url, host_id = target
    client = publisher_connect(url, client_id="bench-edge-nodes")
    online, rebirth = threading.Event(), set()
    by_node = {d.node: d for d in devices}

    def on_message(client, userdata, message):
        if message.topic.endswith(f"STATE/{host_id}"):
            if json.loads(message.payload or b"{}").get("online"):
                online.set()
        else:  # NCMD: the host asks the node for a rebirth
            rebirth.add(message.topic.rsplit("/", 1)[1])

    client.on_message = on_message
    client.subscribe([(f"spBv1.0/STATE/{host_id}", 1), (f"spBv1.0/{device_group()}/NCMD/+", 1)])
    if not online.wait(180):
        raise SystemExit("the Sparkplug host did not come online")
    seq, bd_seq, last = {}, {}, {}

    def born(device, ms):
        bd_seq[device.node] = bd_seq.get(device.node, -1) + 1
        seq[device.node] = 2
        stats[device.index][0] += len(FIELDS)
        last[device.index] = max(last.get(device.index, 0), ms * 1_000_000)
        return births(device, ms, bd_seq[device.node])

    def messages():
        ms = int(time.time() * 1000) - 1000
        for device in devices:
            yield from born(device, ms)
        for due, device, k in reports:
            time.sleep(max(0.0, due - time.monotonic()))
            for node in list(rebirth):
                rebirth.discard(node)
                yield from born(by_node[node], int(time.time() * 1000))
            ms = wall_ns(due) // 1_000_000
            payload = Payload(timestamp=ms, seq=seq[device.node] % 256)
            seq[device.node] += 1
            for alias, value in enumerate(values(device.index, k), 1):
                payload.metrics.add(alias=alias, timestamp=ms, double_value=value)
            stats[device.index][3] = max(stats[device.index][3], time.monotonic() - due)
            stats[device.index][0] += len(FIELDS)
            last[device.index] = ms * 1_000_000
            yield (
                f"spBv1.0/{device_group()}/DDATA/{device.node}/dev",
                payload.SerializeToString(),
            )

    try:
        publish_bounded(client, messages())
    finally:
        client.disconnect()
        client.loop_stop()
    for index, ts in last.items():
        stats[index][2] = ts
