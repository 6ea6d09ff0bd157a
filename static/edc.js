/* The EDC's only script of its own, loaded by base.html: the Content-Security-Policy allows no
   inline script or style, so what templates once did inline lives here.
   - htmx requests carry the CSRF token of <meta name="csrf-token">.
   - Bars whose width is data ([data-width], a percentage) get it here: no style attribute.
   - After a failed save, the error summary takes focus and its links focus their inputs.
   - Text boxes with a limit (data-maxlength) count their characters beside them.
   - The idle session: the server ends a session after data-idle-timeout seconds without a
     request of the user's (trial/middleware.py); data-idle-warning seconds before, a warning
     counts down with a "Stay logged in" button, and at the end the page goes to the login. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function applyWidths(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-width]") : [];
    Array.prototype.forEach.call(bars, function (bar) {
      var value = parseFloat(bar.getAttribute("data-width"));
      if (!isNaN(value)) {
        bar.style.width = Math.max(0, Math.min(100, value)) + "%";
      }
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  if (window.htmx) {
    window.htmx.onLoad(applyWidths);
  } else {
    document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  }

  // --- Text limits: each box with data-maxlength counts its characters beside it; beyond
  // the limit the count turns red (the server refuses the text, and keeps it to shorten).
  function counters(root) {
    var boxes = root.querySelectorAll ? root.querySelectorAll("[data-maxlength]") : [];
    var words = document.body.getAttribute("data-limit-text") || "{n} / {max}";
    var over = document.body.getAttribute("data-limit-over") || words;
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.getAttribute("data-counted")) {
        return;
      }
      box.setAttribute("data-counted", "1");
      var limit = parseInt(box.getAttribute("data-maxlength"), 10);
      var note = document.createElement("div");
      note.className = "form-text text-limit";
      note.id = (box.id || box.name) + "_limit";
      note.setAttribute("data-limit-for", box.name);
      var anchor = box.closest(".input-group") || box;
      anchor.insertAdjacentElement("afterend", note);
      var described = box.getAttribute("aria-describedby");
      box.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
      function update() {
        var count = box.value.length;
        var text = count > limit ? over : words;
        note.textContent = text.replace("{n}", count).replace("{max}", limit);
        note.classList.toggle("text-danger", count > limit);
        note.classList.toggle("fw-semibold", count > limit);
      }
      box.addEventListener("input", update);
      update();
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(counters);
  } else {
    document.addEventListener("DOMContentLoaded", function () { counters(document); });
  }

  // --- After a failed save: the error summary takes focus; each of its links moves focus
  // to its input (a fragment link alone scrolls but leaves focus where it was).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("[data-error-link]");
      var target = link && document.getElementById(link.getAttribute("data-error-link"));
      if (!target) {
        return;
      }
      event.preventDefault();
      var input = target.matches("input, select, textarea, button") ? target
        : target.querySelector("input:not([type=hidden]), select, textarea");
      (input || target).scrollIntoView({ block: "center" });
      (input || target).focus({ preventScroll: true });
    });
  }

  // --- The idle session ------------------------------------------------------------------
  var body = document.body;
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  if (!timeout) {
    return;
  }
  var warnBefore = parseInt(body.getAttribute("data-idle-warning") || "120", 10);
  var sessionUrl = body.getAttribute("data-session-url");
  var loginUrl = body.getAttribute("data-login-url");
  var warning = document.getElementById("session-warning");
  var countdown = warning ? warning.querySelector("[data-countdown]") : null;
  // When the server last saw the user (this page's load, or a request of theirs since).
  var deadline = Date.now() + timeout * 1000;
  var checking = false;

  function activity() {
    deadline = Date.now() + timeout * 1000;
    if (warning) {
      warning.classList.add("d-none");
    }
  }

  function toLogin() {
    var next = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(next));
  }

  function isBackground(detail) {
    var headers = (detail && detail.requestConfig && detail.requestConfig.headers) || {};
    return headers["X-EDC-Background"] === "1";
  }

  // Another tab may have kept the session alive: ask the server before warning or leaving.
  function check() {
    if (checking) {
      return;
    }
    checking = true;
    fetch(sessionUrl, { headers: { "X-EDC-Background": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        checking = false;
        if (data.remaining > 0) {
          deadline = Date.now() + data.remaining * 1000;
          if (data.remaining > warnBefore) {
            warning.classList.add("d-none");
          }
          tick();
        } else {
          toLogin();
        }
      })
      .catch(function () { checking = false; });
  }

  function tick() {
    var left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      // A second late, so that the server too finds the session over.
      window.setTimeout(check, 1500);
      return;
    }
    if (left <= warnBefore && warning) {
      if (warning.classList.contains("d-none")) {
        warning.classList.remove("d-none");
        check();
      }
      if (countdown) {
        countdown.textContent = String(left);
      }
    }
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!isBackground(event.detail)) {
      activity();
    }
  });

  if (warning) {
    warning.querySelector("[data-keepalive]").addEventListener("click", function () {
      fetch(sessionUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.ok) {
          activity();
        } else {
          toLogin();
        }
      });
    });
  }

  window.setInterval(tick, 1000);
})();
