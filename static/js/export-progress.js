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
        // The focus, if it was in the card (on 刷新, say), stays on the same link, or goes to
        // the new card's first one (下载Excel文件 once done): never lost to the page's top.
        var focused = card.contains(document.activeElement) ? document.activeElement : null;
        var href = focused && focused.getAttribute("href");
        card.innerHTML = fresh.innerHTML;
        if (focused) {
          var links = Array.prototype.slice.call(card.querySelectorAll("a[href], button"));
          var same = links.filter(function (link) { return link.getAttribute("href") === href; });
          var next = same[0] || links[0];
          if (next) next.focus();
        }
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
