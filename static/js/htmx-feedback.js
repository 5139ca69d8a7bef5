// What htmx would leave silent (no inline scripts: CSP is script-src 'self').
// - A refused or failed request (403, 404, 500, no network) is said in the page, in a
//   banner above the content; the page the person was working on stays as it was.
// - A form that comes back with errors has its panel opened and its first wrong field
//   focused, so the error is seen beside the field it is about.
(function () {
  "use strict";

  var STATUS_TEXT = {
    403: "You are not allowed to do that: your role cannot make this change. Nothing was changed.",
    404: "That is no longer there (it may have been moved or closed). Nothing was changed; reload the page.",
    409: "Someone changed this at the same time. Nothing was changed; reload the page and try again.",
  };

  function banner() {
    var box = document.getElementById("request-problem");
    if (box) return box;
    box = document.createElement("p");
    box.id = "request-problem";
    box.className = "request-problem";
    box.setAttribute("role", "alert");
    var main = document.querySelector("main") || document.body;
    main.insertBefore(box, main.firstChild);
    return box;
  }

  function say(text) {
    var box = banner();
    box.textContent = text;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  function hide() {
    var box = document.getElementById("request-problem");
    if (box) box.hidden = true;
  }

  // a new action clears the last refusal; a status asked again in the background does not
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("form")) hide();
  });

  // A form being sent says so and cannot be sent twice: its button is disabled and reads
  // its data-busy text ("Queuing the e-mail…") until the answer comes.
  function buttons(event) {
    var elt = event.detail.elt;
    var form = elt && elt.tagName === "FORM" ? elt : null;
    return form ? form.querySelectorAll("button[type=submit], button:not([type])") : [];
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    buttons(event).forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      var busy = button.getAttribute("data-busy");
      if (busy) {
        button.setAttribute("data-idle", button.textContent);
        button.textContent = busy;
      }
    });
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    buttons(event).forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      var idle = button.getAttribute("data-idle");
      if (idle) button.textContent = idle;
    });
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    say(
      STATUS_TEXT[status] ||
        "The server could not do that (error " + status + "). Nothing was changed; try again in a moment."
    );
  });

  document.addEventListener("htmx:sendError", function () {
    say("The server could not be reached. Nothing was saved; check the connection and try again.");
  });

  function showErrors(root) {
    var wrong = root.querySelectorAll(".has-error, .form-errors, form .error");
    if (!wrong.length) return;
    for (var i = 0; i < wrong.length; i++) {
      var panel = wrong[i].closest("details");
      if (panel) panel.open = true;
    }
    var field = root.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (field) field.focus({ preventScroll: false });
  }

  document.addEventListener("DOMContentLoaded", function () { showErrors(document); });
  // only what was just drawn: a status asked again in the background steals no focus
  document.addEventListener("htmx:afterSettle", function (event) {
    var drawn = event.target;
    if (drawn && drawn.querySelectorAll && document.body.contains(drawn)) showErrors(drawn);
  });
})();
