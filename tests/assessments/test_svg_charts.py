"""The PDF's SVG charts: well-formed, escaped, drawn from the same rows and palette as the
page's Plotly charts, and cheap."""

import time
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from assessments.charts import palette
from assessments.charts.rows import ChangeRow, Comparison, DimensionChange, DimensionRow, ProcessRow
from assessments.charts.svg.assessment import gap_bars, readiness_radar, samr_heatmap
from assessments.charts.svg.comparison import dimension_comparison, process_comparison
from assessments.charts.svg.roadmap import (
    STATUS_COLOURS,
    TimelinePhase,
    TimelineRow,
    sparkline,
    timeline,
)
from tests.hostile_text import HOSTILE

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def process(name, current, target, value=3):
    gap = max((target or current) - current, 0)
    return ProcessRow(name, name, value, current, target, gap, (1 + gap) ** 2 - 1)


def dimension(name, it, ot, excluded=None):
    return DimensionRow(name, name, it, ot, None, None, excluded)


def texts(root) -> list[str]:
    return [t.text for t in root.iterfind(".//s:text", NS)]


def test_heatmap_colours_levels_reached_and_the_climb():
    root = parse(samr_heatmap([process("Press", 2, 4), process("Stock", 0, None)]))
    fills = [r.get("fill") for r in root.iterfind("s:rect", NS)]
    press, stock = fills[:5], fills[5:10]
    assert press == [
        *(palette.LEVEL_COLOURS[lv] for lv in (0, 1, 2)),
        palette.GAP_TINT,
        palette.GAP_TINT,
    ]
    assert stock == [palette.LEVEL_COLOURS[0]] + [palette.EMPTY_COLOUR] * 4
    rings = [c for c in root.iterfind("s:circle", NS) if c.get("stroke") == palette.GAP_COLOUR]
    assert len(rings) == 2  # Press's target and the legend's
    assert "0 Manual" in texts(root) and "Press" in texts(root)


def test_text_is_escaped():
    markup = str(gap_bars([process('<script>alert("x")</script> & co', 1, 3)]))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup and "&amp; co" in markup
    parse(markup)  # still well-formed


SVG_TAGS = {"svg", "rect", "line", "circle", "polygon", "polyline", "text"}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_text_in_every_chart(name):
    """draw.Canvas escapes every text it writes: its mark_safe is sound whatever the names."""
    rows = [process(name, 1, 3), process(name + " 2", 0, None)]
    dimensions = [dimension(name, 2, 1), dimension("Security", 3, 3)]
    for markup in (
        samr_heatmap(rows),
        gap_bars(rows),
        readiness_radar(dimensions),
    ):
        root = parse(markup)  # well-formed: nothing broke out of a text or an attribute
        tags = {element.tag.split("}")[1] for element in root.iter()}
        assert tags <= SVG_TAGS
        for element in root.iter():
            assert not [a for a in element.attrib if a.startswith(("on", "hx-", "href"))]
        assert squeezed(name) in squeezed("".join(texts(root)))  # whole, though wrapped


def squeezed(text: str) -> str:
    return "".join(text.split())


LONG = "Alignment with business goals and the quarterly planning of every site in the group"


@pytest.mark.parametrize(
    "chart",
    [
        lambda: samr_heatmap([process(LONG, 1, 2), process("Press", 2, 3)]),
        lambda: gap_bars([process(LONG, 1, 2), process("Press", 2, 3)]),
        lambda: readiness_radar(
            [dimension(LONG, 2, 1), dimension("B", 3, 3), dimension("C", 1, 1)]
        ),
        lambda: timeline(
            [TimelineRow(f"1. {LONG}", date(2026, 1, 1), date(2026, 2, 1), "planned")],
            [TimelinePhase("Now", date(2026, 1, 1), date(2026, 3, 31), "1.50")],
            date(2026, 1, 2),
        ),
    ],
)
def test_long_labels_wrap_onto_lines_and_nothing_is_cut(chart):
    lines = texts(parse(chart()))
    assert LONG in " ".join(lines)  # every word, on consecutive lines
    assert max(len(t) for t in lines) < len(LONG) - 20  # wrapped, not one long line
    assert not any("…" in t for t in lines)


