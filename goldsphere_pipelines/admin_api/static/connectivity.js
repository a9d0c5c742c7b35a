// Follows a launched sync: re-reads the run panel from the server until it has ended
// (the panel then comes back without data-poll-url), then reloads the page once. No
// framework; without script the page offers a reload link instead.
(function () {
  "use strict";
  var INTERVAL_MS = 1500;

  function poll(panel) {
    var url = panel.getAttribute("data-poll-url");
    if (!url) {
      return;
    }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (response.redirected || !response.ok) {
            throw new Error("status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var next = holder.querySelector("#run-panel");
          if (!next) {
            return;
          }
          panel.replaceWith(next);
          if (next.hasAttribute("data-poll-url")) {
            poll(next);
          } else {
            // The run has ended: reload once, so the sync history and status show it too.
            window.location.reload();
          }
        })
        .catch(function () {
          // A lost response (server restarting, network blip): try again later.
          poll(panel);
        });
    }, INTERVAL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("run-panel");
    if (panel) {
      poll(panel);
    }
  });
})();
