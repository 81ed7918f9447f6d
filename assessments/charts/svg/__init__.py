"""Vector charts for the PDF: the page's rows and palette drawn as inline SVG, without a browser.

Hand-built markup rather than matplotlib: a chart here is a few dozen shapes, written in well
under a millisecond, where matplotlib's SVG backend takes ~40 ms per chart and adds a large
dependency (bench/report.py measures ours; docs/BENCHMARKS.md has the numbers). Every chart
takes the same plain rows as the Plotly figures (`assessments.charts.rows`) and returns a
`SafeString`; every text in it is escaped. Sizes are CSS pixels; the PDF scales them to fit.

`draw` holds the canvas and text wrapping (a label is never cut); `assessment`, `comparison`
and `roadmap` the charts.
"""
