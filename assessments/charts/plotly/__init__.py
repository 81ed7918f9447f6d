"""Plotly figure dicts from rows: `{"data", "layout", "config"}` for `static/js/charts.js`.

Every number a chart shows is formatted by `scoring.format_figure`, never by Plotly, so the
hover text matches the table and the PDF.
"""

from assessments.charts.plotly.assessment import (
    Dashboard,
    assessor_spread,
    dashboard,
    gap_bars,
    readiness_radar,
    samr_heatmap,
)
from assessments.charts.plotly.comparison import (
    Series,
    dimension_comparison,
    grouped_bars,
    process_comparison,
)

__all__ = [
    "Dashboard",
    "Series",
    "assessor_spread",
    "dashboard",
    "dimension_comparison",
    "gap_bars",
    "grouped_bars",
    "process_comparison",
    "readiness_radar",
    "samr_heatmap",
]
