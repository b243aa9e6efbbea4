// The overview's script: on each change event of any job, refetch the
// table's rows (the same sort and filter) and swap them in; the page reads
// and works without it.
(function () {
  "use strict";
  if (!document.body.dataset.overview) { return; }
  var rows = document.getElementById("rows");
  var count = document.getElementById("job-count");
  var errorBox = document.getElementById("error");
  var pending = null;
  function refresh() {
    pending = null;
    var q = new URLSearchParams(location.search);
    q.set("part", "rows");
    fetch("?" + q.toString(), { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : Promise.reject(new Error(r.status + " " + r.statusText));
    }).then(function (html) {
      rows.innerHTML = html; // rendered and escaped by html/template
      count.textContent = rows.querySelectorAll("tr.job").length;
      errorBox.textContent = "";
    }).catch(function (e) { errorBox.textContent = "refresh: " + e.message; });
  }
  var events = new EventSource("v1/events");
  // Coalesce a burst of changes (hundreds of jobs) into one refresh a second.
  events.addEventListener("change", function () { if (!pending) { pending = setTimeout(refresh, 1000); } });
})();
