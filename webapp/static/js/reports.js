// Reports: charts (Chart.js), the step heatmap on the process diagram (bpmn-js), the print button.
// Data comes from <script type="application/json" id="report-data"> and data- attributes: no inline script.
(function () {
  "use strict";

  var PALETTE = ["#0f766e", "#f59e0b", "#e5484d", "#3b82f6", "#8b5cf6", "#64748b", "#14b8a6"];

  function readData() {
    var node = document.getElementById("report-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function hasValues(list) {
    return (list || []).some(function (v) { return v !== null && v !== undefined && v !== 0; });
  }

  function noData(canvas, text) {
    var box = canvas.parentNode;
    var note = document.createElement("div");
    note.className = "chart-empty";
    note.textContent = text;
    box.appendChild(note);
  }

  function chart(id, config, empty, text) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    if (empty) {
      noData(canvas, text.no_data);
      return;
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    // eslint-disable-next-line no-new
    new window.Chart(canvas, config);
  }

  function drawCharts(data) {
    if (!window.Chart) return;
    var t = data.text;
    var trends = data.trends;
    var v = trends.values;
    chart("chart-satisfaction", {
      type: "line",
      data: {
        labels: trends.months,
        datasets: [
          { label: t.csat, data: v.csat, borderColor: PALETTE[0], backgroundColor: PALETTE[0], spanGaps: true, yAxisID: "y" },
          { label: t.nps, data: v.nps, borderColor: PALETTE[1], backgroundColor: PALETTE[1], spanGaps: true, yAxisID: "y" }
        ]
      },
      options: { scales: { y: { suggestedMin: 0, suggestedMax: 100 } } }
    }, !hasValues(v.csat) && !hasValues(v.nps), t);
    chart("chart-complaints", {
      type: "bar",
      data: {
        labels: trends.months,
        datasets: [
          { type: "bar", label: t.complaints, data: v.complaints, backgroundColor: PALETTE[2], yAxisID: "y" },
          { type: "line", label: t.plan_rejection_rate, data: v.plan_rejection_rate, borderColor: PALETTE[3],
            backgroundColor: PALETTE[3], spanGaps: true, yAxisID: "y1" }
        ]
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } },
                           y1: { position: "right", beginAtZero: true, suggestedMax: 100, grid: { drawOnChartArea: false } } } }
    }, !hasValues(v.complaints) && !hasValues(v.plan_rejection_rate), t);
    var cycle = data.cycle;
    chart("chart-cycle", {
      type: "bar",
      data: {
        labels: cycle.labels,
        datasets: [
          { label: t.waiting, data: cycle.waiting, backgroundColor: PALETTE[1], stack: "median" },
          { label: t.working, data: cycle.working, backgroundColor: PALETTE[0], stack: "median" },
          { label: t.p90, data: cycle.p90, backgroundColor: "rgba(100,116,139,.35)", stack: "p90" }
        ]
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true } } }
    }, !cycle.labels.length, t);
    chart("chart-topics", {
      type: "doughnut",
      data: { labels: data.topics.labels, datasets: [{ data: data.topics.values, backgroundColor: PALETTE }] },
      options: { plugins: { legend: { position: "right" } } }
    }, !hasValues(data.topics.values), t);
    var tiers = data.tiers;
    chart("chart-tiers", {
      type: "bar",
      data: { labels: ["A", "B", "C"],
              datasets: [{ label: t.customers, data: [tiers.A || 0, tiers.B || 0, tiers.C || 0],
                           backgroundColor: [PALETTE[1], PALETTE[3], PALETTE[5]] }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    }, !hasValues([tiers.A, tiers.B, tiers.C]), t);
  }

  function drawHeatDiagram() {
    var box = document.getElementById("heat-diagram");
    if (!box || !window.BpmnJS || !window.fetch) return;
    var steps;
    try {
      steps = JSON.parse(box.getAttribute("data-heat") || "[]");
    } catch (e) {
      return;
    }
    box.hidden = false;
    var viewer = new window.BpmnJS({ container: box });
    fetch(box.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var overlays = viewer.get("overlays");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        steps.forEach(function (step) {
          if (!registry.get(step.id)) return;
          if (step.level) canvas.addMarker(step.id, "heat-shape-" + step.level);
          if (step.count) {
            var badge = document.createElement("div");
            badge.className = "heat-badge";
            badge.textContent = step.median + " · p90 " + step.p90;
            overlays.add(step.id, { position: { bottom: 4, left: 4 }, html: badge });
          }
        });
      })
      .catch(function () { box.hidden = true; });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof Element && target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var data = readData();
    if (data) drawCharts(data);
    drawHeatDiagram();
  });
})();
