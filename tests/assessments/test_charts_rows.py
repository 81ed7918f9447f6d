"""Chart palette and the rows charts are drawn from: no database, hand-built figures in."""

import re
from pathlib import Path

from assessments.charts.palette import IT_COLOUR, LEVEL_COLOURS, OT_COLOUR
from assessments.charts.plotly.assessment import gap_bars
from assessments.charts.rows import dimension_rows, process_rows, spread_rows
from assessments.scoring import Status
from tests.assessments.chart_figures import criterion, dimension, figures, process, question, row

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "ladder.css"


# --- Palette ---------------------------------------------------------------------------------


def test_level_colours_are_the_stylesheets_level_colours():
    css = CSS.read_text()
    in_css = {int(n): c.lower() for n, c in re.findall(r"--level-(\d):\s*(#[0-9a-fA-F]{6})", css)}
    assert in_css == LEVEL_COLOURS


def test_it_and_ot_have_their_own_colours():
    assert IT_COLOUR != OT_COLOUR
    assert {IT_COLOUR, OT_COLOUR}.isdisjoint(LEVEL_COLOURS.values())


def test_every_figure_has_a_clean_config_and_the_pages_font():
    figure = gap_bars([row("Press line", 1, 3)])
    assert figure["config"]["displaylogo"] is False
    assert figure["config"]["responsive"] is True
    assert figure["config"]["showSendToCloud"] is False  # no "Share chart" to Chart Studio
    assert figure["layout"]["font"]["family"].startswith("system-ui")


# --- Rows from figures -----------------------------------------------------------------------


def test_process_rows_keep_the_figures_numbers_and_level_names():
    f = figures([process(7, "Press line", 2, target=4, value=5), process(9, "Stock counts", 1)])
    rows = process_rows(f)
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
    connectivity, security = dimension_rows(f)
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
    rows = spread_rows(figures([press], [connectivity, out]))
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
