"""Measuring checks on live data: what each check reads, judged by `integration.checks`.

A round of many checks goes through `checks_measure_many`, which plans every check's reads
first and then reads each distinct set once for all integrations that need it (docs/
BENCHMARKS.md: one by one is ~6 times slower). Two kinds of read:

- the rollups, grouped in the database (`checkreads`): every kind can be judged on them, and
  freshness, uptime and both_directions also read there when values last changed;
- the seen minutes (`checkminutes`): uptime and both_directions over every metric, at an
  interval of whole minutes up to `LAG_TOLERANCE`, with the window in minute rollups and no
  value rules, count an hour of an integration in one row; where those cannot rule out that
  the window arrived in one burst, the integration's rollups are read instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta

from integration.checks import BURST, Check, Measurement, Seen, measure, measure_seen
from integration.models import PING_METRIC, Integration
from integration.services.checkminutes import _by_minutes, _seen, _seen_hours
from integration.services.checkreads import _changes, _changes_key, _read, _reads

__all__ = ["check_measure", "checks_measure_many"]

CHECK_FIELDS = {f.name for f in fields(Check)} - {"kind"}


def check_measure(
    *,
    kind: str,
    integrations: Sequence[Integration],
    params: dict,
    window_end: datetime,
    as_of: datetime,
    now: datetime | None = None,
) -> Measurement:
    """Judge a check of `kind` over the `params["window"]` before `window_end`, on what had
    arrived by `as_of`. `params`: the `Check` fields and `metric` (the value kinds need one;
    heartbeat reads `_ping`; freshness and uptime read every metric unless given). `now`
    (default `as_of`) dates the minute rollups' retention: pass the present when judging the
    past, or a window retention has cut since would be read as still held by the minute.
    Given and not after `as_of`, it also lets freshness read whole hours by the hour."""
    return checks_measure_many(
        checks=[(kind, integrations, params)], window_end=window_end, as_of=as_of, now=now
    )[0]


def checks_measure_many(
    *,
    checks: Sequence[tuple[str, Sequence[Integration], dict]],
    window_end: datetime,
    as_of: datetime,
    now: datetime | None = None,
    by_the_hour: bool = True,
) -> list[Measurement]:
    """`check_measure` of each (kind, integrations, params), in order, reading each set of
    rollups once for every check and integration that needs it: one query per distinct read
    (metric, resolution, grouping), all integrations at once; the uptime kinds' minutes
    (`_by_minutes`) one query per window length. Given `now` and judging on the present
    (`as_of` not before it), freshness reads its window's whole hours by the hour
    (`checkreads._whole_hours`; not with `by_the_hour=False`)."""
    present = by_the_hour and now is not None and as_of >= now
    now = now or as_of
    planned: list = []
    wanted: dict[tuple, dict] = {}
    moving: dict[tuple, dict] = {}
    minutes: dict[timedelta, dict] = {}
    for kind, integrations, params in checks:
        if not integrations:
            planned.append(Measurement(None, None, "no integration bound"))
            continue
        check = _check(kind, integrations[0], params)
        metric = _metric(kind, params)
        if metric is _MISSING:
            planned.append(Measurement(None, None, "no metric bound"))
            continue
        changes = _changes_key(check, metric, window_end, as_of, now)
        if changes is not None:
            for integration in integrations:
                moving.setdefault(changes, {})[integration.pk] = integration
        item = [check, metric, integrations, None, changes]
        if _by_minutes(check, metric, window_end, now):
            for integration in integrations:
                minutes.setdefault(check.window, {})[integration.pk] = integration
        else:
            _plan_reads(item, wanted, window_end, as_of, now, present)
        planned.append(item)
    hours = {
        window: _seen_hours(window_end - window, window_end, as_of, list(found.values()))
        for window, found in minutes.items()
    }
    for item in planned:
        if isinstance(item, list) and item[3] is None:
            check, _, integrations, _, _ = item
            counted = [_seen(check, hours[check.window][i.pk], i, window_end) for i in integrations]
            if None in counted:  # the window's data may have arrived in one burst
                _plan_reads(item, wanted, window_end, as_of, now, present)
            else:
                item[3] = counted
    done = {key: _read(key, list(found.values())) for key, found in wanted.items()}
    moved = {key: _changes(key, list(found.values())) for key, found in moving.items()}
    results = []
    for item in planned:
        if isinstance(item, Measurement):
            results.append(item)
            continue
        check, _, integrations, reads, changes = item
        created = [integration.created for integration in integrations]
        changed = None
        if changes is not None:
            changed = [moved[changes].get(integration.pk) for integration in integrations]
        if isinstance(reads[0], Seen):
            results.append(
                measure_seen(check, reads, end=window_end, created=created, changed=changed)
            )
            continue
        rows = [
            [b for key in keys for b in done[key].get(integration.pk, [])]
            for integration, keys in zip(integrations, reads, strict=True)
        ]
        results.append(
            measure(check, rows, end=window_end, as_of=as_of, created=created, changed=changed)
        )
    if present:  # a burst seen by the hour (an hour's start for its first point): by the minute
        again = [
            n
            for n, (item, result) in enumerate(zip(planned, results, strict=True))
            if isinstance(item, list)
            and item[0].kind == "freshness"
            and result.reason.startswith(BURST)
        ]
        if again:
            redone = checks_measure_many(
                checks=[checks[n] for n in again],
                window_end=window_end,
                as_of=as_of,
                now=now,
                by_the_hour=False,
            )
            for n, result in zip(again, redone, strict=True):
                results[n] = result
    return results


def _plan_reads(item: list, wanted: dict, end, as_of, now, present: bool) -> None:
    """Put the rollup reads of a planned check (`item`) in it and in `wanted`."""
    check, metric, integrations = item[:3]
    item[3] = [_reads(check, metric, one, end, as_of, now, present) for one in integrations]
    for integration, keys in zip(integrations, item[3], strict=True):
        for key in keys:
            wanted.setdefault(key, {})[integration.pk] = integration


_MISSING = object()


def _check(kind: str, integration: Integration, params: dict) -> Check:
    values = {k: v for k, v in params.items() if k in CHECK_FIELDS}
    values.setdefault("interval", integration.interval)
    return Check(kind=kind, **values)


def _metric(kind: str, params: dict):
    if kind == "heartbeat":
        return PING_METRIC
    metric = params.get("metric")
    if kind in ("aggregate", "variation") and not metric:
        return _MISSING
    return metric
