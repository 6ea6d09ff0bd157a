/* The EDC's only script of its own, loaded by base.html: the Content-Security-Policy allows no
   inline script or style, so what templates once did inline lives here.
   - htmx requests carry the CSRF token of <meta name="csrf-token">.
   - Bars whose width is data ([data-width], a percentage) get it here: no style attribute. */
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
})();
