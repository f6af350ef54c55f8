// Survey form: after a refused submit, move focus to the error summary so it is read first; and
// show a question with a condition (data-show-if, see survey/services/conditions.py) only when it holds.
// The page works without this file (the summary has role="alert"; every conditional question is shown with
// its "Answer only if ..." line, and the server applies the same rule); no inline script is needed.
(function () {
  "use strict";
  var form;

  function answerOf(code) {
    var inputs = form.querySelectorAll("[name]"), name = "q_" + code, out = [], i, el;
    for (i = 0; i < inputs.length; i++) {
      el = inputs[i];
      if (el.name !== name || el.disabled) { continue; }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { out.push(el.value); }
      } else if (el.value.trim() !== "") {
        out.push(el.value.trim());
      }
    }
    return out;
  }

  function same(a, b) {
    if (String(a) === String(b)) { return true; }
    return a !== "" && !isNaN(Number(a)) && typeof b === "number" && Number(a) === b;
  }

  function holds(cond, seen) {
    var i;
    if (cond.all) { for (i = 0; i < cond.all.length; i++) { if (!holds(cond.all[i], seen)) { return false; } } return true; }
    if (cond.any) { for (i = 0; i < cond.any.length; i++) { if (holds(cond.any[i], seen)) { return true; } } return false; }
    var chosen = seen[cond.question] || [];
    if ("answered" in cond) { return (chosen.length > 0) === cond.answered; }
    if (!chosen.length) { return false; }
    var wanted = "in" in cond ? cond["in"] : ("eq" in cond ? [cond.eq] : null);
    if (wanted) {
      return chosen.some(function (v) { return wanted.some(function (w) { return same(v, w); }); });
    }
    if (chosen.length !== 1 || chosen[0] === "na" || isNaN(Number(chosen[0]))) { return false; }
    return "lte" in cond ? Number(chosen[0]) <= cond.lte : Number(chosen[0]) >= cond.gte;
  }

  function update() {
    // in questionnaire order: a hidden question's answer counts as none for the ones after it
    var seen = {}, blocks = form.querySelectorAll("fieldset.question"), i, j, block, shown, inputs, names;
    for (i = 0; i < blocks.length; i++) {
      block = blocks[i];
      shown = !block.hasAttribute("data-show-if") || holds(JSON.parse(block.getAttribute("data-show-if")), seen);
      block.hidden = !shown;
      inputs = block.querySelectorAll("input, textarea, select");
      names = {};
      for (j = 0; j < inputs.length; j++) {
        inputs[j].disabled = !shown;  // a hidden question posts nothing (the server drops it anyway)
        names[inputs[j].name] = true;
      }
      Object.keys(names).forEach(function (name) {
        if (name.indexOf("q_") === 0) { seen[name.slice(2)] = shown ? answerOf(name.slice(2)) : []; }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("problems");
    if (summary) { summary.focus(); }
    form = document.getElementById("survey-form");
    if (!form || !form.querySelector("[data-show-if]")) { return; }
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  });
}());
