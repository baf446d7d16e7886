// Every button that changes a state asks first (data-confirm); the 所属单位 picker and
// 新建抽取's 回避单位 finder narrow the approved units by what the person types.
(function () {
  "use strict";

  // A text the server reads as empty: Django strips a CharField's value, so a reason of
  // spaces or blank lines is refused as missing (found by a walk: typed so, the dialog asked
  // first and the server then said the reason was missing).
  function blank(field) {
    var text = field.tagName === "TEXTAREA" ||
      (field.tagName === "INPUT" && /^(text|search|tel|email|url)$/.test(field.type));
    return text && field.value.trim() === "";
  }

  // What a form plainly lacks, which its server refuses: a required field left empty (or
  // blank), or none of the fields of data-needs-one-of (退回's and 审核不通过's reason codes and
  // text) filled.
  function lacking(form) {
    var empty = Array.prototype.some.call(form.elements, function (field) {
      return field.required && !field.disabled && (field.validity.valueMissing || blank(field));
    });
    var oneOf = form.getAttribute("data-needs-one-of");
    if (empty || !oneOf) return empty;
    return !oneOf.split(/\s+/).some(function (name) {
      return Array.prototype.some.call(form.querySelectorAll("[name='" + name + "']"), function (field) {
        return (field.type === "checkbox" || field.type === "radio") ? field.checked : field.value.trim() !== "";
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (!button) return;
    // A form that lacks what it needs is not confirmed first: the browser (or, for a form that
    // leaves its checks to the server, the answering page) says what is missing in Chinese,
    // changing nothing, and the question comes once it is filled in.
    var form = button.form;
    if (form && !button.formNoValidate) {
      if (!form.noValidate && !form.checkValidity()) return;
      if (lacking(form)) return;
    }
    if (!window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A text with a limit (data-max-chars: a textarea, whose maxlength would cut a pasted text
  // without a word) counts as the person types, as the server counts: each character once,
  // an emoji too, a line break once. Over the limit it says by how much; the text stays whole.
  document.querySelectorAll("textarea[data-max-chars]").forEach(function (area) {
    var limit = parseInt(area.getAttribute("data-max-chars"), 10);
    var counter = document.createElement("div");
    counter.className = "form-text";
    counter.setAttribute("data-char-count", "");
    area.insertAdjacentElement("afterend", counter);
    function update() {
      var used = Array.from(area.value).length;
      var over = used - limit;
      counter.textContent = over > 0 ? "已超出" + over + "字，请删减至" + limit + "字以内"
        : "已输入" + used + "/" + limit + "字";
      counter.classList.toggle("text-danger", over > 0);
    }
    area.addEventListener("input", update);
    update();
  });

  // A form sent back with errors: focus goes to its summary (data-form-errors), or, on a page
  // without one (a detail page's decision), to the first field marked invalid, so that a
  // keyboard or screen-reader user starts where the correction is, not at the page's top.
  var errors = document.querySelector("[data-form-errors]") ||
    document.querySelector("form .is-invalid:not([type=hidden])");
  if (errors) errors.focus();

  // A reviewer's comment under a field of the returned form (includes/field_comment.html,
  // id comment-<name>) is part of that field's description, after its help and its error.
  document.querySelectorAll("[id^='comment-']").forEach(function (note) {
    var name = note.id.slice("comment-".length);
    // A group of boxes (专业领域) has no input of that id: its fieldset is described.
    var field = document.getElementById("id_" + name) ||
      document.querySelector("#div_id_" + name + " fieldset");
    if (!field) return;
    var said = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (said.indexOf(note.id) === -1) said.push(note.id);
    field.setAttribute("aria-describedby", said.join(" "));
  });

  // A filter form (data-drop-empty) sends only the filters chosen: its URL, bookmarked or
  // shared, reads ?title_level=senior, not every empty field besides.
  document.querySelectorAll("form[data-drop-empty]").forEach(function (form) {
    var fields = form.querySelectorAll("input[name], select[name]");
    form.addEventListener("submit", function () {
      fields.forEach(function (field) {
        if (field.value === "") field.disabled = true;
      });
    });
    // Back to this page from the browser's cache: the fields work again.
    window.addEventListener("pageshow", function () {
      fields.forEach(function (field) { field.disabled = false; });
    });
  });

  // 批量处理 on a queue: "select all on this page" and a live count of the ticked rows. The form
  // works without this (the server counts and checks the selection on its confirmation page).
  document.querySelectorAll("form[data-bulk]").forEach(function (form) {
    var boxes = form.querySelectorAll("input[name=ids]");
    var all = form.querySelector("[data-bulk-all]");
    var count = form.querySelector("[data-bulk-count]");
    // "All matching this filter" wins over the ticked rows (the server takes the filter): the
    // count says so, and the rows' boxes are ticked and locked while it is chosen.
    var matching = form.querySelector("[data-bulk-matching]");
    function update() {
      var wholeFilter = matching && matching.checked;
      boxes.forEach(function (box) {
        if (wholeFilter) box.checked = true;
        box.disabled = wholeFilter;
      });
      if (all) all.disabled = wholeFilter;
      var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; });
      if (count) {
        count.textContent = wholeFilter
          ? matching.getAttribute("data-bulk-matching")
          : "已选 " + ticked.length + " 项";
      }
      if (all) {
        all.checked = ticked.length === boxes.length && boxes.length > 0;
        all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
      }
    }
    if (matching) {
      // The rows ticked by hand are remembered while "all matching" holds them ticked, and
      // given back when it is unticked.
      matching.addEventListener("change", function () {
        boxes.forEach(function (box) {
          if (matching.checked) box.setAttribute("data-ticked", box.checked ? "1" : "");
          else box.checked = box.getAttribute("data-ticked") === "1";
        });
        update();
      });
    }
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        update();
      });
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  });

  // The approved units whose name or credit code holds what is typed in `input`, asked of
  // `url` a moment after the typing stops: fill(results) gets [{id, name}]. Enter searches at
  // once and never submits the form the box sits in (that form is for what the list holds);
  // entered(), if given, runs once the list is filled.
  function searchUnits(input, url, fill, entered) {
    var timer = null;
    var latest = 0;  // an earlier, slower answer must not replace a later one's list
    function search() {
      clearTimeout(timer);
      var mine = ++latest;
      return fetch(url + "?q=" + encodeURIComponent(input.value.trim()), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (mine !== latest) return false;
          fill(data.results);
          return true;
        });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      // An input method's Enter (composing 拼音) picks its characters: not ours.
      if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      search().then(function (current) { if (current && entered) entered(); });
    });
  }

  var picker = document.querySelector(".unit-picker");
  if (picker) {
    var select = document.getElementById("id_unit");
    searchUnits(picker.querySelector("input[type=search]"), picker.getAttribute("data-search-url"), function (results) {
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
      // Said to a screen reader: the list below changed without the focus moving.
      var said = picker.querySelector("[data-said]");
      if (said) {
        said.textContent = !results.length ? "没有匹配的已审核单位"
          : (!chosen && results.length === 1) ? "已选择：" + results[0].name
          : "找到" + results.length + "个已审核单位，请在下方列表中选择";
      }
    });
  }

  // 新建抽取's 回避单位: find a registered unit by name and add its full name to the lines typed
  // (the form still takes typed names without JavaScript; the server checks each exists).
  // Enter in the search box adds the unit chosen (one match is chosen by itself), as 添加 does.
  var avoid = document.querySelector(".avoid-unit-picker");
  if (avoid) {
    var search = avoid.querySelector("input[type=search]");
    var results = avoid.querySelector("[data-results]");
    var said = avoid.querySelector("[data-said]");
    var lines = document.getElementById("id_avoid_units");
    var add = function () {
      var name = results.value;
      if (!name) { said.textContent = "请先查找并选择一个单位。"; return; }
      var typed = lines.value.split(/[\n\r、，,；;]+/).map(function (line) { return line.trim(); });
      if (typed.indexOf(name) !== -1) { said.textContent = "“" + name + "”已在回避单位中。"; return; }
      lines.value = lines.value.replace(/\s+$/, "") + (lines.value.trim() ? "\n" : "") + name;
      said.textContent = "已添加“" + name + "”。";
    };
    avoid.hidden = false;
    searchUnits(search, avoid.getAttribute("data-search-url"), function (found) {
      results.innerHTML = "";
      results.add(new Option(found.length ? "请选择单位" : "没有匹配的已注册单位", ""));
      found.forEach(function (unit) { results.add(new Option(unit.name, unit.name)); });
      if (found.length === 1) results.value = found[0].name;
      // Said to a screen reader (a live region): the list beside changed without the focus moving.
      said.textContent = !found.length ? "没有匹配的已注册单位。"
        : found.length === 1 ? "已选择：" + found[0].name + "。按回车或“添加”加入回避单位。"
        : "找到" + found.length + "个已注册单位，请在列表中选择一个，再按“添加”。";
    }, function () {
      if (results.value) { add(); return; }
      // Several found: the words above say to choose one. None: what to try instead.
      if (results.options.length <= 1) {
        said.textContent = "没有匹配的已注册单位。请核对单位名称，或改用统一社会信用代码查找。";
      }
    });
    avoid.querySelector("[data-add]").addEventListener("click", add);
  }

  // 新建抽取's 增加一行 adds the empty row in place (without it, the button sends the form and
  // the server shows it again with one more row): the formset's next number, its count raised.
  var addRow = document.querySelector("[data-add-row]");
  if (addRow) {
    var rowsBox = document.querySelector("[data-quota-rows]");
    var emptyRow = document.querySelector("template[data-quota-empty]");
    var total = document.querySelector("input[name$='-TOTAL_FORMS']");
    var most = parseInt(addRow.getAttribute("data-max-rows"), 10);
    var rowsSaid = document.querySelector("[data-rows-said]");
    addRow.addEventListener("click", function (event) {
      var count = parseInt(total.value, 10);
      if (!(count < most)) return;  // the server says what is wrong
      event.preventDefault();
      rowsBox.insertAdjacentHTML("beforeend",
        emptyRow.innerHTML.replace(/__prefix__/g, String(count)).replace(/__row__/g, String(count + 1)));
      total.value = String(count + 1);
      rowsBox.lastElementChild.querySelector("select").focus();
      if (count + 1 >= most) {
        addRow.hidden = true;
        rowsSaid.textContent = "已达上限：最多" + most + "行。";
      }
    });
  }

  // 打印 (签到表): the browser's print dialog. Without JavaScript the button stays hidden and
  // the page says to print it from the browser's menu.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

// The expert form keeps a copy of what is typed in this browser, so a session that timed
// out, a closed tab or a lost connection does not lose a long answer. The copy is offered
// back only to the same user, only when newer than the saved draft, and for a day at most;
// the bank account and the ID number are never kept in it. The change form (修改专家信息)
// does the same under its own key.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-key]");
  if (!form) return;
  var key = form.getAttribute("data-autosave-key");
  var savedAt = Number(form.getAttribute("data-saved-at")) * 1000;
  // version: the draft the page was opened on, never an old page's (experts.services.save_draft).
  var skip = ["csrfmiddlewaretoken", "action", "version", "bank_account", "id_number"];
  var maxAge = 24 * 60 * 60 * 1000;
  var timer = null;

  function fields() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      // A chosen file cannot be kept or set back by a page: the file boxes are left alone.
      if (!el.name || skip.indexOf(el.name) >= 0 || el.type === "submit" || el.type === "file") return;
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function restore(values) {
    form.setAttribute("data-dirty", "");  // restored, not saved: 退出 asks first
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!(el.name in values) || el.type === "file") return;
      if (el.type === "checkbox") {
        el.checked = values[el.name].indexOf(el.value) >= 0;
      } else {
        el.value = values[el.name];
      }
    });
  }

  var stash = null;
  try { stash = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { stash = null; }
  var now = Date.now();
  if (stash && (stash.at <= savedAt || now - stash.at > maxAge)) {
    window.localStorage.removeItem(key);
    stash = null;
  }
  // A page shown again by the server already holds what was typed: nothing to offer back.
  var shownAgain = form.hasAttribute("data-dirty");
  if (stash && !shownAgain && JSON.stringify(stash.fields) !== JSON.stringify(fields())) {
    var banner = document.getElementById("autosave-banner");
    banner.classList.remove("d-none");
    banner.querySelector("[data-restore]").addEventListener("click", function () {
      restore(stash.fields);
      banner.classList.add("d-none");
    });
    banner.querySelector("[data-discard]").addEventListener("click", function () {
      window.localStorage.removeItem(key);
      banner.classList.add("d-none");
    });
  }

  function keep() {
    window.localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: fields() }));
  }
  // Shown again by the server with what was sent and not (all) saved (errors, or another tab
  // saved first): that is kept at once, as if typed.
  if (shownAgain) keep();
  form.addEventListener("input", function () {
    form.setAttribute("data-dirty", "");
    clearTimeout(timer);
    timer = setTimeout(keep, 300);
  });
  // 证明材料 are uploaded and deleted by small forms of their own, which reload the page: what
  // was typed above and not saved is kept at once (not 300 ms later), to be offered back.
  document.querySelectorAll("form[data-keeps-typing]").forEach(function (other) {
    other.addEventListener("submit", function () {
      if (form.hasAttribute("data-dirty")) {
        clearTimeout(timer);
        keep();
      }
    });
  });
})();

