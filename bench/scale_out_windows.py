"""bench/scale_out.py's processes and windows: a manage.py command in its own process, the
listeners started and waited for, and the three windows (HTTP, MQTT, checks), each measured
once every process of its kind is ready, so that start-up is never counted as work."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench import breadth_report as report
from bench import scale_out_load as load

ROOT = Path(__file__).resolve().parent.parent


class Service:
    """A manage.py command in its own process, its output in a log file."""

    def __init__(self, work: Path, name: str, command: list[str], env: dict | None = None):
        self.name, self.log = name, work / f"{name}.log"
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        self.handle = open(self.log, "ab")  # noqa: SIM115 (the process's lifetime)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )

    def said(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")[self.offset :]

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()
        return self.process.returncode


def pids(running, kind: str) -> list[int]:
    return [s.process.pid for s in running if kind in s.name and s.process.poll() is None]


def add(sent: dict, stats: dict) -> None:
    for index, (ok, failed, last, _) in stats.items():
        entry = sent[index]
        entry[0] += ok
        entry[1] += failed
        entry[2] = max(entry[2], last)


class sampled:
    """CPU seconds per process group over a window, into out["cpu"][name] (with its wall)."""

    def __init__(self, out, name, groups, window):
        self.out, self.name, self.groups = out, name, groups
        self.sampler = report.CpuSampler(groups, every=min(5.0, window / 4))

    def __enter__(self):
        self.sampler.start()
        self.started = time.monotonic()

    def __exit__(self, *exc):
        cpu = self.sampler.stop()
        self.out["cpu"][self.name] = (cpu, time.monotonic() - self.started)


def start_listeners(state, label: str, ids: list[str], wait: bool = True) -> list[Service]:
    """The listeners of these client ids, once each has subscribed (INFO logs say so)."""
    services = []
    for n, client_id in enumerate(ids):
        service = Service(
            state["work"],
            f"{label}-listener-{n}",
            ["telemetry_listen", "--client-id", client_id],
            env={"LOG_LEVEL": "INFO"},
        )
        state["running"].append(service)
        services.append(service)
    deadline = time.monotonic() + 120
    while wait and not all(s.said("mqtt: subscribed to") for s in services):
        if time.monotonic() > deadline or any(s.process.poll() is not None for s in services):
            raise SystemExit("a listener did not subscribe")
        time.sleep(0.2)
    return services


def http_window(state, servers, window: float) -> dict:
    """Closed-loop HTTP clients for `window` s over the instances; values acknowledged / s."""
    args = state["args"]
    devices = [d for d in state["devices"] if d.transport == "http" and d.index % 10 != 9]
    ports = [s.port for s in servers]
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    end = time.monotonic() + window
    base_ns = time.time_ns()
    per = args.clients // 2
    processes = [
        ctx.Process(
            target=load.http_saturate,
            args=(
                devices[p::2],
                ports[p % len(ports) :] + ports[: p % len(ports)],
                per,
                args.batch,
                end,
                base_ns,
                results,
                f"http{p}",
            ),
        )
        for p in range(2)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    found = [results.get(timeout=window + 180) for _ in processes]
    for process in processes:
        process.join()
    wall = time.monotonic() - started
    ok = refused = requests = 0
    cpu = 0.0
    for _, stats, seconds, count in found:
        add(state["sent"], stats)
        ok += sum(e[0] for e in stats.values())
        refused += sum(e[1] for e in stats.values())
        cpu += seconds
        requests += count
    return {
        "values": ok,
        "refused": refused,
        "requests": requests,
        "wall": wall,
        "rate": ok / wall,
        "client_cpu": cpu,
    }


def mqtt_window(state, label: str, ids: list[str], window: float) -> dict:
    """The listeners resume their sessions and drain the backlog: messages stored / s from the
    moment all of them are connected, for `window` s or until the backlog is drained."""
    expected = state["args"].backlog
    base = load.points_stored()
    listeners = start_listeners(state, label, ids, wait=False)
    ready = time.monotonic() + 120
    while not all(s.said("(session resumed)") for s in listeners):
        if time.monotonic() > ready or any(s.process.poll() is not None for s in listeners):
            raise SystemExit("a listener did not resume its session")
        time.sleep(0.1)
    cpu = sum(report.process_seconds(s.process.pid) for s in listeners)
    started, early = time.monotonic(), load.points_stored()
    end = started + window
    now, count = started, early
    while now < end and count < base + 3 * expected:
        time.sleep(0.5)
        if any(s.process.poll() is not None for s in listeners):
            raise SystemExit("a listener exited")
        now, count = time.monotonic(), load.points_stored()
    drained, seconds = (count - early) // 3, now - started
    cpu = sum(report.process_seconds(s.process.pid) for s in listeners) - cpu
    # Outside the measure: the rest of the backlog, before the checks' window.
    deadline = time.monotonic() + 300
    while load.points_stored() < base + 3 * expected and time.monotonic() < deadline:
        time.sleep(1.0)
    return {
        "messages": drained,
        "seconds": seconds,
        "rate": drained / max(seconds, 1e-9),
        "before": (early - base) // 3,
        "cpu": cpu,
        "all": (load.points_stored() - base) // 3,
    }


def quiet(label: str, still: float = 35, most: float = 300) -> None:
    """Until no new health event for `still` s (more than a health pass), at most `most` s: the
    integrations of the HTTP and MQTT windows go down together once their data stops, and
    the health loops' thousands of changes and emails would take the cores from the
    evaluators (a third of a core in the checks window, differently in each configuration)."""
    from integration.models import HealthEvent

    started = changed = time.monotonic()
    count = HealthEvent.objects.count()
    while time.monotonic() - started < most and time.monotonic() - changed < still:
        time.sleep(2.0)
        now = HealthEvent.objects.count()  # an event's `at` is its pass's start: counted
        if now != count:
            count, changed = now, time.monotonic()
    print(f"{label} of each: health loops quiet after {time.monotonic() - started:.0f} s",
          flush=True)  # fmt: skip


def checks_window(state, label: str, k: int, window: float) -> dict:
    """(Call `quiet` first.) The evaluators start with every check judged just now (their
    first round judges none but races for the drift), then every bound check is made due,
    and again (--rearm) every 0.25 s those judged since (`continuous`) or only once all are
    judged (`all`): evaluations / s over `window` s."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from assessments.models.verification import CheckBinding, ProcessCheck

    bound = ProcessCheck.objects.filter(
        Exists(CheckBinding.objects.filter(process_check=OuterRef("pk")))
    )
    if not bound.exists():
        raise SystemExit("no bound checks to judge")
    bound.update(evaluated=timezone.now())
    evaluators = [
        Service(
            state["work"], f"{label}-evaluator-{j}", ["evaluate_checks", "--loop", "--every", "1"]
        )
        for j in range(k)
    ]
    state["running"].extend(evaluators)
    ready = time.monotonic() + 120
    while not all(s.said("checks judged") for s in evaluators):
        if time.monotonic() > ready or any(s.process.poll() is not None for s in evaluators):
            raise SystemExit("an evaluator did not start")
        time.sleep(0.2)
    cpu = sum(report.process_seconds(s.process.pid) for s in evaluators)
    started = time.monotonic()
    end = started + window
    judged = rounds = 0
    if state["args"].rearm == "continuous":
        total = bound.update(evaluated=None)
        while time.monotonic() < end:
            time.sleep(0.25)
            # Those judged since are due again at once (a chunk not yet committed is still
            # NULL here, caught by a later sweep): no evaluator waits for another's last chunk.
            judged += bound.filter(evaluated__isnull=False).update(evaluated=None)
        judged += bound.filter(evaluated__isnull=False).count()
        rounds = judged // total
    else:  # "all": due again only once all are judged
        while time.monotonic() < end:
            total = bound.update(evaluated=None)
            left = total
            while left and time.monotonic() < end:
                time.sleep(0.25)
                left = bound.filter(evaluated__isnull=True).count()
            judged += total - left
            rounds += not left
    wall = time.monotonic() - started
    cpu = sum(report.process_seconds(s.process.pid) for s in evaluators) - cpu
    return {
        "cpu": cpu,
        "evaluations": judged,
        "rounds": rounds,
        "checks": total,
        "wall": wall,
        "rate": judged / wall,
    }
