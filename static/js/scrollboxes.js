/* A box that scrolls sideways (a wide table or chart on a phone, a long code sample) can be
 * reached with the keyboard and scrolled with the arrow keys (WCAG 2.1.1): while it overflows it
 * is a tab stop; when it fits again it is not, so a laptop's tab order has no empty stops.
 */
(function () {
  "use strict";
  var BOXES = ".table-scroll, .chart-frame, .dash-table-wrap, .dash-ranking-wrap, pre";

  function mark(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll(BOXES).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  }

  var pending = null;
  function markSoon() {
    clearTimeout(pending);
    pending = setTimeout(function () { mark(document); }, 150);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { mark(document); });
  } else {
    mark(document);
  }
  window.addEventListener("resize", markSoon);
  // Charts are drawn after load and htmx swaps in new content: look again once they settle.
  window.addEventListener("load", function () { mark(document); });
  document.addEventListener("htmx:afterSettle", markSoon);
})();
