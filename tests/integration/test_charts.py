"""The telemetry chart's figure dicts: user-named metrics stay plain text in Plotly."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from integration.charts import SeriesChart, series_figure

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LINK = '<a href="https://evil.example">x</a>'


def chart(step, *, unit=LINK, **bounds):
    if step == "raw":
        rows = [(START + timedelta(minutes=i), 1.5) for i in range(3)]
    else:
        rows = [(START + timedelta(minutes=i), 4, 1.0, 2.0, 1.5) for i in range(3)]
    return SeriesChart(
        metric=LINK,
        unit=unit,
        step=step,
        rows=rows,
        start=START,
        end=START + timedelta(hours=1),
        gap=timedelta(hours=1),
        **bounds,
    )


# Plotly renders <a href>, <b>, <br> and a few more tags in its labels, hover texts included.
@pytest.mark.parametrize("step", ["raw", "1m"])
@pytest.mark.parametrize("low,high", [(None, None), (1.0, None), (None, 2.0), (1.0, 2.0)])
def test_a_metric_unit_with_markup_gives_labels_without_it(step, low, high):
    figure = series_figure(chart(step, expected_min=low, expected_max=high))
    text = json.dumps(figure)
    assert "<a" not in text
    assert "&lt;a href=" in text  # shown as the text the user typed


def test_a_metric_name_with_markup_titles_the_axis_as_text():
    figure = series_figure(chart("raw", unit=""))
    title = figure["layout"]["yaxis"]["title"]["text"]
    assert title == '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'


def test_the_mode_bar_offers_no_share_to_chart_studio():
    config = series_figure(chart("raw"))["config"]
    assert config["showSendToCloud"] is False
    assert config["displaylogo"] is False


@pytest.mark.parametrize("unit,shown", [("mm/s", " mm/s"), ("", ""), ("<b>", " &lt;b&gt;")])
def test_hover_texts_give_each_value_to_four_figures_and_the_unit(unit, shown):
    rollups = SeriesChart(
        metric="rms",
        unit=unit,
        step="1m",
        rows=[
            (START, 1, 0.123456, 1234567.0, 2 / 3),
            (START + timedelta(minutes=1), 3, -1e-7, 0, 5),
        ],
        start=START,
        end=START + timedelta(hours=1),
        gap=timedelta(hours=1),
    )
    (line,) = [trace for trace in series_figure(rollups)["data"] if trace["name"] == "average"]
    assert line["text"] == [
        f"avg 0.6667{shown}<br>min 0.1235{shown} · max 1.235e+06{shown}<br>1 point",
        f"avg 5{shown}<br>min -1e-07{shown} · max 0{shown}<br>3 points",
    ]
    (raw,) = [t for t in series_figure(chart("raw", unit=unit))["data"] if t["name"] == "value"]
    assert raw["text"] == [f"1.5{shown}"] * 3
