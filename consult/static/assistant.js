// The assistant's conversation after each htmx swap: show the latest reply and put the focus where the
// keyboard user continues (the draft or sign-in form when one opened, else the message box).
document.addEventListener("htmx:afterSwap", function (event) {
  if (!event.detail.target || event.detail.target.id !== "assistant") return;
  var log = document.getElementById("assistant-log");
  var last = document.getElementById("derniere-reponse");
  if (last) last.scrollIntoView({ block: "nearest" });
  var next = document.querySelector("#assistant-login input, #assistant-draft [aria-invalid=true], #assistant-draft input") ||
    document.getElementById("text");
  if (next) next.focus();
  if (log) log.setAttribute("aria-busy", "false");
});
