"""The dashboard's chart dicts from hand-built rows: heatmap, radar, gap bars, spread."""

from dataclasses import replace

import plotly.graph_objects as go
import pytest

from assessments.charts.palette import (
    GAP_TINT,
    IT_COLOUR,
    LEVEL_COLOURS,
    OT_COLOUR,
    UNVERIFIED_TINT,
)
from assessments.charts.plotly.assessment import (
    assessor_spread,
    dashboard,
    gap_bars,
    readiness_radar,
    samr_heatmap,
)
from assessments.charts.plotly.comparison import dimension_comparison, process_comparison
from assessments.charts.rows import DimensionRow, SpreadRow, comparison
from tests.assessments.chart_figures import criterion, dimension, figures, process, question, row


def trace(figure, name):
    return next(t for t in figure["data"] if t.get("name") == name)


def assert_valid_plotly(figure):
    """Plotly's own schema (the same plotly.js version as static/vendor) accepts the figure."""
    go.Figure(data=figure["data"], layout=figure["layout"])


# --- Dashboard charts ------------------------------------------------------------------------


def test_heatmap_fills_reached_levels_and_the_climb_to_target():
    rows = [row("Press line", 2, target=4), row("Stock counts", 0), row("Ledger", 3, target=1)]
    figure = samr_heatmap(rows)
    heat = figure["data"][0]
    assert heat["type"] == "heatmap"
    assert heat["y"] == ["Press line", "Stock counts", "Ledger"]
    assert heat["x"] == [
        "0 Manual",
        "1 Substitution",
        "2 Augmentation",
        "3 Modification",
        "4 Redefinition",
    ]
    # codes: level reached = its level, 5 = still to climb, 6 = beyond the target
    assert heat["z"] == [[0, 1, 2, 5, 5], [0, 6, 6, 6, 6], [0, 1, 2, 3, 6]]
    colours = [c for _, c in heat["colorscale"][::2]]
    assert colours[:5] == [LEVEL_COLOURS[lv] for lv in range(5)]
    assert colours[5] == GAP_TINT
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # first process on top


def test_heatmap_marks_current_and_target_levels():
    figure = samr_heatmap([row("Press line", 2, target=4), row("Stock counts", 0)])
    current = trace(figure, "Current level")
    assert list(zip(current["y"], current["x"], strict=True)) == [
        ("Press line", "2 Augmentation"),
        ("Stock counts", "0 Manual"),
    ]
    target = trace(figure, "Target level")
    assert (target["y"], target["x"]) == (["Press line"], ["4 Redefinition"])


def test_heatmap_marks_levels_claimed_above_the_verified_level_in_words():
    """Press line claims 3 with level 1 verified; Ledger claims 2, all verified; Stock counts'
    verified level is unknown (not recorded): it is drawn as claimed, without a mark."""
    rows = [
        replace(row("Press line", 3, target=4), verified=1),
        replace(row("Ledger", 2), verified=2),
        row("Stock counts", 1),
    ]
    figure = samr_heatmap(rows)
    heat = figure["data"][0]
    # code 7: claimed, not verified
    assert heat["z"] == [[0, 1, 7, 7, 5], [0, 1, 2, 6, 6], [0, 1, 6, 6, 6]]
    assert [c for _, c in heat["colorscale"][::2]][7] == UNVERIFIED_TINT
    marked = [[bool(t) for t in line] for line in heat["text"]]
    assert marked == [[False, False, True, True, False], [False] * 5, [False] * 5]
    assert "not verified" in heat["text"][0][2] and heat["texttemplate"] == "%{text}"
    assert "claimed, not verified (verified level 1)" in heat["hovertext"][0][3]
    legend = trace(figure, "Claimed, not verified")
    assert legend["marker"]["symbol"] == "square-x"  # a pattern in the legend, not colour alone
    assert_valid_plotly(figure)


def test_heatmap_without_claims_above_verified_has_no_such_legend():
    figure = samr_heatmap([replace(row("Ledger", 2), verified=2), row("Stock", 1)])
    assert not any(t.get("name") == "Claimed, not verified" for t in figure["data"])
    assert all(not t for line in figure["data"][0]["text"] for t in line)


def test_heatmap_uses_the_frameworks_level_names():
    names = ("Paper", "Digital", "Live", "Joined", "Predictive")
    assert samr_heatmap([row("P", 1)], names)["data"][0]["x"][1] == "1 Digital"


def test_radar_has_it_and_ot_traces_over_dimensions_in_scope():
    dimensions = [
        DimensionRow("connectivity", "Connectivity", 3.0, 1.0, 2.0, 2.0),
        DimensionRow("security", "Security", 13 / 6, None, 13 / 6, None),
        DimensionRow("people", "People", None, None, None, None, excluded_reason="Later"),
    ]
    figure = readiness_radar(dimensions)
    it, ot = figure["data"]
    assert (it["name"], ot["name"]) == ("IT", "OT")
    assert (it["line"]["color"], ot["line"]["color"]) == (IT_COLOUR, OT_COLOUR)
    assert it["theta"] == ["Connectivity", "Security", "Connectivity"]  # closed, People left out
    assert it["r"] == [3.0, 13 / 6, 3.0]
    assert ot["r"] == [1.0, None, 1.0]
    assert "IT readiness: 2.17" in it["hovertext"][1]  # format_figure, not Plotly's rounding
    assert figure["layout"]["polar"]["radialaxis"]["range"] == [0, 4]


