"""Chart dicts from hand-built figures: no database, just rows in and Plotly figures out."""

import datetime
import re
from pathlib import Path
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest

from assessments import charts, scoring
from assessments.charts import (
    GAP_TINT,
    IT_COLOUR,
    LEVEL_COLOURS,
    OT_COLOUR,
    ChangeRow,
    DimensionRow,
    ProcessRow,
    SpreadRow,
)
from assessments.figures import (
    AssessmentFigures,
    CriterionResult,
    DimensionResult,
    ProcessResult,
    QuestionResult,
)
from assessments.framework import default_framework
from assessments.scoring import NO_AGREEMENT, Status

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "ladder.css"


# --- Hand-built figures ----------------------------------------------------------------------


def criterion(key, statuses, agreed=NO_AGREEMENT, text="A criterion"):
    settled = scoring.settle([Status(s) for s in statuses], agreed)
    answers = [SimpleNamespace(status=s) for s in statuses]
    return CriterionResult(SimpleNamespace(key=key, text=text), settled, answers, None)


def process(pk, name, current, target=None, value=3, levels=None):
    return ProcessResult(
        score=SimpleNamespace(process=SimpleNamespace(pk=pk, name=name, business_value=value)),
        levels=levels or {},
        current=current,
        target=target,
        gap=scoring.gap(current=current, target=target),
        gap_weight=scoring.gap_weight(current=current, target=target),
        blockers=[],
    )


def question(key, it, ot, agreed=None, text="A question"):
    """it/ot: each assessor's answers; agreed: {side: value} settled by the facilitator."""
    agreed = agreed or {}
    sides = {
        side: scoring.settle(values, agreed.get(side, NO_AGREEMENT))
        for side, values in (("it", it), ("ot", ot))
    }
    answers = {
        side: [SimpleNamespace(value=v) for v in values]
        for side, values in (("it", it), ("ot", ot))
    }
    return QuestionResult(SimpleNamespace(key=key, text=text), sides, answers, {})


def dimension(key, name, questions=(), excluded=None):
    figures = scoring.dimension_readiness(
        key=key,
        it=[q.sides["it"].value for q in questions if q.sides["it"].counts],
        ot=[q.sides["ot"].value for q in questions if q.sides["ot"].counts],
        in_scope=excluded is None,
    )
    return DimensionResult(SimpleNamespace(key=key, name=name), figures, list(questions), excluded)


def figures(processes=(), dimensions=(), title="Q1", on=datetime.date(2026, 1, 15)):
    pf = [
        scoring.ProcessFigures(
            str(p.process.pk), p.process.name, p.process.business_value, p.current, p.target
        )
        for p in processes
    ]
    df = [d.figures for d in dimensions]
    assessment = SimpleNamespace(
        title=title, assessed_on=on, framework=SimpleNamespace(definition=default_framework())
    )
    return AssessmentFigures(
        assessment=assessment,
        processes=list(processes),
        dimensions=list(dimensions),
        samr_index=scoring.samr_index(pf),
        target_index=scoring.target_index(pf),
        distribution=scoring.level_distribution(pf),
        overall_readiness=scoring.overall_readiness(df),
        convergence_gap=scoring.convergence_gap(df),
    )


def row(name, current, target=None, value=3, key=None):
    return ProcessRow(
        key=key or name,
        name=name,
        business_value=value,
        current=current,
        target=target,
        gap=scoring.gap(current=current, target=target),
        gap_weight=scoring.gap_weight(current=current, target=target),
    )


def trace(figure, name):
    return next(t for t in figure["data"] if t.get("name") == name)


def assert_valid_plotly(figure):
    """Plotly's own schema (the same plotly.js version as static/vendor) accepts the figure."""
    go.Figure(data=figure["data"], layout=figure["layout"])


# --- Palette ---------------------------------------------------------------------------------


def test_level_colours_are_the_stylesheets_level_colours():
    css = CSS.read_text()
    in_css = {int(n): c.lower() for n, c in re.findall(r"--level-(\d):\s*(#[0-9a-fA-F]{6})", css)}
    assert in_css == LEVEL_COLOURS


def test_it_and_ot_have_their_own_colours():
    assert IT_COLOUR != OT_COLOUR
    assert {IT_COLOUR, OT_COLOUR}.isdisjoint(LEVEL_COLOURS.values())


