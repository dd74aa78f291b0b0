// The suggestions panel's one-click actions; they only fill the console's own forms, so the
// macro preview still shows first and routing still takes the agent's "Route" click.
(function () {
  "use strict";
  if (window.edudeskSuggestions) return;
  window.edudeskSuggestions = true;

  function choose(select, value) {
    if (!select || !value) return false;
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    return select.value === String(value);
  }

  document.addEventListener("click", function (event) {
    const macro = event.target.closest("[data-suggest-macro]");
    if (macro) {
      const select = document.getElementById("macro-select");
      if (choose(select, macro.dataset.suggestMacro)) select.scrollIntoView({ block: "center" });
      return;
    }
    const route = event.target.closest("[data-suggest-route]");
    if (route) {
      const form = document.querySelector("form[data-route-form], select[name=rule]")?.closest("form");
      if (!form) return;
      const byRule = choose(form.querySelector("select[name=rule]"), route.dataset.rule);
      if (!byRule) choose(form.querySelector("select[name=delegate_team]"), route.dataset.team);
      form.scrollIntoView({ block: "center" });
      form.querySelector("button")?.focus();
    }
  });
})();
