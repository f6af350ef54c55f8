// Survey form: after a refused submit, move focus to the error summary so it is read first.
// The page works without this file (the summary also has role="alert"); no inline script is needed.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("problems");
  if (summary) { summary.focus(); }
});
