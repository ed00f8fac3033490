// The fleet page: filter, sort and page the kiosks' rows in the browser, kept live by server-sent events.
// Plain script, no framework and no build step. The rows come with the page (#fleet-data) as JSON; only one
// page of them is in the DOM at a time, so 10,000 kiosks filter as fast as 100.
(function () {
  "use strict";
  const PAGE = 100;
  const SEVERITY = ["lost", "offline", "out_of_service", "degraded", "maintenance", "starting", "disconnected",
                    "unknown", "in_service"];
  const QUIET = ["offline", "lost", "disconnected"];
  const PAPER = {out: 0, low: 1, ok: 2};
  const data = JSON.parse(document.getElementById("fleet-data").textContent);
  const T = JSON.parse(document.getElementById("fleet-texts").textContent);
  const form = document.getElementById("filters");
  const tbody = document.getElementById("rows");
  const showing = document.getElementById("showing");
  const live = document.querySelector("[data-live]");
  const rows = new Map();
  let version = data.version;
  let skew = data.now - Date.now() / 1000;  // server clock minus ours
  let view = [], page = 0, sortKey = "group", sortDir = 1, states = new Set(), pending = false;
  window.fleetTiming = {};

  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
    (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const t = (key, values) => {
    let s = T[key] || key;
    for (const k in values || {}) s = s.replace("{" + k + "}", values[k]);
    return s;
  };
  const now = () => Date.now() / 1000 + skew;
  const field = (name) => form.querySelector("[name=\"" + name + "\"]");  // form.elements.item is a method

  const device = (role) => T["device." + role] || role;  // the name staff know; a role new to the console shows itself
  function reasonText(code) {
    const i = code.indexOf(":");
    return i < 0 ? t("reason." + code) : t("reason." + code.slice(0, i), {s: device(code.slice(i + 1))});
  }
  function ago(seconds) {
    if (seconds == null) return t("fleet.never");
    const s = Math.max(0, Math.round(seconds));
    return s < 90 ? t("fleet.ago_s", {n: s}) : s < 5400 ? t("fleet.ago_min", {n: Math.round(s / 60)})
      : s < 172800 ? t("fleet.ago_h", {n: Math.round(s / 3600)}) : t("fleet.ago_d", {n: Math.round(s / 86400)});
  }

  function keyOf(r) {  // precomputed once per row: sorting 10,000 rows compares plain values
    r._group = r.region + "\u0000" + r.hall + "\u0000" + r.id;
    r._sev = SEVERITY.indexOf(r.state);
    r._paper = r.paper == null ? 3 : PAPER[r.paper];
    r._text = (r.id + "\u0000" + r.name + "\u0000" + r.hall + "\u0000" + r.address + "\u0000" + r.region).toLowerCase();
    return r;
  }
  for (const r of data.rows) rows.set(r.id, keyOf(r));

  function filters() {
    const f = Object.fromEntries(new FormData(form).entries());
    f.q = (f.q || "").trim().toLowerCase();
    f.offline_min = f.offline_min === "" || f.offline_min == null ? null : Number(f.offline_min);
    return f;
  }

  function matches(r, f, at) {
    if (states.size && !states.has(r.state)) return false;
    if (f.region && r.region !== f.region) return false;
    if (f.hall && r.hall !== f.hall) return false;
    if (f.paper === "any" ? !(r.paper === "low" || r.paper === "out") : f.paper && r.paper !== f.paper) return false;
    if (f.offline_min != null && !(QUIET.includes(r.state) && r.last_seen != null
                                   && at - r.last_seen >= f.offline_min * 60)) return false;
    if (f.version && r.runtime !== f.version && r.flows !== f.version) return false;
    if (f.item && (f.item === "any" ? !r.unavailable.length : !r.unavailable.includes(f.item))) return false;
    if (f.q && r._text.indexOf(f.q) < 0) return false;
    return true;
  }

  const COMPARE = {
    group: (a, b) => (a._group < b._group ? -1 : a._group > b._group ? 1 : 0),
    id: (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || COMPARE.id(a, b),
    state: (a, b) => a._sev - b._sev || COMPARE.group(a, b),
    paper: (a, b) => a._paper - b._paper || COMPARE.group(a, b),
    runtime: (a, b) => (a.runtime < b.runtime ? -1 : a.runtime > b.runtime ? 1 : 0) || COMPARE.group(a, b),
    seen: (a, b) => (a.last_seen || 0) - (b.last_seen || 0) || COMPARE.group(a, b),
  };

  function apply() {
    const started = performance.now();
    const f = filters(), at = now();
    view = [];
    for (const r of rows.values()) if (matches(r, f, at)) view.push(r);
    const cmp = COMPARE[sortKey];
    view.sort(sortDir > 0 ? cmp : (a, b) => cmp(b, a));
    page = Math.min(page, Math.max(0, Math.ceil(view.length / PAGE) - 1));
    render();
    window.fleetTiming.applyMs = performance.now() - started;
    syncUrl(f);
  }

  function render() {
    const at = now(), from = page * PAGE, part = view.slice(from, from + PAGE), out = [];
    let group = null;
    for (const r of part) {
      if (sortKey === "group") {
        const g = r.region + " · " + r.hall;
        if (g !== group) {
          group = g;
          out.push('<tr class="group"><td colspan="8">' + esc(r.region || "—") + " · " + esc(r.hall || "—") + "</td></tr>");
        }
      }
      out.push('<tr data-id="' + esc(r.id) + '" data-state="' + esc(r.state) + '">' +
        '<td class="state-' + esc(r.state) + '">' + esc(t("state." + r.state)) + "</td>" +
        '<td><a href="/kiosks/' + encodeURIComponent(r.id) + '">' + esc(r.id) + "</a></td>" +
        "<td>" + esc(r.name) + "</td><td>" + esc(r.region) + " / " + esc(r.hall) + "</td>" +
        '<td class="paper-' + esc(r.paper || "") + '">' + (r.paper ? esc(t("paper." + r.paper)) : "") + "</td>" +
        "<td>" + esc(r.runtime) + "</td>" +
        "<td>" + esc(ago(r.last_seen == null ? null : at - r.last_seen)) + "</td>" +
        '<td class="reasons">' + esc(r.reasons.map(reasonText).join(" · ")) + "</td></tr>");
    }
    if (!part.length) out.push('<tr><td colspan="8">' + esc(t("fleet.none_match")) + "</td></tr>");
    tbody.innerHTML = out.join("");
    showing.textContent = t("fleet.showing", {a: view.length ? from + 1 : 0, b: from + part.length, n: view.length});
    const counts = {};
    for (const r of rows.values()) counts[r.state] = (counts[r.state] || 0) + 1;
    for (const el of document.querySelectorAll("[data-count]")) {
      const s = el.dataset.count;
      el.textContent = s ? counts[s] || 0 : rows.size;
    }
  }

  let lastApply = 0;
  function schedule() {  // live changes: one pass at most every 300 ms, however many arrive
    if (pending) return;
    pending = true;
    setTimeout(() => requestAnimationFrame(() => { pending = false; lastApply = performance.now(); apply(); }),
               Math.max(0, lastApply + 300 - performance.now()));
  }

  function fillSelect(name, values) {
    const select = field(name), current = select.value, fixed = name === "item" ? 2 : 1;
    const have = new Set(Array.from(select.options).slice(fixed).map((o) => o.value));
    const want = Array.from(values).filter((v) => v).sort();
    if (want.length === have.size && want.every((v) => have.has(v))) return;
    while (select.options.length > fixed) select.remove(fixed);
    for (const v of want) select.add(new Option(v, v));
    select.value = current;
  }
  function fillChoices() {
    const region = new Set(), hall = new Set(), version = new Set(), item = new Set();
    for (const r of rows.values()) {
      region.add(r.region); hall.add(r.hall); version.add(r.runtime);
      for (const i of r.unavailable) item.add(i);
    }
    fillSelect("region", region); fillSelect("hall", hall); fillSelect("version", version); fillSelect("item", item);
  }

  function syncUrl(f) {
    const p = new URLSearchParams();
    for (const k of ["q", "region", "hall", "paper", "version", "item"]) if (f[k]) p.set(k, f[k]);
    if (f.offline_min != null) p.set("offline_min", f.offline_min);
    if (states.size) p.set("state", Array.from(states).join(","));
    if (sortKey !== "group" || sortDir < 0) p.set("sort", (sortDir < 0 ? "-" : "") + sortKey);
    const qs = p.toString();
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
  }
  function readUrl() {
    const p = new URLSearchParams(location.search);
    for (const k of ["q", "region", "hall", "paper", "offline_min", "version", "item"]) {
      if (p.has(k) && field(k)) field(k).value = p.get(k);
    }
    for (const s of (p.get("state") || "").split(",")) if (s) states.add(s);
    const sort = p.get("sort") || "";
    if (sort) { sortDir = sort[0] === "-" ? -1 : 1; sortKey = sort.replace(/^-/, ""); }
    if (!COMPARE[sortKey]) sortKey = "group";
  }
  function showSort() {
    for (const th of document.querySelectorAll("th[data-sort]")) {
      th.setAttribute("aria-sort", th.dataset.sort === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    }
    for (const b of document.querySelectorAll(".count")) {
      b.setAttribute("aria-pressed", b.dataset.state ? String(states.has(b.dataset.state)) : String(!states.size));
    }
  }

  form.addEventListener("input", () => { page = 0; apply(); });
  form.addEventListener("reset", () => setTimeout(() => { states.clear(); showSort(); page = 0; apply(); }, 0));
  document.querySelector(".counts").addEventListener("click", (e) => {
    const b = e.target.closest(".count");
    if (!b) return;
    const s = b.dataset.state;
    if (!s) states.clear(); else if (states.has(s)) states.delete(s); else states.add(s);
    showSort(); page = 0; apply();
  });
  document.querySelector(".fleet-table thead").addEventListener("click", (e) => {
    const th = e.target.closest("th[data-sort]");
    if (!th) return;
    if (sortKey === th.dataset.sort) sortDir = -sortDir; else { sortKey = th.dataset.sort; sortDir = 1; }
    showSort(); apply();
  });
  document.querySelector(".pager").addEventListener("click", (e) => {
    const b = e.target.closest("[data-page]");
    if (!b) return;
    const last = Math.max(0, Math.ceil(view.length / PAGE) - 1);
    page = Math.min(last, Math.max(0, page + Number(b.dataset.page)));
    render();
  });

  // Live: rows changed after `version` arrive as `rows`; `resync` means the server's log no longer reaches
  // back that far, so the whole fleet is fetched again. On error, reconnect from the version we hold.
  let source = null;
  function connect() {
    source = new EventSource("/fleet/events?since=" + version);
    source.onopen = () => { live.dataset.live = "1"; live.textContent = t("fleet.live"); };
    source.addEventListener("rows", (e) => {
      const msg = JSON.parse(e.data);
      version = msg.version;
      skew = msg.now - Date.now() / 1000;
      for (const r of msg.rows) rows.set(r.id, keyOf(r));
      fillChoices();
      schedule();
    });
    source.addEventListener("resync", async () => {
      const fresh = await (await fetch("/fleet/data.json", {credentials: "same-origin"})).json();
      rows.clear();
      for (const r of fresh.rows) rows.set(r.id, keyOf(r));
      version = fresh.version; skew = fresh.now - Date.now() / 1000;
      fillChoices(); schedule();
      source.close(); connect();
    });
    source.onerror = () => {
      live.dataset.live = "0"; live.textContent = t("fleet.reconnecting");
      source.close();
      setTimeout(connect, 2000);
    };
  }

  readUrl();
  fillChoices();
  readUrl();  // the choices exist now: selects can take their values
  showSort();
  apply();
  performance.mark("fleet-rows");
  window.fleetTiming.firstRowsMs = performance.now();
  requestAnimationFrame(() => setTimeout(() => { window.fleetTiming.paintedMs = performance.now(); }, 0));
  setInterval(render, 30000);  // "n min ago" moves on; the states themselves come from the server
  connect();
})();
