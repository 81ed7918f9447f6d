/* The milestone board: drag a card to another column to change its status.
 *
 * Dragging only sets the card's status <select> and fires its change event; htmx then posts the
 * form and swaps the board, exactly as when the select is used by keyboard. Cards the user
 * may not move have no select and are not draggable. No inline script: fine under a strict CSP.
 */
(function () {
  "use strict";

  var dragged = null;

  function column(target) {
    return target && target.closest ? target.closest("[data-status-column]") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".drop-target").forEach(function (el) {
      el.classList.remove("drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-card][draggable=true]");
    if (!card) {
      return;
    }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var target = column(event.target);
    if (!dragged || !target) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains("drop-target")) {
      clearTargets();
      target.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var target = column(event.target);
    if (!dragged || !target) {
      return;
    }
    event.preventDefault();
    clearTargets();
    var select = dragged.querySelector("select[name=status]");
    var status = target.dataset.statusColumn;
    if (select && select.value !== status) {
      select.value = status;
      target.querySelector(".board-cards").appendChild(dragged);
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    dragged = null;
  });
})();
