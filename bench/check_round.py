"""A full round of bound checks through the evaluator, against one hand-written SQL per check.

    .venv/bin/python bench/check_round.py --db ladder_bench_round      # PostgreSQL
    .venv/bin/python bench/check_round.py --sqlite /tmp/round.sqlite3
    .venv/bin/python bench/check_round.py --integrations 10 --checks 500   # a quick look
    .venv/bin/python bench/check_round.py --keep ...; then --reuse        # without seeding again

Seeds the database as bench/check_eval.py does (its `with_seeded_database`: 90 days of hour
rollups and 7 days of minute rollups of `temp` and heartbeats for each integration), then
binds --checks framework checks of the shipped framework (`FrameworkVersion.objects.shipped()`)
to processes: one process per area in turn, each with every check of its area (a process holds
a check key once), until there are --checks; each role bound to the next integration in turn
(both_directions' two roles to two different ones), metric `temp` for aggregate and variation
(heartbeat reads `_ping`). `ProcessCheck` and `CheckBinding` rows are bulk-created here, not
through the audited `assessments.verified.bindings` service (no audit events, no checks of
who binds: the evaluator does not read those).

Timed: `evaluate_round(now=...)` twice, five minutes apart (round 1 starts every history run,
round 2 extends them), with the round's split between measuring (`checks_measure_many`) and
writing results and history; then each kind's checks measured alone (`checks_measure_many`)
for the kinds' shares; then the baseline, one hand-written SQL query per check computing its
kind's figure (check_eval's `baseline`), and the speed of round 1 over it. A benchmark,
never a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_eval import baseline, with_seeded_database  # noqa: E402

GAP = timedelta(minutes=5)  # between the two rounds: the cron interval


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ladder_bench_round", help="PostgreSQL database")
    parser.add_argument("--sqlite", type=Path, help="use this SQLite file instead")
    parser.add_argument("--integrations", type=int, default=100)
    parser.add_argument("--checks", type=int, default=10_000, help="checks in all")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database a run kept (--keep; SQLite: the file) without seeding it again; "
        "its processes are replaced",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of round 1 here")
    args = parser.parse_args()
    if not 2 <= args.integrations <= 1000 or not 1 <= args.checks <= 100_000:
        parser.error("--integrations: 2 to 1000, --checks: 1 to 100,000")
    if args.db in ("ladder", "postgres", "template0", "template1") or args.db.startswith("test"):
        parser.error(f"refusing to drop database {args.db!r}")
    return args


def bind(args, integrations):
    """Processes, their checks and bindings, bulk-created; returns the framework version."""
    from assessments.models import FrameworkVersion, Process
    from assessments.models.verification import CheckBinding, ProcessCheck

    started = time.perf_counter()
    Process.objects.all().delete()  # an earlier run's (--reuse)
    framework = FrameworkVersion.objects.shipped()
    definition = framework.definition
    by_area = defaultdict(list)
    for criterion in definition.criteria:
        by_area[criterion.area] += criterion.checks
    areas = [area.key for area in definition.areas if by_area[area.key]]
    org = integrations[0].organization
    planned, n = [], 0
    while len(planned) < args.checks:
        area = areas[n % len(areas)]
        process = Process(organization=org, name=f"Process {n}", area=area)
        planned += [(process, check) for check in by_area[area]][: args.checks - len(planned)]
        n += 1
    Process.objects.bulk_create({id(p): p for p, _ in planned}.values())
    rows = ProcessCheck.objects.bulk_create(
        ProcessCheck(process=process, framework=framework, check_key=check.key)
        for process, check in planned
    )
    bindings, turn = [], 0
    for row, (_, check) in zip(rows, planned, strict=True):
        metric = "temp" if check.kind in ("aggregate", "variation") else ""
        for role in check.roles:
            integration = integrations[turn % len(integrations)]
            bindings.append(
                CheckBinding(process_check=row, role=role, integration=integration, metric=metric)
            )
            turn += 1
    CheckBinding.objects.bulk_create(bindings, batch_size=2000)
    kinds = Counter(check.kind for _, check in planned)
    print(
        f"bound {len(rows):,} checks of {framework} on {n:,} processes "
        f"({len(bindings):,} bindings) in {time.perf_counter() - started:.1f} s: {dict(kinds)}",
        flush=True,
    )
    return framework


def timed(module, name, spent: Counter):
    """Wrap `module.name` to add the seconds it takes to `spent[name]`."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t

    setattr(module, name, wrapper)
    return inner


def _best_of_3(checks, at, name, replacement) -> tuple[float, float]:
    """Seconds measuring `checks` (`checks_measure_many`) with `services.checks.<name>` as it
    is and replaced by `replacement`: best of 3 each, alternated so that the machine's load
    weighs on both alike."""
    from integration.services import checks as service

    original, best = getattr(service, name), {True: float("inf"), False: float("inf")}
    try:
        for _ in range(3):
            for kept in (True, False):
                setattr(service, name, original if kept else replacement)
                t = time.perf_counter()
                service.checks_measure_many(checks=checks, window_end=at, as_of=at, now=at)
                best[kept] = min(best[kept], time.perf_counter() - t)
    finally:
        setattr(service, name, original)
    return best[True], best[False]


