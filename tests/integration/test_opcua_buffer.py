"""The OPC UA collector's disk buffer: oldest first, a batch leaves only when told, the cap
drops the oldest with a warning, refused batches move aside, and it all survives a restart."""

import logging
import sqlite3

from integration.opcua.buffer import Buffer


def lines(start, stop):
    return [f"press v={i} {i}" for i in range(start, stop)]


def test_lines_come_out_oldest_first_in_batches_and_leave_only_when_removed(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", max_points=100)
    buffer.add(lines(0, 5))
    buffer.add(lines(5, 8))
    first = buffer.peek(3)
    assert first.lines == lines(0, 3)
    assert buffer.peek(3) == first  # peeking again gives the same batch: nothing left yet
    buffer.remove(first)
    assert buffer.peek(10).lines == lines(3, 8)
    assert len(buffer) == 5


def test_the_buffer_is_a_wal_file_that_survives_a_restart(tmp_path):
    path = tmp_path / "b.sqlite3"
    buffer = Buffer(path, max_points=100)
    buffer.add(lines(0, 4))
    buffer.remove(buffer.peek(1))
    buffer.close()
    again = Buffer(path, max_points=100)
    assert len(again) == 3
    assert again.peek(10).lines == lines(1, 4)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_past_the_cap_the_oldest_are_dropped_with_a_warning(tmp_path, caplog):
    buffer = Buffer(tmp_path / "b.sqlite3", max_points=5)
    buffer.add(lines(0, 4))
    with caplog.at_level(logging.WARNING, logger="integration.opcua.buffer"):
        buffer.add(lines(4, 7))
    assert buffer.peek(10).lines == lines(2, 7)
    assert len(buffer) == 5
    assert buffer.dropped == 2
    assert "buffer full (5 points" in caplog.text
    assert "dropped the 2 oldest, 2 dropped so far" in caplog.text

    buffer.add(lines(7, 20))  # more than the cap at once: only the newest 5 are kept
    assert buffer.peek(10).lines == lines(15, 20)
    assert buffer.dropped == 15


def test_removing_a_batch_the_cap_cut_into_keeps_the_newer_lines(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", max_points=4)
    buffer.add(lines(0, 4))
    batch = buffer.peek(3)  # in flight while more arrives and the cap drops line 0 and 1
    buffer.add(lines(4, 6))
    buffer.remove(batch)
    assert buffer.peek(10).lines == lines(3, 6)
    assert len(buffer) == 3


def test_a_refused_batch_moves_to_rejected_whole_or_only_the_named_lines(tmp_path):
    buffer = Buffer(tmp_path / "b.sqlite3", max_points=100)
    buffer.add(lines(0, 6))
    buffer.reject(buffer.peek(2), status=401, reason="unknown or revoked token")
    buffer.reject(buffer.peek(3), status=400, reason="line 2: bad", lines=[2])
    assert buffer.peek(10).lines == lines(5, 6)
    assert buffer.rejected() == [
        (401, "unknown or revoked token", "press v=0 0"),
        (401, "unknown or revoked token", "press v=1 1"),
        (400, "line 2: bad", "press v=3 3"),
    ]


def test_past_its_cap_the_rejected_table_drops_its_oldest_with_a_warning(tmp_path, caplog):
    buffer = Buffer(tmp_path / "b.sqlite3", max_points=100, max_rejected=3)
    buffer.add(lines(0, 5))
    buffer.reject(buffer.peek(2), status=422, reason="too many metrics")
    with caplog.at_level(logging.WARNING, logger="integration.opcua.buffer"):
        buffer.reject(buffer.peek(3), status=400, reason="bad")
    assert [line for _, _, line in buffer.rejected()] == lines(2, 5)
    assert "rejected table full (3 lines in" in caplog.text
    assert "dropped its 2 oldest" in caplog.text
