"""Charts of assessments: plain rows from the figures, then figures for the page.

Two steps, so the page (Plotly in the browser) and the PDF (SVG) draw the same numbers in the
same colours: `palette` holds the colours and fonts; `rows` reads `AssessmentFigures` into plain
rows (`*_rows()`, `comparison()`); `plotly` turns rows into the `{"data", "layout", "config"}`
dicts that `static/js/charts.js` hands to `Plotly.newPlot`. Rows and palette know nothing of
Plotly.
"""
