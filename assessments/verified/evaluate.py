"""The evaluator: judge every bound check on its integrations' rollups and keep the history.

A round (`evaluate_round`) judges each `ProcessCheck` over the window that ends now, on what
has arrived by now (`integration.services.checks.checks_measure_many`, which reads each set
of rollups once for all checks). Each result updates the check's latest state and extends its
history run, or starts a new run when the state or threshold changed or a new day began
(`CheckResult`). A window is judged once, when it ends: history backfilled later counts in the
windows judged after it arrived and never rewrites a past result.

A check that counts only operating hours (`operating_hours: true`) reads the hours and time
zone of its process's site (`accounts.hours`); without a site or hours it is not tested.

A failing check keeps the time it started failing (`failing_since`) until it passes again (a
"not tested" in between does not restart it); its deadline is that plus
its grace, worked out when read (`assessments.verification`).

Safe in several processes: a round takes its checks in chunks under `SELECT ... FOR UPDATE
SKIP LOCKED` (PostgreSQL) and skips checks judged less than a gap ago (`MIN_GAP`; half the
loop's interval for `evaluate_checks --loop`), so two evaluators split the checks between them
instead of judging each twice. SQLite has one writer at a time.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.hours import HoursError, parse_hours
from assessments.models import FrameworkVersion
from assessments.models.verification import CheckBinding, CheckResult, ProcessCheck
from assessments.verification import CheckState
from integration.checks import Measurement
from integration.services.checks import checks_measure_many

CHUNK = 500
MIN_GAP = timedelta(seconds=60)  # a check judged this recently is left for the next round
NO_HOURS = "the process's site has no operating hours"


@dataclass
class RoundSummary:
    evaluated: int = 0
    passing: int = 0
    failing: int = 0
    not_tested: int = 0

    def add(self, state: str) -> None:
        self.evaluated += 1
        if state == CheckState.PASSING:
            self.passing += 1
        elif state == CheckState.FAILING:
            self.failing += 1
        else:
            self.not_tested += 1


def evaluate_round(
    *,
    now: datetime | None = None,
    organization=None,
    gap: timedelta = MIN_GAP,
    spread: float = 0.0,
    stop: threading.Event | None = None,
) -> RoundSummary:
    """Judge every check not judged in the last `gap` (of one organisation, if given).

    Without `now`, each chunk is judged and stamped at its own time, so a second evaluator
    starting while this round runs finds the chunks already judged recent.

    With `spread` (seconds), chunk k of n starts no sooner than k/n of it after the round: a
    round of 9,000 checks then takes a steady tenth of a core over half a minute instead of a
    whole core for four seconds, during which pages and ingest on the same cores wait
    (docs/BENCHMARKS.md). A round already behind that pace does not wait. `stop` set while it
    waits, or before a chunk, ends the round; the checks left are judged in the next."""
    fixed = now is not None
    stop = stop or threading.Event()
    begun = time.monotonic()
    now = now or timezone.now()
    due = ProcessCheck.objects.filter(
        Q(evaluated__isnull=True) | Q(evaluated__lt=now - gap),
        Exists(CheckBinding.objects.filter(process_check=OuterRef("pk"))),  # unbound: no news
    )
    if organization is not None:
        due = due.filter(process__organization=organization)
    ids = _by_integrations(due)
    summary = RoundSummary()
    definitions: dict = {}
    chunks = range(0, len(ids), CHUNK)
    for index, start in enumerate(chunks):
        ahead = begun + spread * index / len(chunks) - time.monotonic()
        if stop.is_set() or (ahead > 0 and stop.wait(ahead)):
            break
        with transaction.atomic():
            rows = list(
                due.filter(pk__in=ids[start : start + CHUNK])
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("process__site")
            )
            _judge(rows, now if fixed else timezone.now(), definitions, summary)
    return summary


def _by_integrations(due) -> list[int]:
    """The due checks' ids, those bound to the same integrations next to each other: a chunk
    then reads the rollups of a few integrations, not of all of them (checks in pk order,
    bound in turn to 100 integrations, read every integration's rollups in every chunk: a
    round of 10,000 took over 5 minutes, docs/BENCHMARKS.md)."""
    bound: dict[int, list[str]] = defaultdict(list)
    pairs = CheckBinding.objects.filter(process_check__in=due.values("pk"))
    for pk, integration in pairs.values_list("process_check_id", "integration_id"):
        bound[pk].append(str(integration))
    return sorted(due.values_list("pk", flat=True), key=lambda pk: (sorted(bound[pk]), pk))


def evaluate_checks(rows: Iterable[ProcessCheck], *, now: datetime) -> RoundSummary:
    """Judge these checks now (a facilitator's "check now"), whenever they were last judged."""
    summary = RoundSummary()
    with transaction.atomic():
        locked = ProcessCheck.objects.filter(pk__in=[row.pk for row in rows]).select_for_update(
            of=("self",)
        )
        _judge(list(locked.select_related("process__site")), now, {}, summary)
    return summary


def _judge(rows: list[ProcessCheck], now: datetime, definitions: dict, summary) -> None:
    bindings: dict[int, list[CheckBinding]] = {row.pk: [] for row in rows}
    for binding in CheckBinding.objects.filter(process_check__in=rows).select_related(
        "integration"
    ):
        bindings[binding.process_check_id].append(binding)
    # Each framework version's checks parsed once (not the stored JSON once per row).
    missing = {row.framework_id for row in rows} - definitions.keys()
    for version in FrameworkVersion.objects.filter(pk__in=missing):
        definitions[version.pk] = version.definition.checks_by_key
    planned, results = [], {}
    for row in rows:
        check = definitions[row.framework_id].get(row.check_key)
        plan = _plan(row, check, bindings[row.pk])
        if isinstance(plan, Measurement):
            results[row.pk] = plan
        else:
            planned.append((row, plan))
    measured = checks_measure_many(
        checks=[plan for _, plan in planned], window_end=now, as_of=now, now=now
    )
    for (row, _), measurement in zip(planned, measured, strict=True):
        results[row.pk] = measurement
    _record(rows, results, definitions, now, summary)


def _plan(row: ProcessCheck, check, bindings: list[CheckBinding]):
    """(kind, integrations, params) for `checks_measure_many`, or a Measurement saying why
    the check cannot be judged."""
    if check is None:
        return Measurement(None, None, "the framework no longer defines this check")
    by_role = {b.role: b for b in bindings}
    missing = [role for role in check.roles if role not in by_role]
    if missing:
        return Measurement(None, None, f"not bound: {', '.join(missing)}")
    roles = [by_role[role] for role in check.roles]
    params = measure_params(
        check, threshold=row.threshold, metric=roles[0].metric, site=row.process.site
    )
    if isinstance(params, Measurement):
        return params
    return (check.kind, [b.integration for b in roles], params)


def measure_params(check, *, threshold: float | None, metric: str, site) -> dict | Measurement:
    """What `check_measure` needs of a framework check bound for a process on `site` (the
    evaluator's and the binding preview's, so both judge alike), or a Measurement saying why
    it cannot be judged (its operating hours unknown)."""
    params = {
        "threshold": float(check.threshold if threshold is None else threshold),
        "window": check.window_length,
        "op": check.op or ">=",
        "aggregate": check.aggregate or "avg",
        "metric": metric or None,
    }
    if check.operating_hours:
        spans = _site_hours(site)
        if not spans:
            return Measurement(None, None, NO_HOURS)
        params["hours"], params["tz"] = spans, site.timezone
    return params


def _site_hours(site) -> tuple:
    """The site's operating hours as `Check.hours` spans; () when it has none (or bad text,
    which the site form refuses)."""
    if site is None:
        return ()
    try:
        return parse_hours(site.operating_hours)
    except HoursError:
        return ()


def _state(measurement: Measurement) -> CheckState:
    if measurement.passed is None:
        return CheckState.NOT_TESTED
    return CheckState.PASSING if measurement.passed else CheckState.FAILING


def _record(rows, results: dict, definitions: dict, now: datetime, summary) -> None:
    runs = {
        r.pk: r
        for r in CheckResult.objects.filter(pk__in=[row.run_id for row in rows if row.run_id])
    }
    extended, started = [], []
    for row in rows:
        measurement = results[row.pk]
        state = _state(measurement)
        check = definitions[row.framework_id].get(row.check_key)
        threshold = float(
            row.threshold if row.threshold is not None else (check.threshold if check else 0)
        )
        if state == CheckState.FAILING:
            row.failing_since = row.failing_since or now
        elif state == CheckState.PASSING:
            row.failing_since = None
        # Not tested (a night outside operating hours, a site's hours briefly cleared) keeps
        # `failing_since`: only a pass ends the failure, so nothing restarts a deadline.
        row.state, row.measured, row.evaluated = state, measurement.measured, now
        row.reason = measurement.reason[:300]
        run = runs.get(row.run_id)
        if (
            run is not None
            and run.state == state
            and run.threshold == threshold
            and timezone.localdate(run.first) == timezone.localdate(now)
        ):
            run.last, run.measured, run.reason = now, row.measured, row.reason
            run.evaluations += 1
            extended.append(run)
        else:
            started.append(
                (
                    row,
                    CheckResult(
                        process_check=row,
                        state=state,
                        measured=row.measured,
                        threshold=threshold,
                        reason=row.reason,
                        first=now,
                        last=now,
                    ),
                )
            )
        summary.add(state)
    _update(CheckResult, extended, ["last", "measured", "reason", "evaluations"])
    CheckResult.objects.bulk_create([run for _, run in started])  # sets ids (RETURNING)
    for row, run in started:
        row.run_id = run.pk
    _update(
        ProcessCheck, rows, ["state", "measured", "reason", "evaluated", "failing_since", "run"]
    )


def _update(model, objects: list, names: list[str]) -> None:
    """Save these fields of each object by primary key: one UPDATE statement run for every
    row (`executemany`). Django's `bulk_update` builds a CASE of every row for each field:
    ~7 ms a check on SQLite on a loaded machine (docs/BENCHMARKS.md, bench/check_round.py)."""
    if not objects:
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in names]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in columns),
        quote(meta.pk.column),
    )
    values = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