def test_every_figure_has_a_clean_config_and_the_pages_font():
    figure = charts.gap_bars([row("Press line", 1, 3)])
    assert figure["config"]["displaylogo"] is False
    assert figure["config"]["responsive"] is True
    assert figure["layout"]["font"]["family"].startswith("system-ui")


# --- Rows from figures -----------------------------------------------------------------------


def test_process_rows_keep_the_figures_numbers_and_level_names():
    f = figures([process(7, "Press line", 2, target=4, value=5), process(9, "Stock counts", 1)])
    rows = charts.process_rows(f)
    assert [(r.key, r.name, r.current, r.target, r.gap, r.gap_weight) for r in rows] == [
        ("7", "Press line", 2, 4, 2, 8),
        ("9", "Stock counts", 1, None, 0, 0),
    ]
    assert rows[0].current_label == "2 Augmentation"
    assert (rows[0].current_name, rows[1].target_name) == ("Augmentation", "–")
    assert rows[0].target_label == "4 Redefinition"
    assert rows[1].target_label == "–"


def test_dimension_rows_carry_it_ot_and_out_of_scope_reason():
    f = figures(
        dimensions=[
            dimension("connectivity", "Connectivity", [question("c1", [3], [1])]),
            dimension("security", "Security", excluded="Handled by group IT"),
        ]
    )
    connectivity, security = charts.dimension_rows(f)
    assert (connectivity.it, connectivity.ot, connectivity.gap) == (3, 1, 2)
    assert connectivity.it_display == "3.00"
    assert not security.in_scope and security.excluded_reason == "Handled by group IT"


def test_spread_rows_list_only_differences_disputed_first():
    settled = criterion("c-settled", ["fully", "not"], agreed=Status.LARGELY)
    disputed = criterion("c-disputed", ["fully", "partial", "na"])
    same = criterion("c-same", ["fully", "fully"])
    press = process(1, "Press line", 0, levels={1: [settled, same], 2: [disputed]})
    connectivity = dimension(
        "connectivity",
        "Connectivity",
        [question("q1", it=[2, 4], ot=[1, 1]), question("q2", it=[3, 3], ot=[0, None])],
    )
    out = dimension("security", "Security", [question("q3", [0, 4], [0, 4])], excluded="No")
    rows = charts.spread_rows(figures([press], [connectivity, out]))
    assert [(r.label, r.disputed) for r in rows] == [
        ("Press line · L2.1", True),  # disputed, range 2
        ("Connectivity · Q1 · IT", True),  # disputed, range 2
        ("Connectivity · Q2 · OT", True),  # disputed, range 0 (one said N/A)
        ("Press line · L1.1", False),  # settled by the facilitator
    ]
    l21, q1, q2, l11 = rows
    assert (l21.values, l21.na, l21.low, l21.high) == ((3, 1), 1, 1, 3)
    assert l21.answers_display == "Fully ×1 · Partially ×1 · N/A ×1"
    assert (q2.values, q2.na) == ((0,), 1)
    assert (l11.agreed, l11.agreed_display) == (2, "Largely")
    assert q1.agreed_display == "disputed"


# --- Dashboard charts ------------------------------------------------------------------------


def test_heatmap_fills_reached_levels_and_the_climb_to_target():
    rows = [row("Press line", 2, target=4), row("Stock counts", 0), row("Ledger", 3, target=1)]
    figure = charts.samr_heatmap(rows)
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
    figure = charts.samr_heatmap([row("Press line", 2, target=4), row("Stock counts", 0)])
    current = trace(figure, "Current level")
    assert list(zip(current["y"], current["x"], strict=True)) == [
        ("Press line", "2 Augmentation"),
        ("Stock counts", "0 Manual"),
    ]
    target = trace(figure, "Target level")
    assert (target["y"], target["x"]) == (["Press line"], ["4 Redefinition"])


def test_heatmap_uses_the_frameworks_level_names():
    names = ("Paper", "Digital", "Live", "Joined", "Predictive")
    assert charts.samr_heatmap([row("P", 1)], names)["data"][0]["x"][1] == "1 Digital"


