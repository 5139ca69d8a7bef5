// The running remainder on the cash apply page (no inline scripts: CSP is script-src 'self').
// Amounts are summed in integer minor units, never in floating point.
(function () {
  "use strict";

  function cents(text) {
    var match = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(String(text).replace(/,/g, ""));
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function format(value, currency) {
    var sign = value < 0 ? "-" : "";
    value = Math.abs(value);
    var whole = String(Math.floor(value / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + whole + "." + String(value % 100).padStart(2, "0") + " " + currency;
  }

  function update(form) {
    var total = cents(form.dataset.unapplied) || 0;
    var bad = false;
    form.querySelectorAll("input[name=invoice]").forEach(function (box) {
      var amount = form.querySelector("input[name='amount-" + box.value + "']");
      if (!box.checked || !amount) return;
      var value = cents(amount.value);
      if (value === null) { bad = true; return; }
      total -= value;
    });
    var out = document.getElementById("remainder");
    if (!out) return;
    out.textContent = bad ? "check the amounts" : format(total, form.dataset.currency);
    out.classList.toggle("overdue", bad || total < 0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("apply-form");
    if (!form) return;
    form.addEventListener("input", function () { update(form); });
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
