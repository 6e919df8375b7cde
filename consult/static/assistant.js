// The assistant's conversation after each htmx swap: show the latest reply and put the focus where the
// keyboard user continues (the draft or sign-in form when one opened, else the message box). The compact
// panel of a consultation page gets its question box back.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail.target;
  if (!target) return;
  if (target.id === "assistant-panel") {
    var box = document.getElementById("assistant-panel-text");
    if (box) box.focus();
    return;
  }
  if (target.id !== "assistant") return;
  var log = document.getElementById("assistant-log");
  var last = document.getElementById("derniere-reponse");
  if (last) last.scrollIntoView({ block: "nearest" });
  // In this order: the sign-in panel, a draft field in error, the draft's title, else the message box.
  var next = document.querySelector("#assistant-login input:not([type=hidden])") ||
    document.querySelector("#assistant-draft [aria-invalid=true]") ||
    document.querySelector("#assistant-draft input:not([type=hidden])") ||
    document.getElementById("text");
  if (next) next.focus();
  if (log) log.setAttribute("aria-busy", "false");
});
