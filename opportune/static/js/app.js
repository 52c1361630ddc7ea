/* Opportune: small behaviours shared by every page (no build step). */
"use strict";

window.Opportune = {
  /** Show a message at the top of the page (role=alert for errors). */
  flash(text, kind) {
    const box = document.getElementById("messages");
    if (!box) return;
    const div = document.createElement("div");
    div.className = "alert alert-" + (kind || "info");
    div.setAttribute("role", kind === "error" ? "alert" : "status");
    div.textContent = text;
    box.replaceChildren(div);
  },
  csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  },
};

/** Give each cell of a data table the name of its column (data-label), unless it has one. */
function labelCells(root) {
  root.querySelectorAll("table.data").forEach((table) => {
    const heads = table.tHead ? Array.from(table.tHead.rows).at(-1) : null;
    if (!heads) return;
    const names = [];
    Array.from(heads.cells).forEach((th) => {
      // its visible words: not a sort link's hidden "(sorted descending)" nor its arrow
      const words = th.cloneNode(true);
      words.querySelectorAll(".visually-hidden, [aria-hidden=true]").forEach((el) => el.remove());
      const name = words.textContent.replace(/[↑↓▲▼]/g, "").trim();
      for (let i = 0; i < th.colSpan; i += 1) names.push(name);
    });
    Array.from(table.tBodies).forEach((body) => Array.from(body.rows).forEach((row) => {
      let column = 0;
      Array.from(row.cells).forEach((cell) => {
        if (!cell.hasAttribute("data-label") && names[column]) cell.setAttribute("data-label", names[column]);
        column += cell.colSpan;
      });
    }));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  // On a narrow screen the navigation scrolls sideways: bring the current page into view.
  const current = document.querySelector(".mainnav [aria-current=page]");
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "center" });

  // On a phone a table is a stack of cards, each cell under its column's name (app.css).
  labelCells(document);
  document.body.addEventListener("htmx:afterSwap", (event) => labelCells(event.target));

  // On a phone the navigation folds behind the menu button: it opens and closes it; Escape
  // closes it and gives the focus back to the button.
  const menu = document.querySelector("[data-menu-button]");
  const nav = menu && document.getElementById(menu.getAttribute("aria-controls"));
  if (menu && nav) {
    const setOpen = (open) => {
      menu.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    };
    menu.addEventListener("click", () => setOpen(menu.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        menu.focus();
      }
    });
  }

  // Dialogs: buttons with data-open-dialog="id"; data-close-dialog inside; open on load after an error.
  document.querySelectorAll("[data-open-dialog]").forEach((button) => {
    button.addEventListener("click", () => {
      const dialog = document.getElementById(button.dataset.openDialog);
      if (dialog) dialog.showModal();
    });
  });
  document.querySelectorAll("dialog").forEach((dialog) => {
    dialog.querySelectorAll("[data-close-dialog]").forEach((b) => b.addEventListener("click", () => dialog.close()));
    if (dialog.hasAttribute("data-open-on-load")) dialog.showModal();
  });

  // Filter forms (GET) leave empty fields out of the URL, so a bookmark shows only what is set.
  document.querySelectorAll("form[method=get]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("input, select").forEach((el) => {
        if (el.name && el.value === "" && el.type !== "checkbox") el.disabled = true;
      });
    });
  });

  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[method=get] [disabled]").forEach((el) => { el.disabled = false; });
  });

  // Bulk actions on a list: a bar that appears with the first checked row.
  document.querySelectorAll("form[data-bulk]").forEach((form) => {
    const bar = form.querySelector("[data-bulkbar]");
    if (!bar) return;
    const boxes = () => Array.from(form.querySelectorAll("input[name=selected]"));
    const all = form.querySelector("[data-check-all]");
    const action = form.querySelector("[data-bulk-action]");
    const refresh = () => {
      const n = boxes().filter((b) => b.checked).length;
      bar.hidden = n === 0;
      bar.querySelector("[data-bulk-count]").textContent = n + " selected";
      if (all) all.checked = n > 0 && n === boxes().length;
      form.querySelectorAll("[data-bulk-for]").forEach((el) => { el.hidden = el.dataset.bulkFor !== action.value; });
    };
    form.addEventListener("change", refresh);
    if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); refresh(); });
    refresh();
  });
});
