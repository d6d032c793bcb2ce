// Planner: open the post dialog after htmx fills it, close it on success, drag posts to move.
(function () {
  "use strict";
  var dragged = null;

  function dialog() { return document.getElementById("post-dialog"); }

  // Open on today: scroll the calendar so today's column sits just after the platform column
  // (the whole campaign stays reachable by scrolling back).
  function scrollToToday() {
    var wrap = document.querySelector(".planner-wrap");
    var today = wrap && wrap.querySelector("th[data-today]");
    var head = wrap && wrap.querySelector("th.rowhead, td.rowhead");
    scrollHint();
    if (!today || wrap.scrollWidth <= wrap.clientWidth) return;
    wrap.scrollLeft = Math.max(0, today.offsetLeft - (head ? head.offsetWidth : 0) - 124);
  }
  // Say so when the calendar is wider than its box (the days past the edge are easy to miss).
  function scrollHint() {
    var wrap = document.querySelector(".planner-wrap");
    var hint = document.querySelector("[data-scroll-hint]");
    if (hint) hint.hidden = !wrap || wrap.scrollWidth <= wrap.clientWidth;
  }
  document.addEventListener("htmx:afterSettle", scrollHint);
  window.addEventListener("resize", scrollHint);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scrollToToday);
  else scrollToToday();

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "dialog-body" && !dialog().open) dialog().showModal();
  });
  document.addEventListener("closeDialog", function () {
    if (dialog() && dialog().open) dialog().close();
  });

  document.addEventListener("dragstart", function (event) {
    var chip = event.target.closest && event.target.closest(".chip[draggable=true]");
    if (!chip) return;
    dragged = chip;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.post);
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
  document.addEventListener("dragover", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-drop-day]");
    if (!cell || !dragged) return;
    event.preventDefault();
    cell.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-drop-day]");
    if (cell) cell.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var cell = event.target.closest && event.target.closest("td[data-drop-day]");
    if (!cell || !dragged) return;
    event.preventDefault();
    cell.classList.remove("drop-target");
    var planner = document.getElementById("planner");
    // The server decides; on refusal nothing moved here, so the chip "snaps back" by itself.
    window.htmx.ajax("POST", planner.dataset.moveUrl + dragged.dataset.post + "/move/", {
      values: { day: cell.dataset.dropDay, platform: cell.dataset.dropPlatform },
      swap: "none"
    });
  });
})();
