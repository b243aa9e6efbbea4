// The dashboard's only script: refresh the live part of a job's page on
// each server-sent event, and send the buttons' commands with fetch so
// that a refused command shows its error without leaving the page.
(function () {
  "use strict";
  var job = document.body.dataset.job;
  if (!job) { return; }
  var q = "?name=" + encodeURIComponent(job);
  var live = document.getElementById("live");
  var errorBox = document.getElementById("error");
  function refresh() {
    fetch("live" + q, { cache: "no-store" }).then(function (r) {
      return r.ok ? r.text() : Promise.reject(new Error(r.status + " " + r.statusText));
    }).then(function (html) {
      live.innerHTML = html; // rendered and escaped by html/template
      var img = document.getElementById("timeline");
      if (img) { img.src = "timeline.svg" + q + "&t=" + Date.now(); }
    }).catch(function (e) { errorBox.textContent = "refresh: " + e.message; });
  }
  // A stream the server refuses (503 at its cap of streams) is not
  // retried by the browser: listen again later, and refresh then.
  function listen() {
    var events = new EventSource("events" + q);
    events.addEventListener("change", refresh);
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED) { setTimeout(function () { listen(); refresh(); }, 10000); }
    };
  }
  listen();
  // The form is part of the live fragment: listen on the document.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.id !== "commands") { return; }
    ev.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    if (ev.submitter) { data.set("cmd", ev.submitter.value); }
    data.set("token", document.body.dataset.token); // a refreshed form holds none
    errorBox.textContent = "";
    fetch("command", { method: "POST", body: data, headers: { "X-Dashboard": "1" }, credentials: "same-origin" })
      .then(function (r) {
        // On success the server-sent event that the change causes
        // refreshes the page; nothing to do here.
        if (!r.ok) { return r.text().then(function (t) { errorBox.textContent = t; }); }
      }).catch(function (e) { errorBox.textContent = e.message; });
  });
})();
