// CourseReel page glue: toasts from HX-Trigger events, charts from data-* attributes.
(function () {
  "use strict";

  function toast(text, level) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "success");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }
  window.courseReelToast = toast;

  // <button data-copy="#field" data-copied="…">: copy the field's value (API token, link).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    if (!field) return;
    field.select();
    var done = function () { toast(button.dataset.copied || "Copied", "success"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("showMessage", function (event) {
    var detail = event.detail || {};
    toast(detail.text || detail.value, detail.level);
  });

  // htmx does not swap 4xx replies by default; show their message instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr.getResponseHeader("X-Error-Message");
    toast(text ? decodeURIComponent(text) : "Request failed (" + xhr.status + ")", "error");
  });

  var charts = new WeakMap();

  function numbers(value) {
    return JSON.parse(value || "[]");
  }

  function buildChart(canvas) {
    if (!window.Chart) return;
    if (charts.has(canvas)) charts.get(canvas).destroy();
    var spec = JSON.parse(canvas.dataset.chart);
    var chart = new window.Chart(canvas, {
      type: spec.type || "line",
      data: { labels: spec.labels, datasets: spec.datasets },
      options: Object.assign({
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: { y: { beginAtZero: true } }
      }, spec.options || {})
    });
    charts.set(canvas, chart);
  }

  function initCharts(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(buildChart);
  }

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initCharts(event.target); });
  window.courseReelNumbers = numbers;
})();
