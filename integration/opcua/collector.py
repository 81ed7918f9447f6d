"""`ladder-opcua`: subscribe to OPC UA nodes and send their values to Ladder.

Runs next to the OPC UA server at the plant edge; needs no database and no Django (an
import-linter contract keeps it so), only the TOML file of `integration.opcua.config`::

    ladder-opcua --config /etc/ladder/opcua.toml
    python -m integration.opcua.collector --config collector.toml --check   # validate, exit

Each configured node is a monitored item of one subscription (its sampling interval, the
subscription's publishing interval). Each value becomes one line of line protocol,
``<metric>,<tags> <field>=<value>[,_quality="uncertain"|"bad"] <ms>``, timed by its
SourceTimestamp (else its ServerTimestamp, else the time it arrived); `_quality` comes from the
StatusCode's severity (`integration.quality.from_opcua_status`) and is left out when good.
Values that are not numbers (strings, arrays, NaN) are skipped, logged once per node; a Bad
status without a value (as the spec has servers send it) has nothing to store, and is logged
when a node goes bad and when it has values again.

Delivery: every line is appended to the disk buffer (`integration.opcua.buffer`) and sent from
there, oldest first, in batches, to ``POST <url>/api/v2/write?precision=ms`` with
``Authorization: Token <token>``. A batch leaves the buffer only after a 2xx. While Ladder is
unreachable (connection refused, timeout, 5xx, 429) the lines wait on disk and the batch is
retried with back-off (Retry-After when given), so delivery is at least once; Ladder keeps one
point per (series, timestamp) and skips a retried one, so at least once plus the server's dedup
is exactly once stored. Only lines Ladder names as invalid leave the buffer unsent: a 400
naming lines (a partial write) moves those lines, and a 422 (too many metrics) its batch, to
the buffer's `rejected` table, and the collector goes on. A 400 refusing a batch whole for its
lines, and a 413, split the batch in halves, down to the single line (rejected on a 400). Any
other refusal (401, 403, 404, 409, a 413 of one line, a 400 naming no line) is a configuration
error: the collector holds, logs it once per state change, keeps the lines on disk and tries
again with back-off up to `ladder.hold_max_s` (5 minutes by default).

The OPC UA connection is re-established with exponential back-off (1 s doubling up to
`opcua.reconnect_max_s`); the subscription is created anew, and the first value of each node
it reports again is a repeat Ladder skips. One log line per change of state: connected,
connection lost, Ladder unreachable (buffering N), flushed N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import logging
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from integration.opcua.buffer import Batch, Buffer
from integration.opcua.config import Config, ConfigError, OpcuaConfig, load
from integration.opcua.ladder import Answer, Ladder, refusal_of
from integration.opcua.lines import field_value, line, quality, series_prefix, timestamp_ms

log = logging.getLogger("ladder-opcua")


# The collector


class Collector:
    """Reads the nodes, buffers their lines and sends them; `run()` until `stop()`."""

    def __init__(self, config: Config):
        self.config = config
        self.buffer = Buffer(
            config.buffer.path,
            max_points=config.buffer.max_points,
            max_rejected=config.buffer.max_rejected,
        )
        settings = config.ladder
        self.ladder = Ladder(settings.url, settings.token, timeout=settings.timeout_s)
        self.nodes = {ua.NodeId.from_string(n.node_id): n for n in config.nodes}
        self.prefixes = {node_id: series_prefix(n) for node_id, n in self.nodes.items()}
        self.pending: list[str] = []
        self.sent = 0  # points Ladder acknowledged since the start
        self.read = 0  # values turned into lines since the start
        self._skipped: set[ua.NodeId] = set()  # nodes whose non-numbers were logged
        self._without_value: set[ua.NodeId] = set()  # nodes that went bad without a value
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._outage: str | None = None  # why Ladder is unreachable, while it is
        self._held: int | None = None  # the status Ladder refuses the data with, while it does
        self._batch_size = config.ladder.batch_points  # halved on a 413, until the buffer empties
        self._flushing = False  # the outage ended and the buffer is not empty yet
        self._flushed = 0  # points sent since the outage ended

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Until `stop()`; raises what broke the reader or the sender (a bug, a full disk), so
        the service manager restarts the collector rather than it idling."""
        sender = asyncio.create_task(self._send_loop())
        reader = asyncio.create_task(self._opcua_loop())
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait([stopping, sender, reader], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.stop()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            if not sender.done():
                await sender
            self.buffer.add(self._take_pending())
            self.ladder.close()
            self.buffer.close()
            log.info("stopped (%d points left in the buffer for the next start)", len(self.buffer))
        for task in (sender, reader):
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()

    # Reading

    def on_value(self, node_id: ua.NodeId, data_value: ua.DataValue) -> None:
        """One notification: append its line, or log (once per node and state) why it has none.

        A Bad status without a value (OPC UA Part 4, 7.7.1: the server sets it to null) has
        nothing to store; the node's going bad and coming back are logged.
        """
        prefix = self.prefixes.get(node_id)
        if prefix is None:
            return
        raw = data_value.Value.Value if data_value.Value is not None else None
        value = field_value(raw)
        name = self.nodes[node_id].node_id
        if value is None:
            status = data_value.StatusCode
            if raw is None and status is not None and not status.is_good():
                if node_id not in self._without_value:
                    self._without_value.add(node_id)
                    log.warning("node %s is %s without a value: nothing to send", name, status.name)
            elif node_id not in self._skipped:
                self._skipped.add(node_id)
                kind = type(raw).__name__ if raw is not None else "no value"
                log.warning(
                    "node %s gave %s, not a finite number: skipped (logged once per node)",
                    name, kind,
                )  # fmt: skip
            return
        if node_id in self._without_value:
            self._without_value.discard(node_id)
            log.info("node %s has values again", name)
        ts = timestamp_ms(data_value, datetime.now(UTC))
        self.pending.append(line(prefix, value, ts, quality(data_value)))
        self.read += 1
        if len(self.pending) >= self.config.ladder.batch_points:
            self._wake.set()

    async def _opcua_loop(self) -> None:
        settings = self.config.opcua
        delay = 1.0
        failing = False
        while not self._stopping.is_set():
            client = Client(settings.endpoint, timeout=settings.timeout_s)
            lost = asyncio.Event()

            async def connection_lost(error, lost=lost):
                lost.set()

            client.connection_lost_callback = connection_lost
            try:
                await _secure(client, settings)
                await client.connect()
                await self._subscribe(client, settings)
                log.info(
                    "connected to %s (%s, %d nodes)",
                    settings.endpoint, settings.security, len(self.nodes),
                )  # fmt: skip
                failing, delay = False, 1.0
                await lost.wait()
                log.warning("lost the connection to %s: reconnecting", settings.endpoint)
            except asyncio.CancelledError:
                await _disconnect(client)
                raise
            except Exception as error:  # noqa: BLE001 - every failure means: try again later
                if not failing:
                    log.warning(
                        "cannot connect to %s: %s; retrying with back-off (at most %g s)",
                        settings.endpoint, _describe(error), settings.reconnect_max_s,
                    )  # fmt: skip
                    failing = True
                else:
                    log.debug("still cannot connect to %s: %s", settings.endpoint, error)
            await _disconnect(client)
            await asyncio.sleep(delay)
            delay = min(delay * 2, settings.reconnect_max_s)

    async def _subscribe(self, client: Client, settings: OpcuaConfig) -> None:
        subscription = await client.create_subscription(
            settings.publishing_interval_ms, _Handler(self)
        )
        node_ids = list(self.nodes)
        results = await subscription.subscribe_data_change(
            [client.get_node(node_id) for node_id in node_ids],
            sampling_interval=settings.sampling_interval_ms,
            queuesize=settings.effective_queue_size,
        )
        for node_id, result in zip(node_ids, results, strict=True):
            if isinstance(result, ua.StatusCode):
                log.error(
                    "node %s cannot be monitored: %s (check nodes.node_id)",
                    self.nodes[node_id].node_id, result.name,
                )  # fmt: skip

    # Sending

    def _take_pending(self) -> list[str]:
        lines, self.pending = self.pending, []
        return lines

    async def _send_loop(self) -> None:
        interval = self.config.ladder.flush_interval_s
        retry_at = 0.0
        delay = 1.0
        while not self._stopping.is_set():
            self.buffer.add(self._take_pending())
            if time.monotonic() >= retry_at:
                retry = await self._drain()
                if retry is None:
                    delay = 1.0
                else:
                    wait, cap = retry
                    retry_at = time.monotonic() + min(wait or delay, cap)
                    delay = min(delay * 2, cap)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()

    async def _drain(self) -> tuple[float, float] | None:
        """Send the buffer, batch by batch: None once it is empty (or the collector stops),
        else ``(wait, cap)``: the seconds to wait before the next try (0: the back-off's own
        delay) and the back-off's cap (`retry_max_s` while unreachable, `hold_max_s` held)."""
        settings = self.config.ladder
        while (
            not self._stopping.is_set()
            and (batch := self.buffer.peek(self._batch_size)) is not None
        ):
            try:
                answer = await asyncio.to_thread(self.ladder.post, batch.lines)
            except (OSError, http.client.HTTPException) as error:
                self._unreachable(_describe(error))
                return 0.0, settings.retry_max_s
            status = answer.status
            if 200 <= status < 300:
                self.buffer.remove(batch)
                self._delivered(len(batch.lines))
            elif status == 429 or status >= 500:
                self._unreachable(f"HTTP {status}: {refusal_of(answer.body).message}")
                return answer.retry_after or 0.0, settings.retry_max_s
            elif not self._refused(batch, answer):
                return answer.retry_after or 0.0, settings.hold_max_s
            self.buffer.add(self._take_pending())  # behind the older lines, in order
        if not len(self.buffer):
            self._batch_size = settings.batch_points
            if self._flushing:
                log.info("flushed %d buffered points: the buffer is empty", self._flushed)
                self._flushing = False
        return None

    def _unreachable(self, reason: str) -> None:
        if self._outage is None:
            log.warning(
                "Ladder unreachable (%s): buffering %d points in %s",
                reason, len(self.buffer), self.buffer.path,
            )  # fmt: skip
        self._outage = reason

    def _delivered(self, count: int) -> None:
        self.sent += count
        if self._outage is not None or self._held is not None:
            if self._held is not None:
                log.warning(
                    "Ladder accepts the data again (it refused it with HTTP %d): sending %d "
                    "held points", self._held, len(self.buffer) + count,
                )  # fmt: skip
            else:
                log.info(
                    "Ladder answers again: sending %d buffered points", len(self.buffer) + count
                )
            self._outage = self._held = None
            self._flushed = 0
            self._flushing = True
        if self._flushing:
            self._flushed += count

    def _refused(self, batch: Batch, answer: Answer) -> bool:
        """Deal with a 4xx: reject the lines Ladder names as invalid, or split the batch (True:
        go on sending), or hold (False: the data stays, try again later)."""
        status, size = answer.status, len(batch.lines)
        refusal = refusal_of(answer.body)
        numbers = [n for n in refusal.lines or () if 1 <= n <= size]
        if status == 400 and numbers:
            self.buffer.reject(batch, status=status, reason=refusal.message, lines=numbers)
            self.sent += size - len(numbers)
            log.error(
                "Ladder refused %d of %d lines (HTTP 400: %s); they are in the rejected table "
                "of %s, the rest were stored", len(numbers), size, refusal.message,
                self.buffer.path,
            )  # fmt: skip
            return True
        if status == 422 or (status == 400 and refusal.about_lines and size == 1):
            self.buffer.reject(batch, status=status, reason=refusal.message)
            log.error(
                "Ladder refused a batch of %d points (HTTP %d: %s); it is in the rejected table "
                "of %s, going on", size, status, refusal.message, self.buffer.path,
            )  # fmt: skip
            return True
        if (status == 413 or (status == 400 and refusal.about_lines)) and size > 1:
            self._batch_size = size // 2
            log.warning(
                "Ladder refused a batch of %d points whole (HTTP %d: %s): sending it in "
                "batches of %d", size, status, refusal.message, self._batch_size,
            )  # fmt: skip
            return True
        self._hold(status, refusal.message)
        return False

    def _hold(self, status: int, message: str) -> None:
        if self._held != status:
            log.error(
                "Ladder refuses the data (HTTP %d: %s): holding %d points in %s and trying "
                "again with back-off (at most %g s); check ladder.url, the token and that the "
                "integration is not paused", status, message, len(self.buffer),
                self.buffer.path, self.config.ladder.hold_max_s,
            )  # fmt: skip
        self._held = status


class _Handler:
    """asyncua's subscription handler: hands each value to the collector."""

    def __init__(self, collector: Collector):
        self.collector = collector

    def datachange_notification(self, node, val, data) -> None:
        self.collector.on_value(node.nodeid, data.monitored_item.Value)

    def status_change_notification(self, status) -> None:
        log.warning("subscription status changed: %s", status)


async def _secure(client: Client, settings: OpcuaConfig) -> None:
    client.application_uri = settings.application_uri
    if settings.username is not None:
        client.set_user(settings.username)
        client.set_password(settings.password)
    if settings.security == "None":
        return
    mode = settings.security.partition(",")[2]
    server = settings.server_certificate
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        certificate=str(settings.certificate),
        private_key=str(settings.private_key),
        server_certificate=str(server) if server else None,
        mode=getattr(ua.MessageSecurityMode, mode),
    )


