"""What the OPC UA collector does with each answer of Ladder's, against a scripted `post`: a
refusal that is no line's fault holds the data on disk, lines Ladder names are rejected, a
batch refused whole is split, and the buffer's caps still apply while it holds."""

import asyncio
import json
import logging

import pytest

from integration.opcua.collector import Collector
from integration.opcua.config import Config
from integration.opcua.ladder import Answer


def lines(start, stop):
    return [f"press v={i} {i}" for i in range(start, stop)]


class ScriptedLadder:
    """Answers each `post` with `answer(lines)`; records the batches."""

    def __init__(self, answer):
        self.answer = answer
        self.batches: list[list[str]] = []

    def post(self, batch: list[str]) -> Answer:
        self.batches.append(list(batch))
        return self.answer(batch)

    def close(self) -> None:
        pass


def answer(status: int, body: dict | None = None) -> Answer:
    return Answer(status, None, json.dumps(body).encode() if body else b"")


@pytest.fixture
def make(tmp_path):
    def make(respond, *, batch_points=4, max_points=100, max_rejected=100) -> Collector:
        config = Config.model_validate({
            "ladder": {"url": "http://ladder.test", "token": "t", "batch_points": batch_points,
                       "retry_max_s": 30, "hold_max_s": 300},
            "opcua": {"endpoint": "opc.tcp://plc.test:4840"},
            "buffer": {"path": str(tmp_path / "b.sqlite3"), "max_points": max_points,
                       "max_rejected": max_rejected},
            "nodes": [{"node_id": "ns=2;i=1", "metric": "press"}],
        })  # fmt: skip
        collector = Collector(config)
        collector.ladder = ScriptedLadder(respond)
        return collector

    return make


def drain(collector: Collector):
    # A loop of its own, with the thread's running loop set aside meanwhile: a browser test
    # earlier in the run leaves Playwright's (sync API) loop running in this thread, and
    # asyncio refuses to run a loop inside another. (Not a thread: the collector's buffer is a
    # SQLite connection of this thread.)
    outer = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(collector._drain())
    finally:
        loop.close()
        asyncio.events._set_running_loop(outer)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"code": "unauthorized", "message": "unknown or revoked token"}),
        (403, {"code": "forbidden", "message": "forbidden"}),
        (404, {"code": "not found", "message": "no such integration"}),
        (409, {"code": "paused", "message": "the integration is paused"}),
        (400, {"code": "invalid", "message": "invalid precision"}),  # names no line
    ],
)
def test_a_refusal_that_is_no_lines_fault_holds_the_data_and_backs_off_long(
    make, caplog, status, body
):
    collector = make(lambda batch: answer(status, body))
    collector.buffer.add(lines(0, 6))
    with caplog.at_level(logging.ERROR, logger="ladder-opcua"):
        assert drain(collector) == (0.0, 300)
        assert drain(collector) == (0.0, 300)  # held again: logged once
    assert collector.buffer.peek(10).lines == lines(0, 6)
    assert collector.buffer.rejected() == []
    assert caplog.text.count(f"Ladder refuses the data (HTTP {status}: ") == 1
    assert "holding 6 points in" in caplog.text


def test_a_held_collector_logs_each_change_and_sends_everything_once_accepted(make, caplog):
    script = [answer(401, {"message": "unknown or revoked token"}),
              answer(409, {"message": "paused"})]  # fmt: skip
    collector = make(lambda batch: script.pop(0) if script else answer(204))
    collector.buffer.add(lines(0, 6))
    with caplog.at_level(logging.INFO, logger="ladder-opcua"):
        assert drain(collector) == (0.0, 300)
        assert drain(collector) == (0.0, 300)
        assert drain(collector) is None
    assert "HTTP 401: unknown or revoked token" in caplog.text
    assert "HTTP 409: paused" in caplog.text
    assert "Ladder accepts the data again (it refused it with HTTP 409): sending 6" in caplog.text
    assert "flushed 6 buffered points" in caplog.text
    sent = [line for batch in collector.ladder.batches if batch for line in batch]
    assert sent[-6:] == lines(0, 6)
    assert len(collector.buffer) == 0
    assert collector.buffer.rejected() == []


def test_while_held_the_buffer_cap_drops_the_oldest_with_a_warning(make, caplog):
    collector = make(lambda batch: answer(409, {"message": "paused"}), max_points=5)
    collector.buffer.add(lines(0, 4))
    drain(collector)
    with caplog.at_level(logging.WARNING, logger="integration.opcua.buffer"):
        collector.buffer.add(lines(4, 8))
    assert collector.buffer.peek(10).lines == lines(3, 8)
    assert "dropped the 3 oldest, 3 dropped so far" in caplog.text


def test_a_413_halves_the_batch_and_holds_only_on_a_single_line(make):
    too_large = answer(413, {"code": "request too large", "message": "too large"})
    collector = make(lambda batch: too_large if len(batch) > 1 else answer(204))
    collector.buffer.add(lines(0, 5))
    assert drain(collector) is None
    assert [len(batch) for batch in collector.ladder.batches] == [4, 2, 1, 1, 1, 1, 1]
    assert len(collector.buffer) == 0
    assert collector._batch_size == 4  # back to batch_points once the buffer is empty

    always = make(lambda batch: too_large)
    always.buffer.add(lines(0, 2))
    assert drain(always) == (0.0, 300)
    assert always.buffer.peek(10).lines == lines(0, 2)
    assert always.buffer.rejected() == []


def test_only_the_lines_ladder_names_as_invalid_are_rejected(make):
    def respond(batch):
        if batch == lines(0, 2):  # a partial write: line 2 refused, line 1 stored
            return answer(400, {"message": "line 2: bad", "line": 2, "lines": [2]})
        if batch == lines(2, 4):
            return answer(422, {"message": "too many metrics"})
        if batch == lines(4, 6):  # too many bad lines: refused whole, naming the first
            return answer(400, {"message": "line 2: bad (and more)", "line": 2})
        if batch == lines(5, 6):
            return answer(400, {"message": "line 1: bad", "line": 1, "lines": [1]})
        return answer(204)

    collector = make(respond, batch_points=2)
    collector.buffer.add(lines(0, 7))
    assert drain(collector) is None
    assert collector.ladder.batches == [
        lines(0, 2),
        lines(2, 4),
        lines(4, 6),
        lines(4, 5),
        lines(5, 6),
        lines(6, 7),
    ]
    assert collector.buffer.rejected() == [
        (400, "line 2: bad", "press v=1 1"),
        (422, "too many metrics", "press v=2 2"),
        (422, "too many metrics", "press v=3 3"),
        (400, "line 1: bad", "press v=5 5"),
    ]
    assert len(collector.buffer) == 0
