"""What every Plotly figure shares: the `{"data", "layout", "config"}` shape, the page's font,
traces whose hover text is ours, and the axes."""

from collections.abc import Sequence

from assessments.charts.palette import CONFIG, FONT_FAMILY, GRID, INK, MUTED

HOVER = "%{hovertext}<extra></extra>"  # our own formatted text, without Plotly's trace box


def figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout, "config": dict(CONFIG)}


def base_layout(**overrides) -> dict:
    margin = {"l": 10, "r": 20, "t": 30, "b": 40, **overrides.pop("margin", {})}
    layout = {
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}, "bgcolor": "#ffffff"},
        "margin": margin,
        "autosize": True,
    }
    layout.update(overrides)
    return layout


def bars(name: str, *, y: list, x: list, hovertext: list[str], **style) -> dict:
    """Horizontal bars, one per category on the y axis."""
    return {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "y": y,
        "x": x,
        **style,
        "hovertext": hovertext,
        "hovertemplate": HOVER,
    }


def markers(name: str, *, x: list, y: list, marker: dict, hovertext: list[str]) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": x,
        "y": y,
        "marker": marker,
        "hovertext": hovertext,
        "hovertemplate": HOVER,
    }


def category_axis(**overrides) -> dict:
    """The axis listing the rows, first row on top as in the tables."""
    axis = {
        "type": "category",
        "autorange": "reversed",
        "automargin": True,
        "fixedrange": True,
        "ticklabelstandoff": 8,
    }
    return axis | overrides


def value_axis(
    span: list[float],
    tickvals: Sequence[int],
    *,
    title: str | None = None,
    ticktext: Sequence[str] | None = None,
) -> dict:
    axis = {
        "range": span,
        "tickvals": list(tickvals),
        "gridcolor": GRID,
        "zeroline": False,
        "fixedrange": True,
    }
    if title:
        axis["title"] = {"text": title, "font": {"color": MUTED, "size": 12}}
    if ticktext:
        axis["ticktext"] = list(ticktext)
    return axis


def legend(*, y: float, yanchor: str) -> dict:
    return {"orientation": "h", "x": 0, "xanchor": "left", "y": y, "yanchor": yanchor}
