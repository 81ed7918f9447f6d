"""Per-token rate limit on HTTP ingest, so one noisy integration cannot starve the rest.

Each token may send TELEMETRY_RATE_POINTS points in each window of TELEMETRY_RATE_WINDOW
seconds. A request from a token that has used its budget is refused with 429 and Retry-After
(the seconds left in the window) before its body is read; a batch is never split, so the batch
that crosses the limit is still taken and a token exceeds its budget by at most one batch.
A body is charged before it is parsed, the most points it can hold (at most one batch's worth),
and the charge is settled to its real count after: a body that never finishes parsing (a worker
killed on a timeout) or that is refused has paid. Until settled, the estimate may make a
concurrent request of the same token wait.
Counters live in Django's cache: with several workers it must be shared (REDIS_URL), or each
worker counts alone and a token gets that many budgets.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.core.cache import cache

from integration import conf


def retry_after(token_id: int, now: datetime) -> int | None:
    """Seconds until `token_id` may send again, or None when it is within its budget."""
    seconds, window = _window(now)
    if cache.get(_key(token_id, window), 0) < conf.rate_points():
        return None
    return max(1, math.ceil((window + 1) * conf.rate_window() - seconds))


def spend(token_id: int, points: int, now: datetime) -> None:
    """Count `points` against the token's budget in the window of `now`; a negative count gives
    back what an estimate charged too much (pass the same `now` as the charge)."""
    if not points:
        return
    _, window = _window(now)
    key, timeout = _key(token_id, window), conf.rate_window() * 2
    if points > 0 and cache.add(key, points, timeout):
        return
    try:
        cache.incr(key, points)
    except ValueError:  # expired (or gone) since: nothing left to give back
        if points > 0:
            cache.add(key, points, timeout)


def _window(now: datetime) -> tuple[float, int]:
    seconds = now.timestamp()
    return seconds, int(seconds // conf.rate_window())


def _key(token_id: int, window: int) -> str:
    return f"ladder:ingest-rate:{token_id}:{window}"
