/* Live parts of the integration pages, without inline scripts (a strict CSP stays possible).
 *
 * - Elements with [data-live] poll with htmx (hx-trigger="every 10s, live-refresh"). While the
 *   tab is hidden their requests are cancelled, so a background tab costs the server nothing;
 *   when it is shown again they refresh at once. Leaving the page removes them, and htmx stops
 *   polling an element that is no longer in the document.
 * - Buttons with [data-copy="ID"] copy the text of element ID (e.g. a new token) to the clipboard.
 */
(function () {
  "use strict";

  function visible() {
    return document.visibilityState === "visible";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.hasAttribute("data-live") && !visible()) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!visible() || typeof window.htmx === "undefined") {
      return;
    }
    document.querySelectorAll("[data-live]").forEach(function (element) {
      window.htmx.trigger(element, "live-refresh");
    });
  });

  function setUpCopy(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) {
      return; // the button stays hidden: select the text by hand
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select and copy by hand"; }
      );
    });
  }

  function ready() {
    document.querySelectorAll("[data-copy]").forEach(setUpCopy);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
