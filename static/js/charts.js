/* Draw every <div data-chart="ID"> with the Plotly figure in <script id="ID" type="application/json">.
 *
 * The figures are built on the server (assessments/charts.py) and embedded with Django's
 * json_script filter, so pages need no inline script and work under a strict
 * Content-Security-Policy. Content swapped in by htmx is drawn too.
 */
(function () {
  "use strict";

  function draw(element) {
    if (element.dataset.chartDrawn === "true" || typeof window.Plotly === "undefined") {
      return;
    }
    var source = document.getElementById(element.dataset.chart);
    if (!source) {
      return;
    }
    var figure;
    try {
      figure = JSON.parse(source.textContent);
    } catch (error) {
      element.textContent = "This chart could not be drawn; the table below has the same figures.";
      return;
    }
    element.dataset.chartDrawn = "true";
    window.Plotly.newPlot(element, figure.data, figure.layout, figure.config || {});
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-chart]")) {
      draw(scope);
    }
    scope.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.detail.elt); });
})();
