"""Plotly figure dicts from rows: `{"data", "layout", "config"}` for `static/js/charts.js`.

Every number a chart shows is formatted by `scoring.format_figure`, never by Plotly, so the
hover text matches the table and the PDF.
"""
