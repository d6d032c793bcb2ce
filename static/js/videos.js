// Pipeline board: drag a card to another column to move it. The server decides; the board
// re-fetches itself on the pipelineChanged event either way, so a refused move leaves the
// card where it was (app.js shows the X-Error-Message toast).
(function () {
  "use strict";

  var dragged = null;

  function column(target) {
    return target && target.closest ? target.closest(".kanban-col[data-status]") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".kanban-col.drop-target").forEach(function (el) {
      el.classList.remove("drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".vcard[data-move-url]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.videoId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var col = column(event.target);
    if (!dragged || !col) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!col.classList.contains("drop-target")) {
      clearTargets();
      col.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var col = column(event.target);
    if (!dragged || !col) return;
    event.preventDefault();
    clearTargets();
    var card = dragged;
    dragged = null;
    if (col.dataset.status === card.dataset.status) return;
    card.classList.add("moving");
    window.htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: card,
      swap: "none",
      values: { status: col.dataset.status }
    }).finally(function () { card.classList.remove("moving"); });
  });
})();
