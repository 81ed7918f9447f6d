"""What the MQTT listener counts and logs: its counters, the refusals of a batch (one log line
per integration and kind, not one per message), unknown topics rate-limited by pattern, and the
back-off between retries."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from integration.mqtt.ingest import (
    BAD_PAYLOAD,
    INVALID_POINT,
    PAUSED,
    RETAINED,
    TOO_LARGE,
    TOO_MANY_METRICS,
    UNKNOWN,
    UNKNOWN_TOPIC,
    BatchResult,
)

logger = logging.getLogger("integration.mqtt.listener")  # one logger for the listener's lines

REASONS_LOGGED = 5  # distinct reasons per integration and kind in a batch's log line


def backoff(first: float = 1.0, cap: float = 30.0) -> Iterable[float]:
    """Delays that double from `first` up to `cap`: 1, 2, 4, ..., 30, 30, ..."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


@dataclass
class Counters:
    """What a listener has done since it started; logged every minute and when it stops."""

    received: int = 0  # messages delivered by the broker (redeliveries included)
    batches: int = 0  # transactions committed
    stored: int = 0  # messages whose points were committed
    acknowledged: int = 0
    points_accepted: int = 0
    points_duplicate: int = 0
    unknown_integration: int = 0
    unknown_topic: int = 0
    paused: int = 0
    bad_payload: int = 0
    too_large: int = 0
    invalid_point: int = 0
    too_many_metrics: int = 0
    retained: int = 0  # retained messages, not stored
    database_errors: int = 0  # failed attempts to store a batch (retried, not acknowledged)
    disconnects: int = 0
    drained: int = 0  # messages received once asked to retire

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self):
        return " ".join(f"{name}={value}" for name, value in asdict(self).items())


REFUSAL_COUNTERS = {
    UNKNOWN: "unknown_integration",
    UNKNOWN_TOPIC: "unknown_topic",
    PAUSED: "paused",
    BAD_PAYLOAD: "bad_payload",
    TOO_LARGE: "too_large",
    INVALID_POINT: "invalid_point",
    TOO_MANY_METRICS: "too_many_metrics",
    RETAINED: "retained",
}


class TopicLog:
    """Decides which unknown topics to log: at most once per topic pattern every `every` s.

    The pattern is the topic with its second level (where the integration id goes) as `+`, so
    a thousand devices on a wrong topic make one line a minute, not a thousand.
    """

    MAX_PATTERNS = 1000  # past this, every new pattern shares one

    def __init__(self, every: float = 60.0):
        self.every = every
        self._last: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def note(self, topic: str, count: int, *, now: float) -> tuple[str, int] | None:
        """(pattern, messages held back since its last line) to log now, or None."""
        pattern = pattern_of(topic)
        if pattern not in self._last and len(self._last) >= self.MAX_PATTERNS:
            pattern = "(other topics)"
        last = self._last.get(pattern)
        if last is not None and now - last < self.every:
            self._held[pattern] += count
            return None
        self._last[pattern] = now
        return pattern, self._held.pop(pattern, 0)


def pattern_of(topic: str) -> str:
    levels = topic.split("/")
    if len(levels) > 1:
        levels[1] = "+"
    return "/".join(levels)[:200]


def count_batch(counters: Counters, topic_log: TopicLog, result: BatchResult, prefix: str) -> None:
    """Add a stored batch to the counters; log its refusals and unknown topics."""
    counters.batches += 1
    counters.stored += result.stored
    counters.points_accepted += result.accepted
    counters.points_duplicate += result.duplicates
    # One log line per integration and kind in a batch, not one per message, with each
    # reason and how many messages it refused.
    reasons: dict[tuple[str, str], Counter[str]] = {}
    topics: Counter[str] = Counter()
    for refusal in result.refusals:
        name = REFUSAL_COUNTERS[refusal.kind]
        setattr(counters, name, getattr(counters, name) + 1)
        if refusal.kind == UNKNOWN_TOPIC:
            topics[refusal.topic] += 1
        else:
            key = (refusal.kind, refusal.integration_id)
            reasons.setdefault(key, Counter())[refusal.reason[:200]] += 1
    for (kind, integration_id), counted in reasons.items():
        total = sum(counted.values())
        if kind == RETAINED:
            logger.info(
                "mqtt: ignored %d retained message(s) for integration %s: not new data",
                total,
                integration_id[:40],
            )
            continue
        shown = "; ".join(f"{reason} ({n})" for reason, n in counted.most_common(REASONS_LOGGED))
        if len(counted) > REASONS_LOGGED:
            shown += f"; and {len(counted) - REASONS_LOGGED} other reason(s)"
        logger.warning(
            "mqtt: refused %d message(s) for integration %s: %s: %s",
            total,
            integration_id[:40],
            kind,
            shown,
        )
    now = time.monotonic()
    for topic, count in topics.items():
        noted = topic_log.note(topic, count, now=now)
        if noted is None:
            continue
        pattern, held = noted
        logger.warning(
            "mqtt: %d message(s) on %r, not %s/<integration id>/telemetry: not stored%s",
            count,
            topic[:200],
            prefix,
            f" ({held} more on {pattern!r} since the last line)" if held else "",
        )
