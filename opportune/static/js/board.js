/* The kanban board: SortableJS drag and drop; each drop asks the server, a refusal snaps back. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector("[data-board]");
  if (!board || board.dataset.canWrite !== "true" || typeof Sortable === "undefined") return;

  function updateTotals(columns) {
    board.querySelectorAll("[data-column]").forEach((col) => {
      const t = columns[col.dataset.column] || { count: 0, amount: "0", weighted: "0" };
      col.querySelector("[data-count]").textContent = t.count;
      col.querySelector("[data-amount]").textContent = t.amount;
      col.querySelector("[data-weighted]").textContent = t.weighted;
    });
  }

  function snapBack(evt) {
    const ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
  }

  async function move(evt) {
    if (evt.from === evt.to) return;
    const card = evt.item;
    const target = evt.to.closest("[data-column]").dataset.column;
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
        snapBack(evt);
        Opportune.flash(data.message || "The move was refused.", "error");
        return;
      }
      card.dataset.version = data.version;
      const prob = card.querySelector("[data-probability]");
      if (prob && board.dataset.groupBy === "sales_stage") prob.textContent = data.probability + "%";
      updateTotals(data.columns);
      Opportune.flash(data.message, "success");
    } catch (err) {
      snapBack(evt);
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
      delayOnTouchOnly: true, delay: 150, onEnd: move,
    });
  });
});
