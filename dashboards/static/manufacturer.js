// The manufacturer page's own script: custody charts (Chart.js) and error answers for htmx.
// Loaded after htmx and Chart.js (both from /static/vendor, installed by npm ci).
(function () {
  "use strict";

  var HELD = "#2563eb";
  var MOVING = "#d97706";
  var TICK_CHARACTERS = 24; // the table under the chart has the full names

  function shortLabel(label) {
    return label.length > TICK_CHARACTERS ? label.slice(0, TICK_CHARACTERS - 1) + "…" : label;
  }

  function drawCustody(canvas) {
    if (typeof Chart === "undefined" || Chart.getChart(canvas)) {
      return;
    }
    var data = JSON.parse(canvas.dataset.custody);
    // One bar per custodian: give the chart the height its bars need (CSSOM, allowed by the CSP).
    canvas.parentElement.style.height = (36 + 30 * data.labels.length) + "px";
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: "Units",
          data: data.quantities,
          backgroundColor: data.inTransit.map(function (moving) { return moving ? MOVING : HELD; }),
          borderRadius: 4,
          maxBarThickness: 22
        }]
      },
      options: {
        indexAxis: "y",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { ticks: { callback: function (value) { return shortLabel(this.getLabelForValue(value)); } } }
        }
      }
    });
  }

  function drawAll(root) {
    root.querySelectorAll("canvas[data-custody]").forEach(drawCustody);
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // A JSON error (the body-size limit, a malformed path) is shown like the page's own errors.
  function jsonErrorAsHtml(event) {
    var xhr = event.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (xhr.status < 400 || type.indexOf("application/json") !== 0) {
      return;
    }
    var body;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (e) {
      body = { code: "HTTP_" + xhr.status, message: xhr.statusText };
    }
    event.detail.shouldSwap = true;
    event.detail.serverResponse =
      '<div class="alert alert-error" role="alert"><p><strong class="code">' +
      escapeHtml(String(body.code || "ERROR")) + "</strong> " +
      escapeHtml(String(body.message || "")) + "</p></div>";
  }

  function connectionLost() {
    document.getElementById("connection-status").textContent =
      "The service cannot be reached. Check the connection and try again.";
  }

  function connectionBack() {
    document.getElementById("connection-status").textContent = "";
  }

  if (typeof htmx === "undefined") {
    document.addEventListener("DOMContentLoaded", function () {
      document.getElementById("connection-status").textContent =
        "The page's scripts are missing (run npm ci); forms will not work.";
    });
    return;
  }
  htmx.onLoad(drawAll);
  document.body.addEventListener("htmx:beforeSwap", jsonErrorAsHtml);
  document.body.addEventListener("htmx:sendError", connectionLost);
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.failed || event.detail.xhr.status) { connectionBack(); }
  });
  document.body.addEventListener("htmx:beforeCleanupElement", function (event) {
    var element = event.detail.elt;
    if (element.tagName === "CANVAS" && typeof Chart !== "undefined") {
      var chart = Chart.getChart(element);
      if (chart) { chart.destroy(); }
    }
  });
})();
