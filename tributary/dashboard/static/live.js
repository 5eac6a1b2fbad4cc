// Live updates of a workflow page: the server pushes the re-rendered #live fragment through
// server-sent events whenever the workflow changed; open <details> stay open across updates.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) { return; }
  var dot = document.getElementById("live-dot");
  var source = new EventSource(live.getAttribute("data-events"));
  source.addEventListener("open", function () { if (dot) { dot.classList.add("on"); } });
  source.addEventListener("error", function () { if (dot) { dot.classList.remove("on"); } });
  source.addEventListener("update", function (event) {
    var open = [];
    live.querySelectorAll("details[open][id]").forEach(function (d) { open.push(d.id); });
    live.innerHTML = event.data;
    open.forEach(function (id) {
      var d = document.getElementById(id);
      if (d) { d.open = true; }
    });
    live.setAttribute("data-state", (live.querySelector("[data-workflow-state]") || live).getAttribute("data-workflow-state") || "");
  });
})();
