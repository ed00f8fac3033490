// A kiosk's page: its state badge and reasons follow the fleet's live feed; the rest is drawn by the server.
(function () {
  "use strict";
  const el = document.getElementById("kiosk-live");
  const id = el.dataset.id, T = JSON.parse(el.textContent);
  const badge = document.querySelector("[data-test=kiosk-state]"), reasons = document.querySelector("[data-test=reasons]");
  const t = (key, s) => (T[key] || key).replace("{s}", s || "");
  const device = (role) => T["device." + role] || role;  // the name staff know; a role new to the console shows itself
  let version = Number(el.dataset.version);
  function show(row) {
    badge.dataset.state = row.state;
    badge.className = "badge state-" + row.state;
    badge.textContent = t("state." + row.state);
    reasons.replaceChildren(...(row.reasons.length ? row.reasons : ["—"]).map((code) => {
      const li = document.createElement("li"), i = code.indexOf(":");
      li.dataset.reason = code;
      li.textContent = code === "—" ? code : i < 0 ? t("reason." + code) : t("reason." + code.slice(0, i), device(code.slice(i + 1)));
      return li;
    }));
  }
  function connect() {
    const source = new EventSource("/fleet/events?since=" + version);
    source.addEventListener("rows", (e) => {
      const msg = JSON.parse(e.data);
      version = msg.version;
      for (const row of msg.rows) if (row.id === id) show(row);
    });
    source.addEventListener("resync", (e) => { version = JSON.parse(e.data).version; });
    source.onerror = () => { source.close(); setTimeout(connect, 2000); };
  }
  connect();
})();