def test_a_word_longer_than_a_line_is_broken_not_cut():
    lines = [t for t in texts(parse(samr_heatmap([process("A" * 120, 1, 2)]))) if "AAA" in t]
    assert "".join(lines) == "A" * 120 and len(lines) > 1


def test_radar_draws_it_and_ot_over_the_dimensions_in_scope():
    rows = [dimension(f"D{i}", 1 + i % 3, 2, None) for i in range(5)]
    rows.append(dimension("Out", None, None, "not asked"))
    root = parse(readiness_radar(rows))
    shapes = [p for p in root.iterfind("s:polygon", NS) if p.get("fill") != "none"]
    assert [p.get("fill") for p in shapes] == [palette.IT_COLOUR, palette.OT_COLOUR]
    assert all(len(p.get("points").split()) == 5 for p in shapes)
    assert "Out" not in texts(root)


def test_gap_bars_are_levels_to_climb_most_valuable_first():
    root = parse(
        gap_bars(
            [process("Small", 2, 3, value=5), process("Big", 0, 4, value=1), process("Done", 3, 3)]
        )
    )
    labels = [t for t in texts(root) if t in ("Small", "Big", "Done")]
    assert labels == ["Small", "Done", "Big"]
    assert "4 levels: 0 → 4 · value 1" in texts(root)
    assert "1 level: 2 → 3 · value 5" in texts(root) and "on target · value 3" in texts(root)
    assert [t for t in texts(root) if t in "01234"][:5] == ["0", "1", "2", "3", "4"]  # levels
    bars = [r for r in root.iterfind("s:rect", NS) if r.get("fill") == palette.GAP_COLOUR]
    small, _, big = (float(r.get("height")) for r in bars)
    assert small > big  # business value 5 draws thicker than value 1
    assert float(bars[2].get("width")) == 4 * float(bars[0].get("width"))  # 4 levels vs 1


def test_comparison_bars_say_every_value_and_a_dash_when_missing():
    rows = [
        ChangeRow("p", "Press", "SAMR level", 1, 3, 2, 0),
        ChangeRow("q", "New", "SAMR level", None, 2, None, 0),
    ]
    result = Comparison("Before", "After", palette.LEVEL_NAMES, [], rows, [], [], [])
    values = texts(parse(process_comparison(result)))
    assert [v for v in values if v in ("1", "3", "–", "2")][-4:] == ["1", "3", "–", "2"]
    dims = Comparison(
        "Before",
        "After",
        palette.LEVEL_NAMES,
        [],
        [],
        [
            DimensionChange(
                "c",
                "Connectivity",
                ChangeRow("it:c", "C", "IT", 1, 2, 1),
                ChangeRow("ot:c", "C", "OT", 2, 2, 0),
            )
        ],
        [],
        [],
    )
    assert "2.00" in texts(parse(dimension_comparison(dims)))


def test_sparkline_breaks_at_missing_hours():
    root = parse(sparkline([1, 2, None, 3, 4, None, None, 5]))
    assert len(root.findall("s:polyline", NS)) == 2  # [1, 2] and [3, 4]; 5 alone is a dot
    empty = parse(sparkline([]))
    assert empty.find("s:line", NS) is not None


def test_timeline_has_phases_bars_and_projection():
    phases = [
        TimelinePhase("Now", date(2026, 1, 1), date(2026, 3, 31), "1.50"),
        TimelinePhase("Next", date(2026, 4, 1), date(2026, 6, 29), "2.00"),
    ]
    rows = [
        TimelineRow("1. Segment", date(2026, 1, 1), date(2026, 2, 1), "done"),
        TimelineRow("2. Connect", date(2026, 4, 1), date(2026, 5, 1), "blocked", True),
    ]
    root = parse(timeline(rows, phases, date(2026, 2, 15)))
    assert "index → 1.50" in texts(root) and "today" in texts(root)
    fills = {r.get("fill") for r in root.iterfind("s:rect", NS)}
    assert STATUS_COLOURS["done"] in fills and STATUS_COLOURS["blocked"] in fills


def test_a_bar_chart_takes_well_under_a_millisecond():
    rows = [process(f"Process {i}", i % 4, 4) for i in range(12)]
    start = time.perf_counter()
    for _ in range(100):
        gap_bars(rows)
    assert (time.perf_counter() - start) / 100 < 0.005  # ~0.1 ms here; generous for slow CI
