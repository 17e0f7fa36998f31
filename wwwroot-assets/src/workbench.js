// Numina Workbench page script: typesets math with KaTeX as nodes appear (no interop call per render), and copies text.
(function () {
  function typeset(root) {
    if (!window.katex) return;
    const nodes = root.querySelectorAll ? root.querySelectorAll(".math:not([data-typeset])") : [];
    for (const el of nodes) {
      let tex = el.textContent.trim();
      const display = el.tagName === "DIV";
      if (tex.startsWith("\\(") || tex.startsWith("\\[")) tex = tex.slice(2, -2);
      el.setAttribute("data-typeset", "1");
      el.setAttribute("data-tex", tex);
      try { katex.render(tex, el, { displayMode: display, throwOnError: false }); } catch (e) { /* leave the TeX as text */ }
    }
  }
  const observer = new MutationObserver(records => {
    for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1) { if (n.matches && n.matches(".math")) typeset(n.parentNode); else typeset(n); }
  });
  function start() { typeset(document.body); observer.observe(document.body, { childList: true, subtree: true }); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();

  // The Solve form's draft, kept in the tab as it is typed (by the browser, not the server): if the connection drops
  // or the page reloads, the page takes it back, so typed text is never lost. sessionStorage: per tab, so a new tab
  // starts from the defaults and two tabs do not overwrite each other's drafts.
  const draftKey = "numina-draft";
  document.addEventListener("input", e => {
    const el = e.target;
    if (!el || !el.closest || !el.closest("[data-draft]")) return;
    const id = el.getAttribute("data-testid");
    if (!id) return;
    try {
      const draft = JSON.parse(sessionStorage.getItem(draftKey) || "{}");
      draft[id] = el.value;
      sessionStorage.setItem(draftKey, JSON.stringify(draft));
    } catch { /* storage full or off: the draft is a convenience */ }
  }, true);

  window.numina = {
    loadDraft: () => { try { return JSON.parse(sessionStorage.getItem(draftKey) || "null"); } catch { return null; } },
    clearDraft: () => sessionStorage.removeItem(draftKey),
    copy: async text => { try { await navigator.clipboard.writeText(text); return true; } catch { return false; } },
    download: (name, text, type) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([text], { type: type || "application/json" }));
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    },
  };
})();
