// Admin transition buttons (审核通过, 审核不通过 …) ask before they change a state.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// A box whose unticking shuts people out (a unit's 启用, data-confirm-off) asks on the save
// that would untick it, not on the click: the operator may tick it back before saving.
document.addEventListener("submit", function (event) {
  var boxes = event.target.querySelectorAll("input[type=checkbox][data-confirm-off]");
  Array.prototype.forEach.call(boxes, function (box) {
    if (!event.defaultPrevented && !box.checked && !window.confirm(box.getAttribute("data-confirm-off"))) {
      event.preventDefault();
    }
  });
});
