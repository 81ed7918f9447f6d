"""`manage.py evaluate_checks`: one round, --org, --loop stopped by a signal, and two evaluators
at once on PostgreSQL judging each check exactly once."""

import os
import signal
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum

from assessments.models import ProcessScore, VerifiedLevelSeen
from assessments.models.verification import CheckBinding, CheckResult, ProcessCheck
from assessments.verified import evaluate
from assessments.verified.drift import drift_round
from assessments.verified.evaluate import evaluate_round
from audit.models import AuditEvent
from integration.models import Integration, ServiceHeartbeat
from tests.assessments.conftest import NOW, answer_levels, make_assessment, make_process
from tests.services import need_postgresql

CHECK = "mfg-2-machine-data-arrives"


def bound_checks(org, framework, count):
    line = Integration.objects.create(organization=org, name="Press line")
    role = framework.definition.check(CHECK).roles[0]
    processes = [make_process(org, f"Process {i}") for i in range(count)]
    make_assessment(org, framework, processes)
    for process in processes:
        row = ProcessCheck.objects.create(process=process, framework=framework, check_key=CHECK)
        CheckBinding.objects.create(process_check=row, role=role, integration=line)
    return processes


def run(*args):
    out = StringIO()
    call_command("evaluate_checks", *args, stdout=out)
    return out.getvalue()


def run_loop(*args):
    """`evaluate_checks --loop ...` until a signal stops it; the test's handlers put back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return run("--loop", *args)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_one_round_prints_a_summary(org, framework):
    bound_checks(org, framework, 2)
    out = run()
    assert "2 checks judged: 0 passing, 0 failing, 2 not tested" in out  # no interval yet
    assert "0 verified level changes" in out
    assert ProcessCheck.objects.filter(evaluated__isnull=False).count() == 2
    assert "0 checks judged" in run()  # judged a moment ago: left for the next round


def test_org_limits_the_round_and_an_unknown_one_is_an_error(org, other_org, framework):
    bound_checks(org, framework, 1)
    assert "0 checks judged" in run("--org", other_org.slug)
    assert "1 checks judged" in run("--org", org.slug)
    with pytest.raises(CommandError, match="No organisation 'nope'"):
        run("--org", "nope")
    with pytest.raises(CommandError, match="--every"):
        run("--loop", "--every", "0")


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between rounds
def test_loop_stops_cleanly_on_sigterm(org, framework):
    bound_checks(org, framework, 1)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        out = run_loop("--every", "1")
    finally:
        timer.cancel()
    assert out.count("checks judged") >= 1
    assert out.rstrip().endswith("Stopped.")
    beat = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.EVALUATOR)  # one row, many rounds
    assert beat.instance.endswith(f":{os.getpid()}") and beat.interval == 1
    assert beat.stopped is not None and not beat.is_stale(now=beat.stopped + timedelta(hours=1))


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between rounds
def test_the_loop_judges_each_check_every_round(org, framework, monkeypatch):
    """A check judged a round ago is due again: with --every no longer than the gap that
    leaves another evaluator's checks alone (60 s), each check was judged every other round."""
    from assessments.management.commands.evaluate_checks import Command

    bound_checks(org, framework, 2)
    judged = []
    judge = Command.judge

    def counted(self, organization):
        judge(self, organization)
        judged.append(ProcessCheck.objects.filter(evaluated__isnull=False).count())
        if len(judged) == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Command, "judge", counted)
    out = run_loop("--every", "1")
    assert out.count("2 checks judged") == 3, out
    assert CheckResult.objects.count() >= 1


def test_a_round_starts_every_n_seconds_at_once_after_a_longer_one(org, framework, monkeypatch):
    """--every is the cadence of the rounds' starts: after a round longer than it the next
    starts at once (it used to wait --every more), after a short one it waits the rest."""
    from assessments.management.commands.evaluate_checks import Command

    starts = []

    def round_(self, organization):
        starts.append(time.monotonic())
        if len(starts) == 1:
            time.sleep(2.0)  # longer than --every 1
        elif len(starts) == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Command, "round", round_)
    monkeypatch.setattr("assessments.management.commands.evaluate_checks.heartbeat_started",
                        lambda **kw: None)  # fmt: skip
    monkeypatch.setattr("assessments.management.commands.evaluate_checks.heartbeat_stopped",
                        lambda **kw: None)  # fmt: skip
    run_loop("--every", "1")
    assert len(starts) == 3
    assert 2.0 <= starts[1] - starts[0] < 2.7  # at once after the long round (3.0 s before)
    assert 0.9 <= starts[2] - starts[1] < 1.9  # the rest of the second after a short one


def test_after_a_failed_round_the_loop_waits_every_before_the_next(org, framework, monkeypatch):
    """A failed round (the database restarting) is not retried at once, however long it took."""
    from assessments.management.commands.evaluate_checks import Command

    starts = []

    def round_(self, organization):
        starts.append(time.monotonic())
        if len(starts) == 1:
            time.sleep(1.2)  # longer than --every 1, then fails
            raise RuntimeError("database restarting")
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(Command, "round", round_)
    monkeypatch.setattr("assessments.management.commands.evaluate_checks.heartbeat_started",
                        lambda **kw: None)  # fmt: skip
    monkeypatch.setattr("assessments.management.commands.evaluate_checks.heartbeat_stopped",
                        lambda **kw: None)  # fmt: skip
    run_loop("--every", "1")
    assert len(starts) == 2
    assert starts[1] - starts[0] >= 2.1  # the failed round's 1.2 s, then a full --every


