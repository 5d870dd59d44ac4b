// The quota filing form (templates/quotas/filing_page.html): shows the reserve ratio as the amounts are
// typed, warns below the minimum, and shows only the fields the chosen canteen status needs. The server
// checks everything again; without this script the "Check" button shows the same figures.
(function () {
  "use strict";
  var form = document.querySelector("form.filing-form");
  if (!form) return;
  var planned = form.querySelector("#planned_total");
  var reserved = form.querySelector("#reserved_amount");
  var output = form.querySelector("#ratio-live");
  var warning = form.querySelector("#ratio-warning");
  var minRatio = parseFloat(form.getAttribute("data-min-ratio") || "0");

  function amount(input) {
    var text = (input.value || "").replace(/[,，¥￥\s]/g, "");
    if (!/^\d+(\.\d{0,2})?$/.test(text)) return null;
    // Fen as integers: no binary fractions in the comparison.
    var parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function update() {
    var p = amount(planned), r = amount(reserved);
    if (p === null || r === null || p === 0) {
      output.textContent = "—";
      warning.hidden = true;
      return;
    }
    output.textContent = (r * 100 / p).toFixed(2) + "%";
    warning.hidden = !(r < minRatio * p);
  }

  function canteen() {
    var chosen = form.querySelector("input[name=canteen_status]:checked");
    var value = chosen ? chosen.value : "own";
    form.querySelector(".shared-only").hidden = value !== "shared";
    form.querySelector(".amounts-only").hidden = value !== "own" && value !== "outsourced";
  }

  planned.addEventListener("input", update);
  reserved.addEventListener("input", update);
  Array.prototype.forEach.call(form.querySelectorAll("input[name=canteen_status]"), function (radio) {
    radio.addEventListener("change", canteen);
  });
  update();
  canteen();
})();
