// Shows a case's or process's BPMN diagram with bpmn-js (navigated viewer), read-only.
// The element ids to highlight come from data- attributes; the XML from the JSON API.
(function () {
  "use strict";

  function ids(element, name) {
    return (element.getAttribute(name) || "").split(/\s+/).filter(Boolean);
  }

  function show(container) {
    var status = container.querySelector(".diagram-status");
    if (typeof window.BpmnJS !== "function") {
      if (status) status.textContent = container.getAttribute("data-failed-text") || "";
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        if (status) status.remove();
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport", "auto");
        [["data-completed", "tf-completed"], ["data-active", "tf-active"], ["data-error", "tf-error"]]
          .forEach(function (pair) {
            ids(container, pair[0]).forEach(function (id) {
              if (registry.get(id)) canvas.addMarker(id, pair[1]);
            });
          });
      })
      .catch(function () {
        if (status) status.textContent = container.getAttribute("data-failed-text") || "";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-bpmn-url]"), show);
  });
})();