def _changes_cost(plans, at) -> float:
    """Freshness, uptime and both_directions with the "nothing moves" rule (its read of when
    values last changed) over without it."""
    from integration.checks import MOVING_KINDS

    moving = [plan for kind in MOVING_KINDS for plan in plans.get(kind, [])]
    with_rule, without = _best_of_3(moving, at, "_changes_key", lambda *args: None)
    return with_rule / without


def _minutes_gain(plans, at) -> tuple[float, float]:
    """Seconds of the uptime kinds from the rollups, and from their seen minutes where they
    apply (`_by_minutes`)."""
    from integration.checks import UPTIME_KINDS

    uptime = [plan for kind in UPTIME_KINDS for plan in plans.get(kind, [])]
    by_minutes, by_rollups = _best_of_3(uptime, at, "_by_minutes", lambda *args: False)
    return by_rollups, by_minutes


def rounds(args, integrations, end):
    from django.db import connection
    from django.utils import timezone

    from assessments.models.verification import CheckBinding, CheckResult, ProcessCheck
    from assessments.verified import evaluate
    from integration.checks import Measurement
    from integration.services.checks import checks_measure_many

    bind(args, integrations)
    second = end
    if timezone.localdate(second - GAP) != timezone.localdate(second):
        second -= timedelta(hours=1)  # both rounds on one day: round 2 extends the runs
    first = second - GAP
    spent: dict[str, Counter] = {}
    totals: dict[str, float] = {}
    for name, now in (("round 1", first), ("round 2", second)):
        spent[name] = Counter()
        originals = [timed(evaluate, f, spent[name]) for f in ("checks_measure_many", "_record")]
        profiler = None
        if args.profile and name == "round 1":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        load = os.getloadavg()[0]
        t = time.perf_counter()
        summary = evaluate.evaluate_round(now=now)
        totals[name] = time.perf_counter() - t
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        evaluate.checks_measure_many, evaluate._record = originals
        print(
            f"  {name} at {now:%H:%M}: {totals[name]:.1f} s, load {load:.1f}-"
            f"{os.getloadavg()[0]:.1f}, {summary.evaluated:,} judged ({summary.passing:,} "
            f"passing, {summary.failing:,} failing, {summary.not_tested:,} not tested), "
            f"{CheckResult.objects.count():,} history rows; measuring "
            f"{spent[name]['checks_measure_many']:.1f} s, writing {spent[name]['_record']:.1f} s",
            flush=True,
        )

    # The same checks by kind, measured alone, and one SQL query per check.
    rows = list(ProcessCheck.objects.select_related("framework").order_by("pk"))
    bound = defaultdict(list)
    for binding in CheckBinding.objects.select_related("integration"):
        bound[binding.process_check_id].append(binding)
    definitions = rows[0].framework.definition.checks_by_key
    plans = defaultdict(list)
    for row in rows:
        plan = evaluate._plan(row, definitions[row.check_key], bound[row.pk])
        if not isinstance(plan, Measurement):  # not tested (no operating hours): not measured
            plans[plan[0]].append(plan)
    kinds, sql = Counter(), Counter()
    for kind, checks in plans.items():
        t = time.perf_counter()
        checks_measure_many(checks=checks, window_end=first, as_of=first, now=first)
        kinds[kind] = time.perf_counter() - t
    staged = _changes_cost(plans, first)
    by_rollups, by_minutes = _minutes_gain(plans, first)
    load = os.getloadavg()[0]
    with connection.cursor() as cursor:
        for kind, checks in plans.items():
            t = time.perf_counter()
            for _, integrations_, params in checks:
                baseline(cursor, connection.vendor, kind, integrations_, params, first)
            sql[kind] = time.perf_counter() - t
    totals["one SQL per check"] = sum(sql.values())
    print(f"  one SQL per check: {totals['one SQL per check']:.1f} s, load {load:.1f}-"
          f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip

    n = len(rows)
    print(f"load average {os.getloadavg()[0]:.1f}; seconds, checks/s, speed / one SQL per check")
    for name, total in totals.items():
        ratio = totals["one SQL per check"] / total
        print(f"  {name:<18} {total:8.1f} s {n / total:8,.0f}/s {ratio:8.2f}x")
    print(f"freshness, uptime and both_directions with the 'nothing moves' rule / without: "
          f"{staged:.2f}x (best of 3 each, alternated)")  # fmt: skip
    print(f"uptime and both_directions from the rollups {by_rollups:.1f} s, from their seen "
          f"minutes where they apply {by_minutes:.1f} s: {by_rollups / by_minutes:.2f}x (best of "
          "3 each, alternated; windows past 7 days of minute rollups read rollups)")  # fmt: skip
    print("by kind, measured alone: share of the kinds' time, seconds, one SQL each, speed / SQL")
    for kind, seconds in kinds.most_common():
        print(f"  {kind:<16} {len(plans[kind]):6,} checks {seconds / sum(kinds.values()):6.0%}"
              f" {seconds:7.1f} s  SQL {sql[kind]:6.1f} s {sql[kind] / seconds:6.2f}x")  # fmt: skip


def main():
    args = parse_args()
    with_seeded_database(
        args, lambda integrations, end: rounds(args, integrations, end), fresh=not args.reuse
    )


if __name__ == "__main__":
    main()
