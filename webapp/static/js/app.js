// Tripflow: small progressive enhancements. Every page works without them.
(function () {
  "use strict";

  // Array fields: "add row" copies the row template with the next index; "remove" drops a row.
  function addRow(array) {
    var template = array.querySelector("template[data-row-template]");
    var rows = array.querySelector("[data-rows]");
    if (!template || !rows) return;
    var index = parseInt(array.getAttribute("data-next-index") || "0", 10);
    array.setAttribute("data-next-index", String(index + 1));
    var holder = document.createElement(rows.tagName === "TBODY" ? "tbody" : "div");
    holder.innerHTML = template.innerHTML.split("__index__").join(String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var add = target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      addRow(add.closest("[data-array]"));
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest("[data-row]");
      if (row) row.remove();
    }
  });

  // Filters that apply as soon as they change.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if ((target instanceof HTMLSelectElement || target instanceof HTMLInputElement) &&
        target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });

  // Bulk selection: a header box ticks every row box of the same form; the bar counts the ticked ones.
  function syncBulk(formId) {
    var boxes = document.querySelectorAll("input[data-bulk-item][form='" + formId + "']");
    var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    var all = document.querySelector("input[data-bulk-all='" + formId + "']");
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var counter = document.querySelector("[data-bulk-count='" + formId + "']");
    if (counter) counter.textContent = String(ticked);
    var bar = document.getElementById(formId);
    if (bar) bar.classList.toggle("has-selection", ticked > 0);
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    var formId = target.getAttribute("data-bulk-all");
    if (formId) {
      Array.prototype.forEach.call(
        document.querySelectorAll("input[data-bulk-item][form='" + formId + "']"),
        function (b) { b.checked = target.checked; });
      syncBulk(formId);
    } else if (target.hasAttribute("data-bulk-item")) {
      syncBulk(target.getAttribute("form") || "");
    }
  });

  // Side forms (a contact logged beside a task form) post in the background, so what is typed in the
  // main form stays; the answer's copy of the section (data-replace) and its messages take their place.
  // Without fetch, or when anything goes wrong, the form is simply sent the ordinary way.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-replace") ||
        typeof window.fetch !== "function" || typeof window.DOMParser !== "function") return;
    event.preventDefault();
    var selector = form.getAttribute("data-replace");
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var answer = new DOMParser().parseFromString(html, "text/html");
        var fresh = answer.querySelector(selector);
        var current = document.querySelector(selector);
        if (!fresh || !current) throw new Error("no " + selector);
        current.replaceWith(document.importNode(fresh, true));
        var messages = answer.querySelector(".flashes");
        var shown = document.querySelector(".flashes");
        if (shown) shown.remove();
        var main = document.querySelector("main.page");
        if (messages && main) main.insertBefore(document.importNode(messages, true), main.firstChild);
      })
      .catch(function () { form.submit(); });
  });

  // Forms that undo nothing (cancelling a case) ask once more.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // A field marked wrong stops looking wrong once the person changes it.
  function settle(event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var field = target.closest(".has-error");
    if (field) field.classList.remove("has-error");
  }
  document.addEventListener("input", settle);
  document.addEventListener("change", settle);

  // Customer picker: narrow the list while typing a name or phone number.
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.hasAttribute("data-picker-filter")) return;
    var select = target.closest("[data-picker]").querySelector("select");
    var needle = target.value.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      option.hidden = Boolean(needle) && option.text.toLowerCase().indexOf(needle) === -1;
    });
  });

  // Submit buttons: no double submissions while the server works.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var button = form.querySelector("button[type=submit]:not([name])");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  // Coming back with the browser's back button: the buttons work again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button[type=submit]:disabled"), function (b) {
      if (!b.closest("fieldset[disabled]")) b.disabled = false;
    });
  });

  // A refused submit: bring the first error into view and put the cursor in it (phone and desktop),
  // so nobody has to hunt for what the server refused. Without a marked field, the summary takes focus.
  function showFirstError() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    var field = null;
    var marked = document.querySelectorAll("[aria-invalid=true]");
    for (var i = 0; i < marked.length; i++) {
      if (marked[i].offsetParent !== null && !marked[i].disabled) { field = marked[i]; break; }
    }
    var target = field || summary;
    var box = (field && field.closest(".field, fieldset, td")) || target;
    box.scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showFirstError);
  } else {
    showFirstError();
  }
})();
