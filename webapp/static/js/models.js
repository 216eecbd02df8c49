// The "Running cases" card of a process: check which cases can move to the newest version (a dry
// run of POST /api/v1/processes/{key}/migrate), then move those that can.
(function () {
  "use strict";

  function csrf() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function call(card, body) {
    return fetch(card.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function show(card, result) {
    var list = card.querySelector(".migration-list");
    var move = card.querySelector('[data-action="move"]');
    list.textContent = "";
    var movable = [];
    if (!result.items.length) {
      var none = document.createElement("li");
      none.textContent = card.getAttribute("data-text-none");
      list.appendChild(none);
    }
    result.items.forEach(function (item) {
      var li = document.createElement("li");
      var verdict = document.createElement("span");
      var ok = item.status === "can_migrate" || item.status === "migrated";
      if (item.status === "can_migrate") movable.push(item.case_id);
      verdict.className = "verdict " + (ok ? "yes" : "no");
      verdict.textContent = item.status === "migrated" ? card.getAttribute("data-text-moved")
        : ok ? card.getAttribute("data-text-can") : card.getAttribute("data-text-cannot");
      var link = document.createElement("a");
      link.href = "/cases/" + item.case_id;
      link.textContent = "#" + item.case_id + " (v" + item.from_version + ")";
      var why = document.createElement("span");
      why.className = "why";
      why.textContent = item.reasons.join("; ");
      li.appendChild(verdict);
      li.appendChild(link);
      li.appendChild(why);
      list.appendChild(li);
    });
    move.hidden = !movable.length;
    move.textContent = card.getAttribute("data-text-move").replace("{n}", movable.length);
    move.onclick = function () {
      move.disabled = true;
      call(card, { cases: movable, dry_run: false }).then(function (moved) { show(card, moved); })
        .catch(function () { list.textContent = card.getAttribute("data-text-failed"); })
        .finally(function () { move.disabled = false; });
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var card = document.getElementById("migrate");
    if (!card) return;
    var check = card.querySelector('[data-action="check"]');
    if (!check) return;
    check.addEventListener("click", function () {
      check.disabled = true;
      call(card, { cases: "all", dry_run: true }).then(function (result) { show(card, result); })
        .catch(function () { card.querySelector(".migration-list").textContent = card.getAttribute("data-text-failed"); })
        .finally(function () { check.disabled = false; });
    });
  });
})();
