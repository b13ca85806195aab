// Filters the scenario table by status and tag, and copies curl commands.
(function () {
  var status = "all", tag = "";
  function apply() {
    var rows = document.querySelectorAll("tr.scenario");
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (status === "all" || r.dataset.status === status) &&
               (tag === "" || (" " + r.dataset.tags + " ").indexOf(" " + tag + " ") >= 0);
      r.style.display = ok ? "" : "none";
      if (ok) shown++;
    });
    var n = document.getElementById("shown");
    if (n) n.textContent = shown;
  }
  document.querySelectorAll("button[data-status]").forEach(function (b) {
    b.addEventListener("click", function () {
      status = b.dataset.status;
      document.querySelectorAll("button[data-status]").forEach(function (x) { x.classList.toggle("on", x === b); });
      apply();
    });
  });
  document.querySelectorAll("button[data-tag]").forEach(function (b) {
    b.addEventListener("click", function () {
      tag = tag === b.dataset.tag ? "" : b.dataset.tag;
      document.querySelectorAll("button[data-tag]").forEach(function (x) { x.classList.toggle("on", x.dataset.tag === tag); });
      apply();
    });
  });
  document.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      var text = b.parentElement.querySelector("pre.curl").textContent;
      if (navigator.clipboard) navigator.clipboard.writeText(text);
      b.textContent = "copied";
    });
  });
  apply();
})();
