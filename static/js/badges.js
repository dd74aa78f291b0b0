// The bulk issue's progress bar: polls the upload's small JSON status every second until
// every badge has settled on Credly. The page shows the state at load without it.
(function () {
  "use strict";
  const box = document.querySelector("[data-bulk-progress]");
  if (!box) return;
  const url = box.dataset.bulkProgress;

  function show(p) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      const value = p[el.dataset.field];
      if (value !== undefined) el.textContent = value;
    });
    const rows = box.querySelector("[data-bar=rows]");
    rows.max = Math.max(p.total, 1);
    rows.value = p.position;
    const delivered = box.querySelector("[data-bar=delivered]");
    delivered.max = Math.max(p.queued, 1);
    delivered.value = p.delivered + p.failed;
    box.dataset.state = p.state;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (p) {
        if (p) show(p);
        // A failed run waits for someone to press Resume, which reloads the page.
        if (!p || !(p.settled || p.state === "failed")) window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