def test_a_round_records_the_evaluators_heartbeat_and_a_failed_round_its_error(
    org, framework, monkeypatch
):
    bound_checks(org, framework, 1)
    run("--every", "120")
    beat = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.EVALUATOR)
    assert (beat.interval, beat.error_count, beat.stopped) == (120, 0, None)

    def broken(**kwargs):
        raise RuntimeError("rollups unreadable")

    monkeypatch.setattr("assessments.management.commands.evaluate_checks.evaluate_round", broken)
    with pytest.raises(RuntimeError):
        run()
    beat = ServiceHeartbeat.objects.get(name=ServiceHeartbeat.EVALUATOR)
    assert beat.error_count == 1 and beat.last_error == "RuntimeError: rollups unreadable"


def in_two_threads(work):
    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_two_evaluators_at_once_judge_each_check_once(org, framework, monkeypatch):
    need_postgresql()
    bound_checks(org, framework, 40)
    monkeypatch.setattr(evaluate, "CHUNK", 5)  # many small chunks: the two interleave
    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def evaluator():
        try:
            barrier.wait()
            summaries.append(evaluate_round(now=NOW))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    in_two_threads(evaluator)
    assert errors == []
    assert sum(s.evaluated for s in summaries) == 40
    assert CheckResult.objects.aggregate(n=Sum("evaluations"))["n"] == 40
    assert CheckResult.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_two_evaluators_seeing_the_same_drops_email_each_once(org, framework, owner, mailoutbox):
    need_postgresql()
    processes = bound_checks(org, framework, 20)
    for score in ProcessScore.objects.filter(process__in=processes):  # seen at 1, now 0
        answer_levels(score, owner, {1: "fully"})  # claims 1: nothing verifies it any more
        VerifiedLevelSeen.objects.create(process_score=score, level=1, changed=NOW)
    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def evaluator():
        try:
            barrier.wait()
            summaries.append(drift_round(now=NOW))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    in_two_threads(evaluator)
    assert errors == []
    assert sum(s.changes for s in summaries) == 20
    assert sum(s.seen for s in summaries) == 20  # each process compared by one of them
    assert len(mailoutbox) == 20  # the owner, once per process
    assert AuditEvent.objects.filter(action="verified level dropped").count() == 20
    assert set(VerifiedLevelSeen.objects.values_list("level", flat=True)) == {0}


def test_a_spread_round_starts_its_chunks_evenly_over_the_spread(org, framework, monkeypatch):
    """`spread`: chunk k of n starts k/n of it after the round began (a steady share of a core
    instead of a burst); every check is still judged in the round."""
    bound_checks(org, framework, 4)
    monkeypatch.setattr(evaluate, "CHUNK", 1)
    starts = []
    judge = evaluate._judge

    def timed(rows, *args):
        starts.append(time.monotonic())
        judge(rows, *args)

    monkeypatch.setattr(evaluate, "_judge", timed)
    begun = time.monotonic()
    assert evaluate_round(now=NOW, spread=0.8).evaluated == 4
    offsets = [start - begun for start in starts]
    assert offsets[0] < 0.15
    for k in (1, 2, 3):
        assert 0.2 * k <= offsets[k] < 0.2 * k + 0.15, offsets
    # Without it, no waiting.
    starts.clear()
    begun = time.monotonic()
    assert evaluate_round(now=NOW + timedelta(hours=1)).evaluated == 4
    assert starts[-1] - begun < 0.15


def test_stop_while_a_spread_round_waits_ends_it_and_leaves_the_rest_due(
    org, framework, monkeypatch
):
    bound_checks(org, framework, 3)
    monkeypatch.setattr(evaluate, "CHUNK", 1)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    begun = time.monotonic()
    assert evaluate_round(now=NOW, spread=30, stop=stop).evaluated == 1  # then it waited 10 s
    assert time.monotonic() - begun < 2
    assert ProcessCheck.objects.filter(evaluated__isnull=True).count() == 2
    assert evaluate_round(now=NOW + timedelta(seconds=1)).evaluated == 2


def test_stop_set_before_a_chunk_ends_a_round_behind_its_pace(org, framework, monkeypatch):
    bound_checks(org, framework, 3)
    monkeypatch.setattr(evaluate, "CHUNK", 1)
    stop = threading.Event()
    judge = evaluate._judge

    def slow(rows, *args):  # far behind a pace of 0.01 s: it never waits
        judge(rows, *args)
        stop.set()

    monkeypatch.setattr(evaluate, "_judge", slow)
    assert evaluate_round(now=NOW, spread=0.01, stop=stop).evaluated == 1


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between rounds
def test_the_loop_gap_and_spread_are_half_of_every(org, framework, monkeypatch):
    """Two evaluators whose rounds begin 100 s apart with --every 300 judge each check once a
    round: the second leaves what the first judged (a gap of 60 s judged it again)."""
    from assessments.management.commands import evaluate_checks as command

    asked = []

    def round_(**kwargs):
        asked.append(kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return evaluate.RoundSummary()

    monkeypatch.setattr(command, "evaluate_round", round_)
    run_loop("--every", "300")
    assert asked[0]["gap"] == timedelta(seconds=150) and asked[0]["spread"] == 150
    assert asked[0]["now"] is None  # each chunk stamped when judged
    bound_checks(org, framework, 2)
    gap = asked[0]["gap"]
    assert evaluate_round(now=NOW, gap=gap).evaluated == 2
    assert evaluate_round(now=NOW + timedelta(seconds=100), gap=gap).evaluated == 0
    assert evaluate_round(now=NOW + timedelta(seconds=300), gap=gap).evaluated == 2
