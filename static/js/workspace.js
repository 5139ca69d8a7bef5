// The account workspace's small helpers (no inline scripts: CSP is script-src 'self').
(function () {
  "use strict";

  // --- the promised amount follows the selected invoices ------------------------------
  // Selecting open items fills the promise's amount (and the call's promised amount) with
  // their open total; the collector may still type another amount, which is then kept.

  var AMOUNT_FIELDS = ["#id_promise-amount", "#id_call-promise_amount"];

  function cents(text) {
    var match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(text || "").trim());
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function asAmount(total) {
    var whole = Math.floor(total / 100);
    var rest = String(total % 100);
    return whole + "." + (rest.length < 2 ? "0" + rest : rest);
  }

  function selectedTotal() {
    var boxes = document.querySelectorAll("input.item-select:checked");
    var total = 0;
    for (var i = 0; i < boxes.length; i++) {
      var value = cents(boxes[i].getAttribute("data-open"));
      if (value === null) return null;
      total += value;
    }
    return boxes.length ? total : 0;
  }

  function fillAmounts() {
    var total = selectedTotal();
    if (total === null) return;
    AMOUNT_FIELDS.forEach(function (selector) {
      var field = document.querySelector(selector);
      if (!field) return;
      var untouched = field.value === "" || field.value === field.getAttribute("data-filled");
      if (!untouched) return;
      field.value = total ? asAmount(total) : "";
      field.setAttribute("data-filled", field.value);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.classList && event.target.classList.contains("item-select")) {
      fillAmounts();
    }
  });
})();

// --- slow actions: never lose what the collector is typing, never show a stale page ------
(function () {
  "use strict";

  // A note, a reason or a personal message half typed survives the workspace being redrawn
  // (another action's answer) and a reload: kept per account in this browser until its form
  // is sent without errors.
  var DRAFTED = "#workspace textarea[name], #workspace input[name$='reason'], #workspace input[name$='resolution']";

  function account() {
    var ws = document.getElementById("workspace");
    return ws ? ws.getAttribute("data-customer") : null;
  }

  function key(field) {
    var form = field.form ? field.form.getAttribute("action") : "";
    return "dunwell:draft:" + account() + ":" + form + ":" + field.name;
  }

  function store() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function restore() {
    var box = store();
    if (!box || !account()) return;
    document.querySelectorAll(DRAFTED).forEach(function (field) {
      var kept = box.getItem(key(field));
      if (kept && !field.value) {
        field.value = kept;
        var panel = field.closest("details");
        if (panel) panel.open = true;
      }
    });
  }

  function forget(action) {
    var box = store();
    if (!box) return;
    var prefix = "dunwell:draft:" + account() + ":" + action + ":";
    for (var i = box.length - 1; i >= 0; i--) {
      var name = box.key(i);
      if (name && name.indexOf(prefix) === 0) box.removeItem(name);
    }
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field || !field.matches || !field.matches(DRAFTED)) return;
    var box = store();
    if (!box) return;
    if (field.value) box.setItem(key(field), field.value); else box.removeItem(key(field));
  });

  var started = 0;
  var shown = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr) return;
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (form && form.closest("#workspace")) xhr.dunwellForm = form.getAttribute("action");
    started += 1;
    xhr.dunwellSequence = started;
    // htmx tells the answer's target; once a newer answer has redrawn the workspace that
    // target is gone from the page and its events no longer reach the document, so it is
    // listened to directly.
    var target = event.detail.target;
    if (!target) return;
    target.addEventListener("htmx:beforeSwap", function (swap) {
      if (swap.detail.xhr !== xhr || document.body.contains(target)) return;
      if (!swap.detail.shouldSwap) return;
      swap.detail.shouldSwap = false;
      carryMessages(swap.detail.serverResponse || "", xhr.dunwellForm);
    });
  });

  // Only the answer to the latest action redraws the workspace. An earlier, slower answer
  // (an e-mail queued while the collector went on to log a call) must not put back the
  // page as it was before; its message is shown, and the page stays as it is. An answer
  // for another account than the one on screen is dropped the same way.
  function carryMessages(html, sent) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    if (sent) {
      var form = answer.querySelector("form[action='" + sent + "']");
      if (form && !form.querySelector(".error, .has-error")) forget(sent);
    }
    // the e-mails on their way, as the late answer knew them, keep being followed
    var status = answer.getElementById("email-status");
    var shownStatus = document.getElementById("email-status");
    if (status && shownStatus && status.querySelector("p") && window.htmx) {
      var fresh = document.importNode(status, true);
      shownStatus.replaceWith(fresh);
      window.htmx.process(fresh);
    }
    var said = answer.querySelectorAll("#workspace ul.messages li");
    if (!said.length) return;
    var list = document.querySelector("#workspace ul.messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      var tiles = document.querySelector("#workspace .tiles");
      if (tiles) tiles.parentNode.insertBefore(list, tiles);
    }
    said.forEach(function (item) { list.appendChild(document.importNode(item, true)); });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.shouldSwap) return;
    var path = event.detail.requestConfig && event.detail.requestConfig.path;
    var match = path && /\/customers\/(\d+)\//.exec(path);
    var otherAccount = match && account() && match[1] !== account();
    var sequence = event.detail.xhr && event.detail.xhr.dunwellSequence;
    var stale = sequence && sequence < shown && event.detail.target && event.detail.target.id === "workspace";
    if (otherAccount || stale) {
      event.detail.shouldSwap = false;
      if (stale) carryMessages(event.detail.serverResponse || "", event.detail.xhr.dunwellForm);
      return;
    }
    if (sequence && event.detail.target && event.detail.target.id === "workspace") shown = sequence;
  });

  // on the swap itself, not after htmx's settle delay: the redrawn page never shows an
  // empty note, not even for the 20 ms before it settles
  document.addEventListener("htmx:afterSwap", function (event) {
    var sent = event.detail.xhr && event.detail.xhr.dunwellForm;
    if (sent) {
      var form = document.querySelector("#workspace form[action='" + sent + "']");
      var refused = form && form.querySelector(".error, .has-error");
      if (!refused) forget(sent);
    }
    restore();
  });
  document.addEventListener("DOMContentLoaded", restore);
})();
