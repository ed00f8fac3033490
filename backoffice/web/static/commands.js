// Live command states: while a command waits, the list asks the API every two seconds and redraws the
// state and result cells in place. Without script the page still works; a reload shows the same.
(function () {
  const section = document.getElementById("commands");
  if (!section) return;
  const kiosk = section.dataset.kiosk;
  const labels = JSON.parse(document.getElementById("command-states").textContent);
  const waiting = () => section.querySelector('tr[data-state="pending"], tr[data-state="sent"]');
  async function refresh() {
    if (!waiting()) return;
    try {
      const r = await fetch(`/api/v1/kiosks/${encodeURIComponent(kiosk)}/commands`, {credentials: "same-origin"});
      if (r.ok) {
        for (const c of (await r.json()).commands) {
          const row = section.querySelector(`tr[data-command-id="${c.id}"]`);
          if (!row || row.dataset.state === c.state) continue;
          row.dataset.state = c.state;
          const cell = row.querySelector(".command-state");
          cell.className = `command-state state-${c.state}`;
          cell.textContent = labels[c.state] || c.state;
          row.querySelector(".command-result").textContent = c.result ? JSON.stringify(c.result) : "";
        }
      }
    } catch (e) { /* the console is unreachable for a moment: try again at the next tick */ }
    setTimeout(refresh, 2000);
  }
  setTimeout(refresh, 1000);
})();