def test_gap_bars_show_levels_to_climb_most_valuable_first():
    rows = [
        row("Stock counts", 1, target=2, value=5),
        row("Press line", 0, target=3, value=1),
        row("Ledger", 0, target=2, value=5),
        row("Dispatch", 2, target=2),
        row("Energy", 1),
    ]
    bars = gap_bars(rows)["data"][0]
    assert bars["y"] == ["Ledger", "Stock counts", "Dispatch", "Energy", "Press line"]
    assert bars["x"] == [2, 1, 0, 0, 3]
    assert bars["text"][:4] == ["2 levels: 0 → 2", "1 level: 1 → 2", "on target", "no target"]
    assert "business value 5" in bars["hovertext"][0]
    assert bars["width"][0] > bars["width"][-1]  # value 5 draws thicker than value 1
    assert gap_bars(rows)["layout"]["xaxis"]["tickvals"] == [0, 1, 2, 3, 4]


def test_spread_chart_draws_ranges_answers_and_the_answer_that_counts():
    rows = [
        SpreadRow("a", "Press · L1.1", "x", "criteria", (3, 1, 3), 0, None, True),
        SpreadRow("b", "Press · L1.2", "x", "criteria", (0, 2), 1, 2, False),
        SpreadRow("c", "Connectivity · Q1 · IT", "x", "readiness", (1, 4), 0, None, True),
    ]
    figure = assessor_spread(rows, scale="criteria")
    disputed = trace(figure, "Still disputed")
    assert (disputed["y"], disputed["base"], disputed["x"]) == (["Press · L1.1"], [1], [2])
    settled = trace(figure, "Settled by the facilitator")
    assert (settled["y"], settled["base"], settled["x"]) == (["Press · L1.2"], [0], [2])
    dots = trace(figure, "Assessors' answers")
    assert list(zip(dots["y"], dots["x"], dots["marker"]["size"], strict=True)) == [
        ("Press · L1.1", 1, 7),
        ("Press · L1.1", 3, 10),  # two assessors said fully: a bigger dot
        ("Press · L1.2", -1, 7),  # one said N/A: drawn in the N/A column
        ("Press · L1.2", 0, 7),
        ("Press · L1.2", 2, 7),
    ]
    agreed = trace(figure, "Answer that counts")
    assert (agreed["y"], agreed["x"]) == (["Press · L1.2"], [2])
    xaxis = figure["layout"]["xaxis"]
    assert xaxis["ticktext"] == ["N/A", "Not met", "Partially", "Largely", "Fully"]
    assert xaxis["tickvals"] == [-1, 0, 1, 2, 3]

    readiness = assessor_spread(rows, scale="readiness")
    assert trace(readiness, "Still disputed")["y"] == ["Connectivity · Q1 · IT"]
    assert readiness["layout"]["xaxis"]["tickvals"] == [0, 1, 2, 3, 4]  # no N/A, no column
    with pytest.raises(ValueError):
        assessor_spread(rows, scale="samr")


def test_user_text_cannot_become_plotly_markup():
    figure = samr_heatmap([row("<b>R&D</b> line", 1)])
    assert figure["data"][0]["y"] == ["&lt;b&gt;R&amp;D&lt;/b&gt; line"]


def test_dashboard_bundles_rows_and_leaves_out_charts_without_data():
    empty = dashboard(figures(dimensions=[dimension("c", "Connectivity")]))
    assert empty.charts == {
        "heatmap": None,
        "radar": None,  # in scope but nothing answered yet
        "gaps": None,
        "spread_criteria": None,
        "spread_readiness": None,
    }
    full = dashboard(
        figures(
            [process(1, "Press line", 1, target=2, levels={1: [criterion("k", ["not", "fully"])]})],
            [dimension("c", "Connectivity", [question("q", [1, 2], [3])])],
        )
    )
    assert all(full.charts.values())
    assert len(full.spread) == 2


def test_every_chart_is_valid_plotly():
    rows = [row("Press line", 2, target=4), row("Stock counts", 0)]
    dims = [DimensionRow("c", "Connectivity and data access", 3.0, 1.0, 2.0, 2.0)]
    spread = [
        SpreadRow("a", "Press · L1.1", "x", "criteria", (3, 1), 0, None, True),
        SpreadRow("c", "Conn · Q1 · IT", "x", "readiness", (1, 4), 0, 4, False),
    ]
    result = comparison(
        figures([process(1, "Press line", 1)], [dimension("c", "Conn", [question("q", [1], [1])])]),
        figures([process(1, "Press line", 2)], [dimension("c", "Conn", [question("q", [2], [0])])]),
    )
    for figure in (
        samr_heatmap(rows),
        readiness_radar(dims),
        gap_bars(rows),
        assessor_spread(spread, scale="criteria"),
        assessor_spread(spread, scale="readiness"),
        process_comparison(result),
        dimension_comparison(result),
    ):
        assert_valid_plotly(figure)
