"""The collector's disk buffer: line-protocol lines waiting for Ladder (stdlib sqlite3, WAL).

Every reading goes through it: lines are appended in the order they were read and sent oldest
first, a batch at a time; a batch leaves the buffer only once Ladder answered 2xx (`remove`).
At most `max_points` lines are kept: past that the oldest are dropped, with a warning naming
how many (the newest data is worth more to a live dashboard, as in Telegraf's buffer).
Lines Ladder names as invalid move to the `rejected` table, to be read by a person
(`sqlite3 buffer.sqlite3 'SELECT * FROM rejected'`), so they never block the rest; it keeps at
most `max_rejected` lines, dropping its oldest past that with a warning.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    line TEXT NOT NULL
);
"""


class Batch(NamedTuple):
    """Consecutive buffered lines, oldest first: ids ``first`` to ``last`` (inclusive)."""

    first: int
    last: int
    lines: list[str]


class Buffer:
    """A bounded FIFO of lines in one SQLite file; one process, one thread uses it."""

    def __init__(self, path: str | Path, *, max_points: int, max_rejected: int = 100_000):
        self.path = Path(path)
        self.max_points = max_points
        self.max_rejected = max_rejected
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)  # transactions by hand
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: a power cut loses the last commits
        self._db.executescript(_SCHEMA)
        self._count = self._db.execute("SELECT count(*) FROM points").fetchone()[0]
        self.dropped = 0  # lines dropped for the cap since the buffer was opened

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        self._db.close()

    def add(self, lines: list[str]) -> None:
        """Append `lines` in order; drop the oldest past `max_points`, logging how many."""
        if not lines:
            return
        if len(lines) > self.max_points:  # only the newest can be kept
            over = len(lines) - self.max_points
            self.dropped += over
            lines = lines[over:]
        with self._transaction():
            self._db.executemany("INSERT INTO points (line) VALUES (?)", ((x,) for x in lines))
            self._count += len(lines)
            over = self._count - self.max_points
            if over > 0:
                self._db.execute(
                    "DELETE FROM points WHERE id IN (SELECT id FROM points ORDER BY id LIMIT ?)",
                    (over,),
                )
                self._count -= over
                self.dropped += over
        if over > 0:
            log.warning(
                "buffer full (%d points in %s): dropped the %d oldest, %d dropped so far; "
                "Ladder has been unreachable or refusing the data too long, or "
                "buffer.max_points is too small",
                self.max_points, self.path, over, self.dropped,
            )  # fmt: skip

    def peek(self, limit: int) -> Batch | None:
        """The oldest `limit` lines, or None when the buffer is empty."""
        rows = self._db.execute(
            "SELECT id, line FROM points ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        if not rows:
            return None
        return Batch(rows[0][0], rows[-1][0], [line for _, line in rows])

    def remove(self, batch: Batch) -> None:
        """Forget a batch Ladder acknowledged (lines the cap dropped meanwhile are gone)."""
        with self._transaction():
            cursor = self._db.execute(
                "DELETE FROM points WHERE id BETWEEN ? AND ?", (batch.first, batch.last)
            )
            self._count -= cursor.rowcount

    def reject(self, batch: Batch, *, status: int, reason: str, lines: list[int] | None = None):
        """Move a refused batch out of the way: all its lines, or only `lines` (1-based numbers
        in the batch, those Ladder named) to `rejected`; the batch leaves the buffer either way.
        Past `max_rejected` rejected lines the oldest are dropped, with a warning."""
        chosen = batch.lines if lines is None else [batch.lines[n - 1] for n in lines]
        now = time.time()
        with self._transaction():
            self._db.executemany(
                "INSERT INTO rejected (at, status, reason, line) VALUES (?, ?, ?, ?)",
                ((now, status, reason, line) for line in chosen),
            )
            cursor = self._db.execute(
                "DELETE FROM points WHERE id BETWEEN ? AND ?", (batch.first, batch.last)
            )
            self._count -= cursor.rowcount
            over = self._db.execute("SELECT count(*) FROM rejected").fetchone()[0]
            over -= self.max_rejected
            if over > 0:
                self._db.execute(
                    "DELETE FROM rejected WHERE id IN "
                    "(SELECT id FROM rejected ORDER BY id LIMIT ?)",
                    (over,),
                )
        if over > 0:
            log.warning(
                "rejected table full (%d lines in %s): dropped its %d oldest; read and clear it "
                "(docs/OPCUA.md) or raise buffer.max_rejected",
                self.max_rejected, self.path, over,
            )  # fmt: skip

    def rejected(self) -> list[tuple[int, str, str]]:
        """(status, reason, line) of every rejected line, oldest first."""
        return self._db.execute("SELECT status, reason, line FROM rejected ORDER BY id").fetchall()

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, error, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
