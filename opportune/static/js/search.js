/* The header's search box (decision 0026): Ctrl-K / Cmd-K focuses it; the arrow keys move
   through the results htmx swapped in below it, Enter opens one, Escape closes them. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("global-search");
  const box = document.getElementById("global-search-results");
  if (!input || !box) return;
  const links = () => Array.from(box.querySelectorAll("a[data-search-result]"));
  const close = () => { box.replaceChildren(); box.classList.remove("open"); };

  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.target === box) box.classList.toggle("open", box.childElementCount > 0);
  });

  const move = (event, step) => {
    const all = links();
    if (!all.length) return;
    event.preventDefault();
    const at = all.indexOf(document.activeElement);
    const next = at + step;
    if (next < 0) input.focus();
    else all[Math.min(next, all.length - 1)].focus();
  };

  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") move(event, 1);
    else if (event.key === "Escape") close();
    else if (event.key === "Enter" && links().length && input.value.trim()) {
      event.preventDefault();  // the first result, as the box shows it; the page is one click away
      links()[0].click();
    }
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") move(event, 1);
    else if (event.key === "ArrowUp") move(event, -1);
    else if (event.key === "Escape") { close(); input.focus(); }
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".globalsearch")) box.classList.remove("open");
  });
  input.addEventListener("focus", () => { if (box.childElementCount) box.classList.add("open"); });
});
