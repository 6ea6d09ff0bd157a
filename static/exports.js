// The exports page: name each download with a random token, then poll its progress (rows
// written, of about how many) until the server says it is complete. The download itself is
// an ordinary streamed response: the page stays, and shows the progress bar.
(function () {
  "use strict";
  function token() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  document.addEventListener("DOMContentLoaded", function () {
    const form = document.querySelector("[data-testid=export-form]");
    const box = document.getElementById("export-progress");
    if (!form || !box) return;
    const bar = box.querySelector("progress");
    const text = box.querySelector("[data-role=text]");
    let current = null;
    form.addEventListener("submit", function () {
      const name = token();
      current = name;
      form.querySelector("input[name=token]").value = name;
      const url = form.dataset.progressUrl.replace("TOKEN0000", name);
      box.hidden = false;
      bar.removeAttribute("value");
      function poll() {
        if (current !== name) return;
        fetch(url, { credentials: "same-origin" })
          .then((r) => (r.ok ? r.json() : null))
          .then((p) => {
            if (p) {
              const rows = p.rows.toLocaleString();
              if (p.total) {
                bar.max = p.total;
                bar.value = Math.min(p.rows, p.total);
                text.textContent = `${rows} ${text.dataset.rows} ${text.dataset.of} ${p.total.toLocaleString()}`;
              } else {
                text.textContent = `${rows} ${text.dataset.rows}`;
              }
              if (p.done) {
                bar.max = 1;
                bar.value = 1;
                text.textContent = `${text.dataset.done}: ${rows} ${text.dataset.rows}`;
                return;
              }
            }
            setTimeout(poll, 700);
          })
          .catch(() => setTimeout(poll, 1500));
      }
      setTimeout(poll, 300);
    });
  });
})();
