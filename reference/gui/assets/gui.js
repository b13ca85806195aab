// Progressive enhancement for tag inputs: Enter in an entry box turns its text into a chip
// without a round trip, and chips get a remove button. Without this script the same form works
// by posting back (Enter submits the form's first button, "accept value").
(function () {
  "use strict";
  function nextName(form, pattern) {
    if (pattern.indexOf("#") < 0) return pattern;
    var prefix = pattern.slice(0, pattern.indexOf("#"));
    var max = -1;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name.indexOf(prefix) === 0) {
        var n = parseInt(el.name.slice(prefix.length), 10);
        if (!isNaN(n) && n > max) max = n;
      }
    });
    return pattern.replace("#", String(max + 1));
  }
  function decorate(chip) {
    if (chip.dataset.decorated) return;
    chip.dataset.decorated = "1";
    chip.readOnly = true;
    var x = document.createElement("button");
    x.type = "button";
    x.className = "chip-remove";
    x.setAttribute("aria-label", "Remove " + chip.value);
    x.textContent = "\u00d7";
    x.addEventListener("click", function () {
      chip.parentNode.removeChild(chip);
      x.parentNode.removeChild(x);
    });
    chip.insertAdjacentElement("afterend", x);
  }
  document.querySelectorAll("input.chip").forEach(decorate);
  document.querySelectorAll("input.entry[data-chip]").forEach(function (entry) {
    entry.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      var value = entry.value.trim();
      if (!value) return;
      var chip = document.createElement("input");
      chip.type = "text";
      chip.className = "chip";
      chip.name = nextName(entry.form, entry.dataset.chip);
      chip.value = value;
      entry.insertAdjacentElement("beforebegin", chip);
      decorate(chip);
      entry.value = "";
    });
  });
})();
