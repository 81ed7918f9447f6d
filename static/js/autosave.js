/* Autosaving forms ([data-autosave]): each one's state says what the server did, never more.
 *
 * The form posts itself with htmx on change; its hx-target is its state element, and the
 * answer swaps in the state, each field's error slot and every figure that depends on the
 * answer (out of band). This file only adds what htmx does not do by itself:
 * - while a save is under way the state says "Saving…" (an earlier "Saved" is gone);
 * - a refused value (400) is swapped like a success: the server's answer carries the errors;
 * - any other failure (a final assessment, a server error, no connection) says "Not saved";
 * - a field whose error slot (its aria-describedby) has text is marked aria-invalid.
 * The forms carry novalidate: the server judges every value, so nothing stays unsent.
 *
 * "Save and next" ([data-save-and-next]) leaves the page only once every save under way has
 * finished and none was refused; otherwise it stays and moves the focus to the refused field.
 * The current step of the way through the assessment is scrolled into view in its list.
 */
(function () {
  "use strict";

  function autosaving(event) {
    var element = event.detail && event.detail.elt;
    return element && element.closest ? element.closest("[data-autosave]") : null;
  }

  function say(form, className, text) {
    var state = document.querySelector(form.getAttribute("hx-target"));
    if (!state) {
      return;
    }
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    state.replaceChildren(span);
  }

  function markInvalid(form) {
    form.querySelectorAll("[aria-describedby]").forEach(function (field) {
      var slot = document.getElementById(field.getAttribute("aria-describedby"));
      if (slot && slot.textContent.trim()) {
        field.setAttribute("aria-invalid", "true");
      } else {
        field.removeAttribute("aria-invalid");
      }
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = autosaving(event);
    if (form) {
      say(form, "saving", "Saving…");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (autosaving(event) && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var form = autosaving(event);
    if (form) {
      markInvalid(form);
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var form = autosaving(event);
    if (form) {
      var why = event.detail.xhr.status === 409 ? "the assessment is final" : "the server refused it";
      say(form, "field-error", "Not saved: " + why + ". Reload the page and try again.");
    }
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = autosaving(event);
    if (form) {
      say(form, "field-error", "Not saved: the server could not be reached. Try again.");
    }
  });

  function saving() {
    return document.querySelector("[data-autosave].htmx-request, [data-autosave] .htmx-request");
  }

  function refused() {
    return document.querySelector("[data-autosave] [aria-invalid=true]");
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-save-and-next]");
    if (!link) {
      return;
    }
    event.preventDefault();
    if (document.activeElement && document.activeElement.blur) {
      document.activeElement.blur(); // a text field being typed in saves on change
    }
    var waited = 0;
    (function leaveWhenSaved() {
      if (saving() && waited < 10000) {
        waited += 50;
        window.setTimeout(leaveWhenSaved, 50);
        return;
      }
      var field = refused();
      if (field || saving()) {
        (field || link).focus();
        return;
      }
      window.location.assign(link.href);
    })();
  });

  function showCurrentStep() {
    var nav = document.getElementById("scoring-steps");
    var current = nav && nav.querySelector("[aria-current=page]");
    if (current) {
      nav.scrollLeft = current.offsetLeft - nav.clientWidth / 2 + current.offsetWidth / 2;
      nav.scrollTop = current.offsetTop - nav.clientHeight / 2;
    }
  }
  document.addEventListener("DOMContentLoaded", showCurrentStep);
  document.addEventListener("htmx:afterSettle", showCurrentStep); // the list is sent again by each save
})();
