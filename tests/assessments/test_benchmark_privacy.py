"""Trying to solve back for a stranger's value from everything a reader sees, and failing.

For each pool size (5, 6, 7, 9 strangers) and the reader's own organisation at the top, the
bottom and in the middle, we look for two sets of strangers' values that give the reader
exactly the same output (every shown field) while some stranger's value differs between them.
Since the strangers are anonymous, "some stranger's value" is the sorted position: if two
sorted stranger sets differ at every position and still look the same, no position (hence no
individual) can be pinned from what is shown."""

import itertools
import random

import pytest

from assessments import benchmarks
from assessments.benchmarks import summarise

OWN = {"top": 3.9, "bottom": 0.1, "middle": None}  # middle: the strangers' median itself


def seen(strangers, own):
    """Everything the reader sees: every field of the summary, the count, their own value."""
    values = [*strangers, own]
    return summarise(values, known=1, own=own), len(values)


def nudged(strangers, delta):
    """The same strangers, each moved by a different small amount inside its rounding step."""
    return sorted(v + delta * (i + 1) for i, v in enumerate(sorted(strangers)))


@pytest.mark.parametrize("n", [5, 6, 7, 9])
@pytest.mark.parametrize("where", ["top", "bottom", "middle"])
def test_no_stranger_value_can_be_solved_back(n, where):
    rng = random.Random(n * 7 + len(where))
    strangers = sorted(round(rng.uniform(0.6, 3.4), 3) for _ in range(n))
    middle = (strangers[n // 2 - 1] + strangers[n // 2]) / 2  # between two strangers
    own = OWN[where] if OWN[where] is not None else middle
    others = [nudged(strangers, d) for d in (0.001, -0.001, 0.002, -0.002, 0.004, -0.004)]
    same = [o for o in others if seen(o, own) == seen(strangers, own)]
    assert same, "every other pool nearby looks different"
    # every sorted position (the highest, the lowest, each quartile's) differs
    assert all(a != b for a, b in zip(strangers, same[0], strict=True))


@pytest.mark.parametrize("n", [5, 6, 7, 9])
def test_the_old_attacks_no_longer_work(n):
    """The review's equations (n = 5: highest = 3 * top - median - Q3, n = 7: 3 * top - 2 * Q3,
    Q1/median/Q3 as order statistics) need the quartiles and the top quartile: none is shown."""
    values = [float(v) for v in range(n)]
    summary = summarise([*values, 4.0], known=1, own=4.0)
    assert (summary.q1, summary.q3, summary.top_quartile, summary.percentile) == (None,) * 4
    assert summary.median % benchmarks.STEP == 0  # never an exact order statistic


def test_any_shown_median_has_many_pools_behind_it():
    """Over a grid of five strangers' values, each shown output comes from several different
    sorted pools, and no pool's highest (or lowest) value is fixed by the output."""
    grid = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.1, 3.2]
    outputs = {}
    for pool in itertools.combinations_with_replacement(grid, 5):
        outputs.setdefault(seen(pool, 4.0), set()).add(pool)
    for pools in outputs.values():
        assert len(pools) >= 2
        assert len({p[-1] for p in pools}) >= 2 or len({p[0] for p in pools}) >= 2
