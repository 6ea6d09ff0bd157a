/* The EDC's only script of its own, loaded by base.html: the Content-Security-Policy allows no
   inline script or style, so what templates once did inline lives here.
   - htmx requests carry the CSRF token of <meta name="csrf-token">.
   - Bars whose width is data ([data-width], a percentage) get it here: no style attribute.
   - After a failed save, the error summary takes focus and its links focus their inputs.
   - Text boxes with a limit (data-maxlength) count their characters beside them.
   - The idle session: the server ends a session after data-idle-timeout seconds without a
     request of the user's (trial/middleware.py); data-idle-warning seconds before, a warning
     counts down with a "Stay logged in" button, and at the end the page goes to the login,
     unless it holds a form the user may have typed into: then it stays, and the next save
     asks for the password in a dialog (POST to data-reauth-url) before the form is sent, with
     the new session's CSRF token. Nothing is sent before, nothing typed is lost. */
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

  // --- The end of the session on a page holding typed values -----------------------------
  var reauthUrl = body.getAttribute("data-reauth-url");
  var ended = document.getElementById("session-ended");
  var dialog = document.getElementById("reauth");
  var expired = false;
  var pending = null;  // the form (and its button) to send once the password is given

  // Whether the user typed something into a form of the page (a value, a tick, a choice
  // that differs from what the page came with): then the page stays when the session ends.
  function keepsTyped() {
    if (!dialog) {
      return false;
    }
    var fields = document.querySelectorAll(
      "main form[method=post] input, main form[method=post] textarea, main form[method=post] select"
    );
    return Array.prototype.some.call(fields, function (field) {
      if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
        return false;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      if (field.tagName === "SELECT") {
        var initial = 0;  // with no option marked selected, the browser shows the first
        Array.prototype.forEach.call(field.options, function (option, index) {
          if (option.defaultSelected) {
            initial = index;
          }
        });
        return field.selectedIndex !== initial;
      }
      return field.value !== field.defaultValue;
    });
  }

  function sessionOver() {
    if (!keepsTyped()) {
      toLogin();
      return;
    }
    expired = true;
    if (warning) {
      warning.classList.add("d-none");
    }
    ended.classList.remove("d-none");
  }

  function send(form, submitter) {
    form.setAttribute("data-session-checked", "1");
    if (form.requestSubmit) {
      form.requestSubmit(submitter || undefined);
    } else {
      form.submit();
    }
  }

  function openReauth(form, submitter) {
    pending = form ? { form: form, submitter: submitter } : null;
    dialog.querySelector("[data-reauth-error]").classList.add("d-none");
    dialog.querySelector("#reauth-password").value = "";
    if (!dialog.open) {
      dialog.showModal();
    }
    dialog.querySelector("#reauth-password").focus();
  }

  function newToken(token) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      meta.setAttribute("content", token);
    }
    Array.prototype.forEach.call(
      document.querySelectorAll('input[name="csrfmiddlewaretoken"]'),
      function (input) { input.value = token; }
    );
  }

  if (dialog) {
    var reauthForm = dialog.querySelector("[data-reauth-form]");
    var errorBox = dialog.querySelector("[data-reauth-error]");
    reauthForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(reauthForm);
      fetch(reauthUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      }).then(function (answer) {
        if (!answer.ok) {
          errorBox.textContent = answer.json.error || "";
          errorBox.classList.remove("d-none");
          if (answer.json.needs_code) {
            dialog.querySelector("[data-reauth-code]").classList.remove("d-none");
          }
          dialog.querySelector("#reauth-password").focus();
          return;
        }
        newToken(answer.json.csrf);
        expired = false;
        ended.classList.add("d-none");
        activity();
        dialog.close();
        var next = pending;
        pending = null;
        if (next) {
          send(next.form, next.submitter);
        }
      }).catch(function () {
        errorBox.textContent = dialog.getAttribute("data-offline") || "";
        errorBox.classList.remove("d-none");
      });
    });
    dialog.querySelector("[data-reauth-cancel]").addEventListener("click", function () {
      pending = null;
      dialog.close();
    });
    ended.querySelector("[data-reauth-open]").addEventListener("click", function () {
      openReauth(null, null);
    });

    // A save after the session ended (or when this page's timer says it may have): ask the
    // server first; if the session is over, the password, then the form.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.closest("dialog") || (form.getAttribute("method") || "").toLowerCase() !== "post") {
        return;
      }
      if (form.getAttribute("data-session-checked")) {
        form.removeAttribute("data-session-checked");
        return;
      }
      if (!expired && Date.now() < deadline - 2000) {
        return;
      }
      event.preventDefault();
      var submitter = event.submitter;
      fetch(sessionUrl, { headers: { "X-EDC-Background": "1" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.remaining > 0) {
            deadline = Date.now() + data.remaining * 1000;
            send(form, submitter);
          } else {
            sessionOver();
            openReauth(form, submitter);
          }
        });
    }, true);

    // An htmx request of an ended session is answered with a redirection to the login page:
    // on this page it is not followed, the typed values stay.
    // Once the session is over, the page's live panels ask nothing more of the server.
    document.addEventListener("htmx:beforeOnLoad", function (event) {
      var xhr = event.detail.xhr;
      var target = xhr && xhr.getResponseHeader("HX-Redirect");
      if (target && target.indexOf(loginUrl) === 0 && (expired || keepsTyped())) {
        event.preventDefault();
        sessionOver();
      }
    });
    document.addEventListener("htmx:beforeRequest", function (event) {
      if (expired) {
        event.preventDefault();
      }
    });
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
          sessionOver();
        }
      })
      .catch(function () { checking = false; });
  }

  function tick() {
    if (expired) {
      return;
    }
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
          sessionOver();
        }
      });
    });
  }

  window.setInterval(tick, 1000);
})();
