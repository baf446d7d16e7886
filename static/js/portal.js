// Every button that changes a state asks first (data-confirm), and the 所属单位 picker
// narrows the approved units by what the person types.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  var picker = document.querySelector(".unit-picker");
  if (!picker) return;
  var search = picker.querySelector("input[type=search]");
  var select = document.getElementById("id_unit");
  var url = picker.getAttribute("data-search-url");
  var timer = null;

  function fill(results) {
    // Keep a unit already chosen in the list, even when the new search does not match it.
    var chosen = select.selectedIndex > 0 ? select.options[select.selectedIndex] : null;
    select.innerHTML = "";
    select.add(new Option(results.length ? "请选择所属单位" : "没有匹配的已审核单位", ""));
    if (chosen && !results.some(function (unit) { return String(unit.id) === chosen.value; })) {
      select.add(new Option(chosen.text, chosen.value, false, true));
    }
    results.forEach(function (unit) {
      select.add(new Option(unit.name, unit.id, false, chosen && String(unit.id) === chosen.value));
    });
    if (!chosen && results.length === 1) select.value = String(results[0].id);
  }

  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(search.value.trim()), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) { fill(data.results); });
    }, 200);
  });
})();
