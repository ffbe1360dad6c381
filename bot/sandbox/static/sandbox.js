// The sandbox page: turn clicks into /sandbox/api calls and keep the panes fresh by long-polling.
// All HTML comes from the server (Jinja, autoescaped); this file only swaps it in.
(function () {
  "use strict";
  const body = document.body;
  const me = body.dataset.as;
  let changes = Number(body.dataset.changes || 0);
  const shown = {};
  for (const name of ["messages", "home", "calendar", "modal", "clock"]) {
    const el = document.getElementById("pane-" + name);
    if (el) shown[name] = el.innerHTML;
  }

  let pending = 0;
  async function api(path, data) {
    // body[data-busy] is set while a request and the refresh after it are under way
    pending += 1;
    body.dataset.busy = "1";
    try {
      const response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(Object.assign({ as: me }, data)),
      });
      const answer = await response.json().catch(() => ({}));
      await refresh();
      return answer;
    } finally {
      pending -= 1;
      if (pending === 0) delete body.dataset.busy;
    }
  }

  function apply(panes) {
    for (const [name, html] of Object.entries(panes)) {
      const el = document.getElementById("pane-" + name);
      if (!el || shown[name] === html) continue;
      const stick = name === "messages" && el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      el.innerHTML = html;
      shown[name] = html;
      if (stick) el.scrollTop = el.scrollHeight;
      if (name === "modal") focusModal();
    }
  }

  async function refresh() {
    const response = await fetch("/sandbox/api/state?as=" + encodeURIComponent(me));
    const state = await response.json();
    changes = state.changes;
    apply(state.panes);
  }

  async function poll() {
    for (;;) {
      try {
        const response = await fetch(
          "/sandbox/api/state?as=" + encodeURIComponent(me) + "&since=" + changes
        );
        const state = await response.json();
        changes = state.changes;
        apply(state.panes);
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  function focusModal() {
    const first = document.querySelector("#pane-modal [aria-invalid=true], #pane-modal input, #pane-modal select, #pane-modal textarea");
    if (first) first.focus();
  }

  function surfaceOf(el) {
    const surface = el.closest("[data-surface]");
    if (!surface) return {};
    const d = surface.dataset;
    return { surface: d.surface, channel: d.channel, ts: d.ts, ephemeral_id: d.ephemeralId, view_id: d.viewId };
  }

  function collect(form) {
    const values = {};
    for (const input of form.querySelectorAll("[data-input-type]")) {
      values[input.dataset.blockId] = { action_id: input.dataset.actionId, type: input.dataset.inputType, value: input.value };
    }
    return values;
  }

  document.addEventListener("click", async (event) => {
    const target = event.target.closest("button, a");
    if (!target) return;
    if (target.matches("[data-bk=action]")) {
      const d = target.dataset;
      if (d.confirm && !window.confirm(d.confirm)) return;
      if (d.url && /^https?:\/\//i.test(d.url)) window.open(d.url, "_blank", "noopener");
      target.disabled = true;
      try {
        await api("/sandbox/api/action", Object.assign(surfaceOf(target), {
          type: "button", action_id: d.actionId, block_id: d.blockId, value: d.value, text: d.text,
        }));
      } finally {
        target.disabled = false;
      }
    } else if (target.matches("[data-bk=close]")) {
      await api("/sandbox/api/close", surfaceOf(target));
    } else if (target.dataset.invitation) {
      await api("/sandbox/api/invitation", {
        event_id: target.dataset.eventId, email: target.dataset.email, response: target.dataset.invitation,
      });
    } else if (target.dataset.advance) {
      await api("/sandbox/api/clock", { advance: target.dataset.advance });
    } else if (target.dataset.example) {
      const input = document.getElementById("command");
      input.value = target.dataset.example;
      input.focus();
    } else if (target.dataset.tab) {
      showTab(target.dataset.tab);
    }
  });

  document.addEventListener("change", async (event) => {
    const el = event.target;
    if (el.id === "as") {
      window.location.search = "?as=" + encodeURIComponent(el.value);
      return;
    }
    if (!el.matches("[data-bk=action]") || !el.value) return;
    const label = el.selectedOptions ? el.selectedOptions[0].textContent : el.value;
    await api("/sandbox/api/action", Object.assign(surfaceOf(el), {
      type: el.dataset.type, action_id: el.dataset.actionId, block_id: el.dataset.blockId, value: el.value, text: label,
    }));
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    event.preventDefault();
    if (form.id === "composer") {
      const input = document.getElementById("command");
      const text = input.value.trim();
      if (!text || text === "/interview") return;
      input.value = "/interview ";
      await api("/sandbox/api/command", { text: text });
      showTab("messages");
    } else if (form.matches("[data-surface=modal]")) {
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        await api("/sandbox/api/submit", { view_id: form.dataset.viewId, values: collect(form) });
      } finally {
        if (button) button.disabled = false;
      }
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.querySelector("#pane-modal form")) {
      const form = document.querySelector("#pane-modal form");
      api("/sandbox/api/close", { view_id: form.dataset.viewId });
    }
  });

  function showTab(name) {
    for (const tab of document.querySelectorAll("[data-tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById("pane-" + tab.dataset.tab).hidden = !on;
    }
    if (name === "home") api("/sandbox/api/home", {});
  }

  const messages = document.getElementById("pane-messages");
  messages.scrollTop = messages.scrollHeight;
  poll();
})();
