// Shows a case's or process's BPMN diagram with bpmn-js (navigated viewer), read-only.
// A process page names the XML's URL (data-bpmn-url). A case page names a JSON block
// (data-state) holding the XML and where the case stands: element ids to colour and run counts.
(function () {
  "use strict";

  var MARKERS = [["completed", "tf-completed"], ["active", "tf-active"], ["error", "tf-error"]];

  function readState(container) {
    var id = container.getAttribute("data-state");
    var block = id ? document.getElementById(id) : null;
    if (!block) return null;
    try {
      return JSON.parse(block.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function loadXml(container, state) {
    if (state && state.bpmn) return Promise.resolve(state.bpmn);
    return fetch(container.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      });
  }

  function mark(viewer, state) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    MARKERS.forEach(function (pair) {
      (state[pair[0]] || []).forEach(function (id) {
        if (registry.get(id)) canvas.addMarker(id, pair[1]);
      });
    });
    var loops = state.loops || {};
    var overlays = viewer.get("overlays");
    Object.keys(loops).forEach(function (id) {
      var element = registry.get(id);
      if (!element || element.waypoints) return;
      var badge = document.createElement("span");
      badge.className = "tf-loop";
      badge.textContent = "×" + loops[id];
      badge.title = (state.loop_title || "").replace("{n}", String(loops[id]));
      overlays.add(id, "tf-loop", { position: { top: -10, right: 12 }, html: badge });
    });
  }

  function show(container) {
    var status = container.querySelector(".diagram-status");
    function failed() {
      if (status) status.textContent = container.getAttribute("data-failed-text") || "";
    }
    if (typeof window.BpmnJS !== "function") {
      failed();
      return;
    }
    var state = readState(container);
    var viewer = new window.BpmnJS({ container: container });
    loadXml(container, state)
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        if (status) status.remove();
        viewer.get("canvas").zoom("fit-viewport", "auto");
        if (state) mark(viewer, state);
        container.setAttribute("data-ready", "true");
      })
      .catch(failed);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-bpmn-url], [data-state]"), show);
  });
})();