def test_radar_has_it_and_ot_traces_over_dimensions_in_scope():
    dimensions = [
        DimensionRow("connectivity", "Connectivity", 3.0, 1.0, 2.0, 2.0),
        DimensionRow("security", "Security", 13 / 6, None, 13 / 6, None),
        DimensionRow("people", "People", None, None, None, None, excluded_reason="Later"),
    ]
    figure = charts.readiness_radar(dimensions)
    it, ot = figure["data"]
    assert (it["name"], ot["name"]) == ("IT", "OT")
    assert (it["line"]["color"], ot["line"]["color"]) == (IT_COLOUR, OT_COLOUR)
    assert it["theta"] == ["Connectivity", "Security", "Connectivity"]  # closed, People left out
    assert it["r"] == [3.0, 13 / 6, 3.0]
    assert ot["r"] == [1.0, None, 1.0]
    assert "IT readiness: 2.17" in it["hovertext"][1]  # format_figure, not Plotly's rounding
    assert figure["layout"]["polar"]["radialaxis"]["range"] == [0, 4]


def test_gap_bars_are_sorted_by_weight_then_value_then_name():
    rows = [
        row("Stock counts", 1, target=2, value=5),
        row("Press line", 0, target=3, value=1),
        row("Ledger", 1, target=2, value=5),
        row("Dispatch", 2, target=2),
        row("Energy", 1),
    ]
    bars = charts.gap_bars(rows)["data"][0]
    assert bars["y"] == ["Press line", "Ledger", "Stock counts", "Dispatch", "Energy"]
    assert bars["x"] == [15, 3, 3, 0, 0]
    assert bars["text"] == ["0 → 3", "1 → 2", "1 → 2", "on target", "no target"]


def test_spread_chart_draws_ranges_answers_and_the_answer_that_counts():
    rows = [
        SpreadRow("a", "Press · L1.1", "x", "criteria", (3, 1, 3), 0, None, True),
        SpreadRow("b", "Press · L1.2", "x", "criteria", (0, 2), 1, 2, False),
        SpreadRow("c", "Connectivity · Q1 · IT", "x", "readiness", (1, 4), 0, None, True),
    ]
    figure = charts.assessor_spread(rows, scale="criteria")
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

    readiness = charts.assessor_spread(rows, scale="readiness")
    assert trace(readiness, "Still disputed")["y"] == ["Connectivity · Q1 · IT"]
    assert readiness["layout"]["xaxis"]["tickvals"] == [0, 1, 2, 3, 4]  # no N/A, no column
    with pytest.raises(ValueError):
        charts.assessor_spread(rows, scale="samr")


def test_user_text_cannot_become_plotly_markup():
    figure = charts.samr_heatmap([row("<b>R&D</b> line", 1)])
    assert figure["data"][0]["y"] == ["&lt;b&gt;R&amp;D&lt;/b&gt; line"]


def test_dashboard_bundles_rows_and_leaves_out_charts_without_data():
    empty = charts.dashboard(figures(dimensions=[dimension("c", "Connectivity")]))
    assert empty.charts == {
        "heatmap": None,
        "radar": None,  # in scope but nothing answered yet
        "gaps": None,
        "spread_criteria": None,
        "spread_readiness": None,
    }
    full = charts.dashboard(
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
    result = charts.comparison(
        figures([process(1, "Press line", 1)], [dimension("c", "Conn", [question("q", [1], [1])])]),
        figures([process(1, "Press line", 2)], [dimension("c", "Conn", [question("q", [2], [0])])]),
    )
    for figure in (
        charts.samr_heatmap(rows),
        charts.readiness_radar(dims),
        charts.gap_bars(rows),
        charts.assessor_spread(spread, scale="criteria"),
        charts.assessor_spread(spread, scale="readiness"),
        charts.process_comparison(result),
        charts.dimension_comparison(result),
    ):
        assert_valid_plotly(figure)


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
    result = charts.comparison(*before_after)
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
    result = charts.comparison(*before_after)
    by_key = {d.key: d for d in result.dimensions}
    assert (by_key["connectivity"].it.delta, by_key["connectivity"].ot.delta) == (2.0, -1.0)
    assert (by_key["security"].it.delta, by_key["security"].ot.delta) == (0.0, 1.0)
    assert by_key["people"].it.after is None and by_key["people"].it.delta is None


def test_comparison_ranks_most_improved_and_most_concerning(before_after):
    result = charts.comparison(*before_after)
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
    assert len(charts.comparison(before, after).improved) == 5


def test_comparison_headline_knows_a_smaller_gap_is_better(before_after):
    result = charts.comparison(*before_after)
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
    result = charts.comparison(*before_after)
    processes = charts.process_comparison(result)
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

    dimensions = charts.dimension_comparison(result)
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
