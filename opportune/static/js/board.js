/* The kanban board: a card moves by drag and drop (SortableJS) or by its Move button (keyboard);
   each move asks the server, a refusal puts the card back. Messages go to #messages, a polite
   live region, so screen readers hear every outcome. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector("[data-board]");
  if (!board) return;

  // A card's quick plan (its Plan menu): the page holds its form once, in a <template>; the
  // first time a card's menu opens, a copy of it goes in, with the card's name as the reference.
  const planForm = document.getElementById("quick-plan-form");
  if (planForm) {
    const fill = (menu) => {
      if (menu.querySelector("form")) return;
      const form = planForm.content.firstElementChild.cloneNode(true);
      form.querySelector("[name=reference_name]").value = menu.closest("[data-name]").dataset.name;
      menu.append(form);
      if (window.htmx) htmx.process(form);
    };
    board.querySelectorAll("[data-quick-plan]").forEach((menu) => {
      menu.hidden = false;
      if (menu.open) fill(menu);
    });
    // on the summary's click (before the menu shows), and on any other way it opens
    board.addEventListener("click", (event) => {
      const summary = event.target.closest("[data-quick-plan] > summary");
      if (summary) fill(summary.parentElement);
    });
    board.addEventListener("toggle", (event) => {
      if (event.target.matches("[data-quick-plan]") && event.target.open) fill(event.target);
    }, true);
  }

  if (board.dataset.canWrite !== "true" || typeof Sortable === "undefined") return;

  function updateTotals(columns) {
    board.querySelectorAll("[data-column]").forEach((col) => {
      const t = columns[col.dataset.column] || { count: 0, amount: "0", weighted: "0" };
      col.querySelector("[data-count]").textContent = t.count;
      col.querySelector("[data-amount]").textContent = t.amount;
      col.querySelector("[data-weighted]").textContent = t.weighted;
    });
  }

  /** Move a card in the DOM without losing the keyboard focus it holds. */
  function keepingFocus(card, change) {
    const focused = card.contains(document.activeElement) ? document.activeElement : null;
    change();
    if (focused && document.activeElement !== focused) focused.focus();
  }

  function snapBack(move) {
    const ref = move.from.children[move.oldIndex] || null;
    keepingFocus(move.item, () => move.from.insertBefore(move.item, ref));
  }

  /** Save a card already put in its new list: {item, from, to, oldIndex}, as SortableJS's onEnd. */
  async function save(move) {
    const card = move.item;
    const target = move.to.closest("[data-column]").dataset.column;
    const body = new URLSearchParams({
      name: card.dataset.name, version: card.dataset.version, to: target, group_by: board.dataset.groupBy,
    });
    card.classList.add("saving");
    try {
      const response = await fetch(board.dataset.moveUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": Opportune.csrf(), "Accept": "application/json" },
      });
      const data = await response.json().catch(() => ({ ok: false, message: "The server did not answer." }));
      if (!response.ok || !data.ok) {
        snapBack(move);
        Opportune.flash(data.message || "The move was refused.", "error");
        return;
      }
      card.dataset.version = data.version;
      const prob = card.querySelector("[data-probability]");
      if (prob && board.dataset.groupBy === "sales_stage") prob.textContent = data.probability + "%";
      updateTotals(data.columns);
      Opportune.flash(data.message, "success");
    } catch (err) {
      snapBack(move);
      Opportune.flash("The move could not be saved: the network failed.", "error");
    } finally {
      card.classList.remove("saving");
    }
  }

  // A card is dragged by any part of it, its title link included. A press that moves less than
  // fallbackTolerance is a click and opens the opportunity; after a drag the browser sends no
  // click to the link (the card moved in the DOM), and when the card is let go where it was,
  // SortableJS swallows the click itself. On touch a drag starts after a short press (delay).
  board.querySelectorAll("[data-cards]").forEach((list) => {
    Sortable.create(list, {
      group: "board", animation: 150, ghostClass: "sortable-ghost", chosenClass: "sortable-chosen",
      forceFallback: true, fallbackTolerance: 4,
      delayOnTouchOnly: true, delay: 150,
      // A card held at the board's side scrolls the board, wherever the pointer is (near the
      // screen's bottom the page scrolls too, and the board may slide from under the pointer).
      scroll: board,
      // Scroll snapping would undo each small step of SortableJS's auto-scroll: off while dragging.
      onStart: () => board.classList.add("dragging"),
      onEnd: (evt) => {
        board.classList.remove("dragging");
        if (evt.from !== evt.to) save(evt);
      },
    });
  });

  // The keyboard way: each card's Move button opens a dialog listing the columns; the chosen
  // one takes the card at its top (where the server's order, latest change first, puts it),
  // and the focus stays on the card's Move button.
  const dialog = document.querySelector("[data-move-dialog]");
  if (!dialog) return;
  const choices = Array.from(dialog.querySelectorAll("[data-move-to]"));
  let moving = null;

  function openMoveDialog(card) {
    moving = card;
    const here = card.closest("[data-column]").dataset.column;
    dialog.querySelector("[data-move-name]").textContent = card.dataset.name;
    choices.forEach((choice) => {
      const current = choice.dataset.moveTo === here;
      choice.disabled = current;
      if (current) choice.setAttribute("aria-current", "true");
      else choice.removeAttribute("aria-current");
    });
    dialog.showModal();
    const at = choices.findIndex((choice) => choice.disabled);
    const next = choices[at + 1] || choices[at - 1];
    if (next) next.focus();
  }

  function moveTo(card, key) {
    const from = card.parentElement;
    const column = Array.from(board.querySelectorAll("[data-column]")).find((c) => c.dataset.column === key);
    const to = column.querySelector("[data-cards]");
    const oldIndex = Array.prototype.indexOf.call(from.children, card);
    to.prepend(card);
    card.querySelector("[data-move]").focus();
    save({ item: card, from, to, oldIndex });
  }

  board.querySelectorAll("[data-move]").forEach((button) => { button.hidden = false; });
  board.addEventListener("click", (event) => {
    const button = event.target.closest("[data-move]");
    if (button) openMoveDialog(button.closest("[data-name]"));
  });
  dialog.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-move-to]");
    if (!choice || !moving) return;
    dialog.close();
    moveTo(moving, choice.dataset.moveTo);
  });
});