async def _disconnect(client: Client) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.disconnect(), 5)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ladder-opcua", description="Send OPC UA values to Ladder (see docs/OPCUA.md)."
    )
    parser.add_argument("--config", required=True, type=Path, help="the TOML configuration")
    parser.add_argument("--check", action="store_true", help="validate the configuration, exit")
    args = parser.parse_args(argv)
    try:
        config = load(args.config)
    except ConfigError as error:
        print(f"ladder-opcua: {error}", file=sys.stderr)
        return 2
    if args.check:
        print(f"ladder-opcua: {args.config} is valid ({len(config.nodes)} nodes)")
        return 0
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if config.log_level != "DEBUG":
        # asyncua logs each failed request with a traceback; the collector says it in one line.
        logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    try:
        asyncio.run(_serve(config))
    except Exception:
        log.exception("stopped by an error (the buffer keeps what was not sent)")
        return 1
    return 0


async def _serve(config: Config) -> None:
    collector = Collector(config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, collector.stop)
    log.info(
        "sending %d nodes of %s to %s (buffer %s, %d points waiting)",
        len(config.nodes), config.opcua.endpoint, config.ladder.url, config.buffer.path,
        len(collector.buffer),
    )  # fmt: skip
    await collector.run()


if __name__ == "__main__":
    sys.exit(main())
