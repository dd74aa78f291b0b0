// Keyboard shortcuts and presence for the agent console; the pages work without it.
(function () {
  "use strict";
  let pendingG = false;

  function typing(target) {
    return ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable;
  }

  function rows() {
    return Array.from(document.querySelectorAll("[data-ticket-list] tbody tr[data-href]"));
  }

  function moveSelection(step) {
    const all = rows();
    if (!all.length) return;
    let index = all.findIndex((r) => r.classList.contains("selected"));
    index = Math.min(all.length - 1, Math.max(0, index + step));
    all.forEach((r) => r.classList.remove("selected"));
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
    // Keyboard focus follows the selection, so Tab, Enter and screen readers agree with it.
    all[index].querySelector("a[href]")?.focus({ preventScroll: true });
  }

  function focusReply(kind) {
    const radio = document.querySelector(`input[name=kind][value=${kind}]`);
    if (radio) radio.checked = true;
    const body = document.getElementById("reply-body");
    if (body) body.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    // Enter on a focused link or button (the skip link, a row's link) does what it says.
    if (event.key === "Enter" && event.target.closest("a[href], button, summary")) return;
    const ticket = document.querySelector("[data-ticket]");
    if (pendingG) {
      pendingG = false;
      const link = document.querySelector(`[data-view-index="${event.key}"]`);
      if (link) window.location = link.href;
      return;
    }
    const actions = {
      j: () => moveSelection(1),
      k: () => moveSelection(-1),
      Enter: () => {
        const row = document.querySelector("tr.selected[data-href]");
        if (row) window.location = row.dataset.href;
      },
      x: () => {
        const box = document.querySelector("tr.selected input[name=ticket]");
        if (box) box.checked = !box.checked;
      },
      n: () => ticket && ticket.dataset.next && (window.location = ticket.dataset.next),
      p: () => ticket && ticket.dataset.previous && (window.location = ticket.dataset.previous),
      a: () => document.getElementById("assign-to-me")?.click(),
      r: () => focusReply("public"),
      i: () => focusReply("internal"),
      m: () => document.getElementById("macro-select")?.focus(),
      "/": () => document.querySelector("input[name=q]")?.focus(),
      "?": () => document.getElementById("help")?.showModal(),
      g: () => { pendingG = true; },
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-help]")) document.getElementById("help").showModal();
    // Images in a message load only on request (tracking pixels); see edudesk/html.py.
    const loader = event.target.closest("[data-load-images]");
    if (loader) {
      const body = loader.closest(".body");
      body.querySelectorAll("img[data-src]").forEach(function (img) {
        img.src = img.dataset.src;
        img.removeAttribute("data-src");
      });
      loader.closest(".images-held").remove();
    }
    // "Copy text" on a reply that did not reach the customer: the agent keeps their words.
    const copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      const source = document.getElementById(copy.dataset.copy);
      navigator.clipboard.writeText(source ? source.innerText : "").then(function () {
        copy.textContent = "Copied";
      });
    }
    const row = event.target.closest("tr[data-href]");
    // A click in the selection cell ticks the box for a bulk action; it does not open.
    if (row && !event.target.closest("a, td.select")) window.location = row.dataset.href;
  });

  // "Select every ticket on this page" for the bulk bar.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-all]")) return;
    document.querySelectorAll("[data-ticket-list] input[name=ticket]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // The heartbeat says whether we are writing. Added here rather than with hx-vals="js:...",
  // which htmx evaluates with eval(): the Content-Security-Policy forbids that.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-presence")) {
      event.detail.parameters.replying = window.eduReplying ? "1" : "0";
      const article = event.detail.elt.closest("[data-version]");
      if (article) event.detail.parameters.version = article.dataset.version;
    }
  });

  // A chosen macro fills the reply box (htmx swaps the reply fields): what the agent had
  // typed stays before it, and the text an earlier macro put there is replaced, not repeated.
  let draftBeforeMacro = "";
  function normal(text) { return (text || "").replace(/\r\n/g, "\n"); }
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "reply-fields") return;
    const body = document.getElementById("reply-body");
    const inserted = normal(body && body.dataset.macroText);
    let draft = normal(body && body.value);
    if (inserted && draft.endsWith(inserted)) draft = draft.slice(0, -inserted.length);
    draftBeforeMacro = draft.trim();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "reply-fields") return;
    const body = document.getElementById("reply-body");
    if (!body) return;
    if (draftBeforeMacro) body.value = draftBeforeMacro + (body.value ? "\n\n" + body.value : "");
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // Tell the others on this ticket that we are writing, at most every few seconds.
  window.eduReplying = false;
  document.addEventListener("input", function (event) {
    if (event.target.id !== "reply-body") return;
    const wasReplying = window.eduReplying;
    window.eduReplying = event.target.value.trim().length > 0;
    if (window.eduReplying !== wasReplying) document.body.dispatchEvent(new Event("replying"));
  });
})();