// 退出 clears the copies the forms keep in this browser: the next person at a shared computer
// must not find them (a session that times out keeps them; that is what they are for). Typing
// on this page not yet saved is lost with them, so 退出 asks first.
(function () {
  "use strict";
  var logout = document.querySelector("form[data-forget-drafts]");
  if (!logout) return;
  logout.addEventListener("submit", function (event) {
    if (document.querySelector("form[data-autosave-key][data-dirty]") &&
        !window.confirm("本页有尚未保存的填写内容，退出后将不再保留。确定退出吗？")) {
      event.preventDefault();
      return;
    }
    var keys = [];
    for (var i = 0; i < window.localStorage.length; i++) {
      var key = window.localStorage.key(i);
      if (/^(expert|change)-form-/.test(key)) keys.push(key);
    }
    keys.forEach(function (key) { window.localStorage.removeItem(key); });
  });
})();

// A chart wider than its box (统计分析's months, on a phone) opens at its end: the newest
// months, which are what a reviewer comes to see; the older ones are a swipe away.
document.querySelectorAll("[data-scroll-end]").forEach(function (box) {
  box.scrollLeft = box.scrollWidth;
});

// A printed page shows what its <details> hold (我的个人信息's submitted versions, tables
// behind 表格), and closes again those it opened.
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (el) {
      el.open = true;
      opened.push(el);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
})();
