"""Vector charts for the PDF: the page's rows and palette drawn as inline SVG, without a browser.

Hand-built markup rather than matplotlib: a chart here is a few dozen shapes, written in well
under a millisecond, where matplotlib's SVG backend takes ~40 ms per chart and adds a large
dependency (bench/report.py measures ours; docs/BENCHMARKS.md has the numbers). Every chart
takes the same plain rows as the Plotly figures (`assessments.charts.rows`) and returns a
`SafeString`; every text in it is escaped. Sizes are CSS pixels; the PDF scales them to fit.

`draw` holds the canvas and text fitting; `assessment`, `comparison` and `roadmap` the charts.
"""

from assessments.charts.svg.assessment import gap_bars, readiness_radar, samr_heatmap
from assessments.charts.svg.comparison import (
    Series,
    dimension_comparison,
    grouped_bars,
    process_comparison,
)
from assessments.charts.svg.draw import CHAR_WIDTH, FONT, Canvas, fit
from assessments.charts.svg.roadmap import (
    STATUS_COLOURS,
    STATUS_NAMES,
    TimelinePhase,
    TimelineRow,
    sparkline,
    timeline,
)

__all__ = [
    "CHAR_WIDTH",
    "FONT",
    "STATUS_COLOURS",
    "STATUS_NAMES",
    "Canvas",
    "Series",
    "TimelinePhase",
    "TimelineRow",
    "dimension_comparison",
    "fit",
    "gap_bars",
    "grouped_bars",
    "process_comparison",
    "readiness_radar",
    "samr_heatmap",
    "sparkline",
    "timeline",
]
