// 导出专家名单's progress page: while the export runs, fetch the page again every second and
// put its status card in place of this one, until the export is finished (done, failed or
// expired). Without script the page still works: its 刷新 link reloads it.
(function () {
  "use strict";
  var card = document.getElementById("export-status");
  var state = document.getElementById("export-state");
  if (!card || card.getAttribute("data-finished") === "true") return;

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("export-status");
        var freshState = page.getElementById("export-state");
        if (!fresh) return;
        card.innerHTML = fresh.innerHTML;
        card.setAttribute("data-finished", fresh.getAttribute("data-finished"));
        // Read out only when the state changes (排队中 → 正在导出 → 已完成), not every second.
        if (freshState && freshState.textContent !== state.textContent) {
          state.textContent = freshState.textContent;
        }
        if (fresh.getAttribute("data-finished") !== "true") window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
