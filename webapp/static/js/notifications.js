// The bell: polls /me/notifications.json, keeps the unread badge fresh and opens a short list.
// Without script the bell is a plain link to /me, where the same notices are listed.
(function () {
  "use strict";
  var bell = document.querySelector("[data-bell]");
  if (!bell || !window.fetch) return;
  var POLL_MS = 1000 * (parseFloat(bell.getAttribute("data-poll-seconds")) || 20);
  var toggle = bell.querySelector("[data-bell-toggle]");
  var panel = bell.querySelector("[data-bell-panel]");
  var badge = bell.querySelector("[data-bell-count]");
  var latest = null;

  function showCount(unread) {
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
  }

  function readForm(item) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = bell.getAttribute("data-feed").replace(/\.json$/, "") + "/" + item.id + "/read";
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = bell.getAttribute("data-csrf");
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link";
    button.textContent = item.text;
    form.appendChild(token);
    form.appendChild(button);
    return form;
  }

  function render() {
    panel.textContent = "";
    var items = (latest && latest.items) || [];
    var list = document.createElement("ul");
    list.className = "notice-list";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "notice" + (item.read ? "" : " unread");
      li.setAttribute("data-notice", String(item.id));
      li.appendChild(readForm(item));
      var when = document.createElement("span");
      when.className = "muted";
      when.textContent = new Date(item.at).toLocaleString();
      li.appendChild(when);
      list.appendChild(li);
    });
    if (!items.length) {
      var empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = bell.getAttribute("data-empty");
      panel.appendChild(empty);
    } else {
      panel.appendChild(list);
    }
    var actions = document.createElement("div");
    actions.className = "bell-actions";
    var all = document.createElement("a");
    all.href = bell.getAttribute("data-see-all-url");
    all.textContent = bell.getAttribute("data-see-all");
    actions.appendChild(all);
    if (latest && latest.unread) {
      var markAll = document.createElement("button");
      markAll.type = "button";
      markAll.className = "link";
      markAll.setAttribute("data-bell-read-all", "");
      markAll.textContent = bell.getAttribute("data-all-read");
      actions.appendChild(markAll);
    }
    panel.appendChild(actions);
  }

  function poll() {
    return fetch(bell.getAttribute("data-feed"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        latest = data;
        showCount(data.unread);
        if (!panel.hidden) render();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  toggle.addEventListener("click", function (event) {
    event.preventDefault();
    var open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { render(); poll(); }
  });

  panel.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || !target.closest("[data-bell-read-all]")) return;
    fetch(latest.read_url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": bell.getAttribute("data-csrf") }
    }).then(poll);
  });

  document.addEventListener("click", function (event) {
    if (!panel.hidden && event.target instanceof Node && !bell.contains(event.target)) {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    }
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  window.setInterval(function () { if (!document.hidden) poll(); }, POLL_MS);
})();
