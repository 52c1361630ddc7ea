/* The assignment rule form: add and remove condition and user rows, and the day buttons. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-rule-form]");
  if (!form) return;
  form.querySelectorAll("[data-condition]").forEach((box) => {
    const rows = box.querySelector("[data-rows]");
    box.querySelector("[data-add-row]").addEventListener("click", () => {
      const first = rows.querySelector("[data-row]");
      const copy = first.cloneNode(true);
      copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
      copy.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
      rows.appendChild(copy);
    });
    rows.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove-row]");
      if (!button) return;
      const row = button.closest("[data-row]");
      if (rows.querySelectorAll("[data-row]").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach((input) => { input.value = ""; });
        row.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
      }
    });
  });
  form.querySelectorAll("[data-days]").forEach((button) => {
    button.addEventListener("click", () => {
      const days = button.dataset.days.split(",");
      form.querySelectorAll("input[name=assignment_days]").forEach((box) => {
        box.checked = days.includes(box.value);
      });
    });
  });
});
