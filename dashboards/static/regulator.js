// The regulator's pages: the dashboard's charts (Chart.js), drawn from each canvas's
// data-series JSON, and redrawn whenever htmx swaps the live part in (every few seconds).
(function () {
  "use strict";

  var BAR = "#2563eb";
  var SEVERITY = { critical: "#7f1d1d", high: "#dc2626", medium: "#d97706", low: "#94a3b8" };
  var RATE = "#16a34a";
  var CUMULATIVE = "#0f172a";

  function base(extra) {
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    };
    Object.keys(extra || {}).forEach(function (key) { options[key] = extra[key]; });
    return options;
  }

  function config(kind, series) {
    if (kind === "severity") {
      return {
        type: "bar",
        data: { labels: series.labels, datasets: [{ label: "Alerts", data: series.values,
          backgroundColor: series.labels.map(function (s) { return SEVERITY[s] || BAR; }) }] },
        options: base()
      };
    }
    if (kind === "time") {
      return {
        type: "line",
        data: { labels: series.labels, datasets: [{ label: "Alerts", data: series.values,
          borderColor: BAR, backgroundColor: BAR, tension: 0.2 }] },
        options: base()
      };
    }
    if (kind === "rate") {
      return {
        type: "line",
        data: { labels: series.labels, datasets: [
          { label: "That week", data: series.values, borderColor: RATE, backgroundColor: RATE },
          { label: "All decisions so far", data: series.cumulative, borderColor: CUMULATIVE,
            backgroundColor: CUMULATIVE, borderDash: [4, 3] }
        ] },
        options: base({
          plugins: { legend: { display: true, position: "bottom" } },
          scales: { y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + " %"; } } } }
        })
      };
    }
    return {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: "Alerts", data: series.values,
        backgroundColor: BAR, borderRadius: 4, maxBarThickness: 36 }] },
      options: base()
    };
  }

  function draw(canvas) {
    if (typeof Chart === "undefined" || Chart.getChart(canvas)) {
      return;
    }
    new Chart(canvas, config(canvas.dataset.chart, JSON.parse(canvas.dataset.series)));
  }

  function drawAll(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  function status(text) {
    document.getElementById("connection-status").textContent = text;
  }

  if (typeof htmx === "undefined") {
    document.addEventListener("DOMContentLoaded", function () {
      status("The page's scripts are missing (run npm ci); the page will not refresh itself.");
    });
    return;
  }
  htmx.onLoad(drawAll);
  document.body.addEventListener("htmx:sendError", function () {
    status("The service cannot be reached; the alerts shown may be out of date.");
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.failed || event.detail.xhr.status) { status(""); }
  });
  document.body.addEventListener("htmx:beforeCleanupElement", function (event) {
    var element = event.detail.elt;
    if (element.tagName === "CANVAS" && typeof Chart !== "undefined") {
      var chart = Chart.getChart(element);
      if (chart) { chart.destroy(); }
    }
  });
})();
