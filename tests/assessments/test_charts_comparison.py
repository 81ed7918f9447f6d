"""Comparing two assessments' hand-built figures: matched rows, rankings and the bars."""

import datetime

import pytest

from assessments import scoring
from assessments.charts.palette import IT_COLOUR, OT_COLOUR
from assessments.charts.plotly.comparison import dimension_comparison, process_comparison
from assessments.charts.rows import ChangeRow, comparison
from tests.assessments.chart_figures import dimension, figures, process, question

# --- Comparison ------------------------------------------------------------------------------


@pytest.fixture
def before_after():
    before = figures(
        [
            process(1, "Press line", 1, target=3),
            process(2, "Stock counts", 2),
            process(3, "Ledger", 3),
            process(4, "Old kiosk", 1),
        ],
        [
            dimension("connectivity", "Connectivity", [question("c", [1], [2])]),
            dimension("security", "Security", [question("s", [2], [2])]),
            dimension("people", "People", [question("p", [2], [2])]),
        ],
        title="Baseline",
        on=datetime.date(2025, 10, 1),
    )
    after = figures(
        [
            process(2, "Stock counts (renamed)", 1),
            process(1, "Press line", 3, target=3),
            process(3, "Ledger", 3),
            process(5, "Dispatch", 2),
        ],
        [
            dimension("connectivity", "Connectivity", [question("c", [3], [1])]),
            dimension("security", "Security", [question("s", [2], [3])]),
            dimension("people", "People", excluded="Not this time"),
        ],
        title="Current",
        on=datetime.date(2026, 1, 15),
    )
    return before, after


def test_comparison_matches_processes_by_id(before_after):
    result = comparison(*before_after)
    assert [(r.key, r.name, r.before, r.after, r.delta) for r in result.processes] == [
        ("process:1", "Press line", 1, 3, 2.0),
        ("process:2", "Stock counts (renamed)", 2, 1, -1.0),
        ("process:3", "Ledger", 3, 3, 0.0),
        ("process:4", "Old kiosk", 1, None, None),
        ("process:5", "Dispatch", None, 2, None),
    ]
    assert result.before_label == "Baseline (01 Oct 2025)"
    assert result.after_label == "Current (15 Jan 2026)"


def test_comparison_matches_dimensions_by_key_for_it_and_ot(before_after):
    result = comparison(*before_after)
    by_key = {d.key: d for d in result.dimensions}
    assert (by_key["connectivity"].it.delta, by_key["connectivity"].ot.delta) == (2.0, -1.0)
    assert (by_key["security"].it.delta, by_key["security"].ot.delta) == (0.0, 1.0)
    assert by_key["people"].it.after is None and by_key["people"].it.delta is None


def test_comparison_ranks_most_improved_and_most_concerning(before_after):
    result = comparison(*before_after)
    assert [(r.key, r.delta) for r in result.improved] == [
        ("it:connectivity", 2.0),  # ties by key
        ("process:1", 2.0),
        ("ot:security", 1.0),
    ]
    assert [(r.key, r.delta) for r in result.concerning] == [
        ("ot:connectivity", -1.0),
        ("process:2", -1.0),
    ]


def test_comparison_keeps_only_five_each(before_after):
    before = figures([process(i, f"P{i}", 0) for i in range(1, 9)])
    after = figures([process(i, f"P{i}", 1) for i in range(1, 9)])
    assert len(comparison(before, after).improved) == 5


def test_comparison_headline_knows_a_smaller_gap_is_better(before_after):
    result = comparison(*before_after)
    headline = {r.key: r for r in result.headline}
    assert headline["samr_index"].before == pytest.approx(7 / 4)
    assert headline["samr_index"].after == pytest.approx(9 / 4)
    assert headline["samr_index"].trend == "better"
    gap = headline["convergence_gap"]
    assert (gap.before, gap.after) == (pytest.approx(1 / 3), 1.5)  # mean |IT - OT|
    assert gap.trend == "worse"  # the gap grew


@pytest.mark.parametrize(
    "before,after,places,shown,trend",
    [
        (1, 3, 0, "+2", "better"),
        (2.5, 2.25, 2, "−0.25", "worse"),
        (2, 2, 0, "0", "same"),
        (None, 2, 0, "–", "same"),
    ],
)
def test_change_shows_a_signed_delta(before, after, places, shown, trend):
    (change,) = scoring.compare({"k": before}, {"k": after})
    row_ = ChangeRow("k", "K", "SAMR level", before, after, change.delta, places)
    assert (row_.delta_display, row_.trend) == (shown, trend)


def test_comparison_bars_group_before_and_after(before_after):
    result = comparison(*before_after)
    processes = process_comparison(result)
    before, after = processes["data"]
    assert (before["name"], after["name"]) == (result.before_label, result.after_label)
    assert before["y"] == [
        "Press line",
        "Stock counts (renamed)",
        "Ledger",
        "Old kiosk",
        "Dispatch",
    ]
    assert (before["x"], after["x"]) == ([1, 2, 3, 1, None], [3, 1, 3, None, 2])
    assert processes["layout"]["barmode"] == "group"

    dimensions = dimension_comparison(result)
    names = [t["name"] for t in dimensions["data"]]
    assert names == [
        "IT · Baseline (01 Oct 2025)",
        "IT · Current (15 Jan 2026)",
        "OT · Baseline (01 Oct 2025)",
        "OT · Current (15 Jan 2026)",
    ]
    assert dimensions["data"][1]["marker"]["color"] == IT_COLOUR
    assert dimensions["data"][3]["marker"]["color"] == OT_COLOUR
    assert dimensions["data"][1]["x"] == [3.0, 2.0, None]
