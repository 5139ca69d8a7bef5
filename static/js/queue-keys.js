// Keyboard for the call queue and the workspace (no inline scripts: CSP is script-src 'self').
// Queue: j / k move, Enter opens. Workspace: n = next account of the queue, c = log a call
// (focus on its Contact field).
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName));
  }

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tr.queue-row"));
  }

  function select(rows, index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-selected"); });
    rows[index].classList.add("selected");
    rows[index].setAttribute("aria-selected", "true");
    rows[index].focus({ preventScroll: true });
    rows[index].scrollIntoView({ block: "nearest" });
  }

  function current(rows) {
    for (var i = 0; i < rows.length; i++) if (rows[i].classList.contains("selected")) return i;
    return -1;
  }

  function togglePromiseFields() {
    var form = document.getElementById("call-form");
    if (!form) return;
    var outcome = form.querySelector("select[name='call-outcome']");
    if (!outcome) return;
    var hasErrors = form.querySelector(".field-promise_amount.has-error, .field-promise_date.has-error");
    form.classList.toggle("call-promise-off", outcome.value !== "promised" && !hasErrors);
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "call-outcome") togglePromiseFields();
  });
  document.addEventListener("DOMContentLoaded", togglePromiseFields);
  document.addEventListener("htmx:load", togglePromiseFields);

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    var rows = queueRows();
    if (rows.length) {
      var at = current(rows);
      if (event.key === "j") { select(rows, at + 1); event.preventDefault(); return; }
      if (event.key === "k") { select(rows, at < 0 ? 0 : at - 1); event.preventDefault(); return; }
      if (event.key === "Enter" && at >= 0) {
        window.location.assign(rows[at].getAttribute("data-href"));
        event.preventDefault();
        return;
      }
    }
    if (event.key === "n") {
      var next = document.getElementById("next-account");
      if (next) { window.location.assign(next.getAttribute("href")); event.preventDefault(); }
      return;
    }
    if (event.key === "c") {
      // the contact first: a call logged without naming who answered is half a record
      var first = document.querySelector(
        "#call-form select[name='call-contact'], #call-form select[name='call-outcome']"
      );
      if (first) {
        first.closest("details").open = true;
        first.focus();
        event.preventDefault();
      }
    }
  });

  // Enter in a date field submits its form, as it does in any other field (Chromium's date
  // input keeps the key for its own editing otherwise).
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.key !== "Enter" || !t || t.tagName !== "INPUT" || t.type !== "date" || !t.form) return;
    event.preventDefault();
    if (t.form.requestSubmit) t.form.requestSubmit(); else t.form.submit();
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("table.queue tr.queue-row");
    if (row && !event.target.closest("a, button, input")) window.location.assign(row.getAttribute("data-href"));
  });
})();
