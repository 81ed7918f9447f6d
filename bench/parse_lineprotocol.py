"""Line protocol parsing alone, in process: points per second, and against another parser.

    .venv/bin/python bench/parse_lineprotocol.py
    .venv/bin/python bench/parse_lineprotocol.py --compare /tmp/before/lineprotocol.py

Bodies of 20,000 points: one-field lines of 10 series (the commonest shape, the inline fast
path), Telegraf-like `cpu` lines of 5 fields and 2 tags, and lines with escapes (the scanner).
Each body is parsed --rounds times in turn with this tree's parser and, with --compare, a copy
of `integration/lineprotocol.py` from elsewhere. The figure is the fastest run in CPU time (the
least disturbed by other load), garbage collection left out. Absolute rates drift with the
machine; compare the ratio. A benchmark, never a test.
"""

import argparse
import gc
import importlib.util
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integration import lineprotocol  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BASE_NS = int(NOW.timestamp()) * 10**9 - 86400 * 10**9


def one_field(points: int) -> str:
    return "\n".join(
        f"vibration,line=3,sensor=s{i % 10} rms={i * 0.001:.3f} {BASE_NS + (i // 10) * 10**9}"
        for i in range(points)
    )


def telegraf(points: int) -> str:
    return "\n".join(
        f"cpu,cpu=cpu{i % 4},host=plc-{i % 3} usage_user={i % 97 * 0.5},usage_system=1.25,"
        f"usage_idle=97.5,usage_iowait=3i,usage_steal=0u {BASE_NS + i * 10**9}"
        for i in range(points // 5)
    )


def escaped(points: int) -> str:
    return "\n".join(
        f'line\\ 3,sensor=s\\,{i % 10} rms={i * 0.001:.3f},note="ok \\"x\\"" {BASE_NS + i * 10**6}'
        for i in range(points)
    )


BODIES = {"one field, 10 series": one_field, "telegraf cpu, 5 fields": telegraf}
BODIES["escapes and a string"] = escaped


def load(path: Path):
    spec = importlib.util.spec_from_file_location("lineprotocol_compared", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--compare", type=Path, help="another lineprotocol.py to time alike")
    args = parser.parse_args()
    parsers = {"this tree": lineprotocol.parse}
    if args.compare:
        parsers["compared"] = load(args.compare).parse
    for label, make in BODIES.items():
        body = make(args.points)
        times = {name: [] for name in parsers}
        for _ in range(args.rounds):
            for name, parse in parsers.items():  # interleaved, so load drifts hit both alike
                points = None
                gc.collect()
                gc.disable()  # collections depend on what ran before: left out of both
                started = time.process_time()
                points = parse(body, precision="ns", now=NOW)
                times[name].append(time.process_time() - started)
                gc.enable()
        rates = {name: len(points) / min(ts) for name, ts in times.items()}
        shown = "  ".join(f"{name}: {rate:>10,.0f} points/s" for name, rate in rates.items())
        ratio = f"  ({rates['this tree'] / rates['compared']:.3f}x)" if args.compare else ""
        print(f"{label:<24} {shown}{ratio}")


if __name__ == "__main__":
    main()
