"""Charts of telemetry: rows from `telemetry_series` turned into Plotly figure dicts.

`static/js/charts.js` hands each `{"data", "layout", "config"}` dict to `Plotly.newPlot`. The
palette and fonts match the assessment charts (the same hex values as `static/css/ladder.css`);
nothing is imported from `assessments`, which sits above this app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

# --- Palette ----------------------------------------------------------------------------------

LINE_COLOUR = "#2b6cb0"
BAND_COLOUR = "rgba(43,108,176,0.16)"
EXPECTED_COLOUR = "#1e7a46"  # --ok
EXPECTED_TINT = "rgba(30,122,70,0.07)"
INK = "#1b2430"
MUTED = "#5b6676"
GRID = "#dde3ea"
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,  # Plotly's "Share chart" button sends it to Chart Studio: no use here
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "svg"},
}

# Windows the detail page offers: how far back, and the step that keeps the rows few.
WINDOWS = {
    "1h": (timedelta(hours=1), "raw"),
    "24h": (timedelta(hours=24), "1m"),
    "7d": (timedelta(days=7), "1h"),
    "30d": (timedelta(days=30), "1h"),
}
WINDOW_LABELS = {"1h": "1 hour", "24h": "24 hours", "7d": "7 days", "30d": "30 days"}
STEP_WIDTH = {"raw": timedelta(0), "1m": timedelta(minutes=1), "1h": timedelta(hours=1)}
STEP_LABELS = {"raw": "every point", "1m": "per minute", "1h": "per hour"}


@dataclass(frozen=True)
class SeriesChart:
    """What one chart draws: a metric's rows over a window."""

    metric: str
    unit: str
    step: str
    rows: Sequence[tuple]  # as telemetry_series returns them
    start: datetime
    end: datetime
    # Data missing for longer than this breaks the line, so an outage shows as a gap.
    gap: timedelta
    expected_min: float | None = None
    expected_max: float | None = None


def _time(ts: datetime) -> str:
    # Plotly ignores time zones: send wall-clock time in the site's zone, named on the axis.
    return timezone.localtime(ts).strftime("%Y-%m-%d %H:%M:%S")


def local_times(stamps: Sequence[datetime]) -> list[str]:
    """`_time` of each of `stamps`, in bulk: the zone looked up once and each converted in C
    (a 24-hour chart has 1,440 of them; `localtime` + `strftime` one by one cost ~6 µs each).
    The same text as `_time` for years 1000 to 9999, across DST changes too."""
    zone = timezone.get_current_timezone()
    return [ts.astimezone(zone).isoformat(" ", "seconds")[:19] for ts in stamps]


def plain(text: str) -> str:
    """Text for Plotly, which reads a few HTML-like tags: user text must not become markup.

    The assessment charts use it too: this app sits below `assessments`, so it lives here."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: float, unit: str) -> str:
    """A value and its unit as Plotly label text (the unit is the user's)."""
    text = f"{value:.4g}"
    return f"{text} {plain(unit)}" if unit else text


def series_figure(chart: SeriesChart) -> dict:
    """A line of the values (raw) or of the averages with a min-max band (rollups)."""
    x, y, hover = [], [], []
    band_x, band_y = [], []  # one closed polygon per run of data without a gap
    segment: list[tuple] = []
    previous = None
    # Each row's time formatted once: the line and both edges of the band share it.
    times = local_times([row[0] for row in chart.rows])
    unit = f" {plain(chart.unit)}" if chart.unit else ""  # as `_number` adds it

    def close_band():
        if segment:
            band_x.extend([t for t, _ in segment] + [t for t, _ in segment[::-1]])
            band_y.extend([r[3] for _, r in segment] + [r[2] for _, r in segment[::-1]])
            band_x.append(None)
            band_y.append(None)
            segment.clear()

    for row, text in zip(chart.rows, times, strict=True):
        ts = row[0]
        if previous is not None and ts - previous > chart.gap:
            # None breaks the line: Plotly does not join across it.
            x.append(None)
            y.append(None)
            hover.append(None)
            close_band()
        previous = ts
        x.append(text)
        if chart.step == "raw":
            value = row[1]
            y.append(value)
            hover.append(f"{value:.4g}{unit}")
        else:
            _, count, minimum, maximum, average = row
            segment.append((text, row))
            y.append(average)
            hover.append(  # `_number` of each, inline: a 24-hour chart made 4,300 calls
                f"avg {average:.4g}{unit}<br>min {minimum:.4g}{unit} · max {maximum:.4g}{unit}"
                f"<br>{count} point{'s' if count != 1 else ''}"
            )
    close_band()
    data = []
    if chart.step != "raw":
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "min to max",
                "x": band_x,
                "y": band_y,
                # toself closes each run between gaps on its own; tonexty would bridge them.
                "fill": "toself",
                "fillcolor": BAND_COLOUR,
                "line": {"width": 0},
                "hoverinfo": "skip",
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "lines+markers" if len(chart.rows) <= 120 else "lines",
            "name": "value" if chart.step == "raw" else "average",
            "x": x,
            "y": y,
            "text": hover,
            "hovertemplate": "%{x}<br>%{text}<extra></extra>",
            "line": {"color": LINE_COLOUR, "width": 2},
            "marker": {"color": LINE_COLOUR, "size": 4},
            "connectgaps": False,
        }
    )
    zone = timezone.get_current_timezone_name()
    layout = {
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}, "bgcolor": "#ffffff"},
        "margin": {"l": 10, "r": 20, "t": 10, "b": 40},
        "autosize": True,
        "height": 320,
        "showlegend": chart.step != "raw",
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        "hovermode": "x unified" if chart.step == "raw" else "closest",
        "xaxis": {
            "type": "date",
            "range": [_time(chart.start), _time(chart.end)],
            "gridcolor": GRID,
            "linecolor": GRID,
            "title": {"text": f"Time ({zone})", "font": {"color": MUTED, "size": 12}},
            "automargin": True,
        },
        "yaxis": {
            "gridcolor": GRID,
            "zerolinecolor": GRID,
            "title": {
                "text": plain(chart.unit or chart.metric),
                "font": {"color": MUTED, "size": 12},
            },
            "ticklabelstandoff": 6,
            "automargin": True,
        },
        "shapes": _expected_shapes(chart),
    }
    return {"data": data, "layout": layout, "config": dict(CONFIG)}


def _expected_shapes(chart: SeriesChart) -> list[dict]:
    """The expected range: a tinted band, or a dashed line when only one bound is set."""
    low, high = chart.expected_min, chart.expected_max
    base = {"xref": "paper", "x0": 0, "x1": 1, "yref": "y", "layer": "below"}
    if low is not None and high is not None:
        return [
            {
                **base,
                "type": "rect",
                "y0": low,
                "y1": high,
                "fillcolor": EXPECTED_TINT,
                "line": {"width": 0},
                "label": {
                    "text": f"expected {_number(low, chart.unit)} to {_number(high, chart.unit)}",
                    "textposition": "top right",
                    "font": {"color": EXPECTED_COLOUR, "size": 11},
                },
            }
        ]
    line = {"color": EXPECTED_COLOUR, "width": 1, "dash": "dash"}
    return [
        {
            **base,
            "type": "line",
            "y0": bound,
            "y1": bound,
            "line": line,
            "label": {
                "text": f"expected {name} {_number(bound, chart.unit)}",
                "textposition": "end",
                "yanchor": "bottom" if name == "max" else "top",
                "font": {"color": EXPECTED_COLOUR, "size": 11},
            },
        }
        for name, bound in (("min", low), ("max", high))
        if bound is not None
    ]
