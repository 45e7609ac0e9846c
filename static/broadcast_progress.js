// Live delivery counts on the dashboard: every element with data-progress="<progress.json URL>"
// is refreshed every few seconds while its broadcast is being sent. Without JavaScript the
// page shows the counts as they were when it loaded (reloading shows newer ones).
(function () {
  "use strict";
  var EVERY_MS = 4000;

  function setText(root, selector, value) {
    root.querySelectorAll(selector).forEach(function (node) {
      node.textContent = String(value);
    });
  }

  function show(root, progress) {
    setText(root, '[data-field="state"]', progress.state);
    setText(root, '[data-field="in_flight"]', progress.in_flight);
    setText(root, '[data-field="failed"]', progress.failed);
    setText(root, '[data-field="skipped"]', progress.skipped);
    Object.keys(progress.bars).forEach(function (key) {
      var bar = progress.bars[key];
      setText(root, '[data-count="' + key + '"]', bar.count);
      setText(root, '[data-percent="' + key + '"]', bar.percent + "%");
      root.querySelectorAll('[data-bar="' + key + '"]').forEach(function (rect) {
        rect.setAttribute("width", String(bar.percent));
      });
    });
  }

  function follow(root) {
    var url = root.getAttribute("data-progress");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) {
          if (!answer.ok) { throw new Error(String(answer.status)); }
          return answer.json();
        })
        .then(function (progress) {
          show(root, progress);
          if (progress.sending) {
            window.setTimeout(poll, EVERY_MS);
          }
        })
        .catch(function () { window.setTimeout(poll, EVERY_MS * 3); });
    }
    window.setTimeout(poll, EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress]").forEach(follow);
  });
})();
