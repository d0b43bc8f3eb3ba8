// reelbridge sandbox: keeps the call log, the fault queue and the sessions live.
// Without this script the page still works (reload it); with it, new calls appear as
// they arrive. Every fragment is rendered (and escaped) by the server.
(() => {
  "use strict";
  const rows = document.getElementById("call-rows");
  const faults = document.getElementById("faults");
  const sessions = document.getElementById("sessions");
  const live = document.getElementById("live");
  if (!rows) return;
  let last = Number(document.body.dataset.last || 0);

  function upsert(row) {
    const template = document.createElement("template");
    template.innerHTML = row.html.trim();
    const fresh = template.content.firstElementChild;
    const old = document.getElementById(`call-${row.seq}`);
    if (old) {
      if (old.outerHTML !== fresh.outerHTML) old.replaceWith(fresh);
      return;
    }
    const newer = [...rows.children].find((el) => Number(el.dataset.seq) < row.seq);
    rows.insertBefore(fresh, newer || null);
  }

  async function poll() {
    try {
      const response = await fetch(`/sandbox/live?after=${last}`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      [...data.rows].reverse().forEach(upsert);
      if (data.rows.length) document.getElementById("no-calls")?.remove();
      if (faults.innerHTML.trim() !== data.faults.trim()) faults.innerHTML = data.faults;
      if (sessions.innerHTML.trim() !== data.sessions.trim()) sessions.innerHTML = data.sessions;
      last = data.last;
      document.body.dataset.last = String(last);
      live.textContent = "live";
      live.classList.add("on");
    } catch (error) {
      live.textContent = "offline";
      live.classList.remove("on");
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
