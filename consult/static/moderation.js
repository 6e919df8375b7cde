// Keyboard shortcuts of the moderation workspace (listed on the page): j/k move through the queue and open the
// item, p publish, r reject (focus the reason), d duplicate (focus the kept number), h hide, x select the row.
// Inactive while typing in a field, and with Ctrl/Alt/Meta, so they never steal a screen reader's or browser's keys.
(function () {
  "use strict";
  var current = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue-item]"));
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function move(step) {
    var list = rows();
    if (!list.length) {
      var next = document.getElementById(step > 0 ? "panel-next" : "panel-previous");
      if (next) { next.click(); }
      return;
    }
    var active = document.querySelector("[data-queue-item].consult-queue__item--current");
    var index = active ? list.indexOf(active) : current;
    index = Math.max(0, Math.min(list.length - 1, index + step));
    list.forEach(function (row) { row.classList.remove("consult-queue__item--current"); });
    var row = list[index];
    row.classList.add("consult-queue__item--current");
    current = index;
    var link = row.querySelector("[data-queue-link]");
    link.focus();
    link.click();
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (form) { form.requestSubmit(); }
  }

  function focus(id) {
    var field = document.getElementById(id);
    if (field) { field.scrollIntoView({block: "center"}); field.focus(); }
  }

  function toggleCurrent() {
    var active = document.querySelector("[data-queue-item].consult-queue__item--current");
    var box = active && active.querySelector("input[type=checkbox]");
    if (box) { box.checked = !box.checked; }
  }

  var actions = {
    j: function () { move(1); },
    k: function () { move(-1); },
    p: function () { submit("action-publish"); },
    h: function () { submit("action-hide"); },
    r: function () { focus("reject-reason"); },
    d: function () { focus("merge-kept"); },
    x: toggleCurrent
  };

  // After a decision the panel is replaced, and the form that held the focus with it: the focus fell back to the
  // page's start, so a keyboard user lost their place. Put it on the outcome (conflict, errors or notice), else
  // on the panel. Opening an item (a GET) leaves the focus on the queue, where j/k continue.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    if (!target || target.id !== "panel" || !config || config.verb === "get") { return; }
    var outcome = document.getElementById("panel-conflict") || document.getElementById("form-errors") ||
      document.getElementById("panel-notice") || target;
    outcome.focus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) { return; }
    var action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
})();
