/* The opportunity form: party picker, items table with live amounts, exchange rate, stage
   probability. The server recomputes every number; this only shows them as you type. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-opportunity-form]");
  if (!form) return;
  const config = JSON.parse(document.getElementById("form-config").textContent);
  const $ = (sel, root) => (root || form).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || form).querySelectorAll(sel));

  /* --- party picker ------------------------------------------------------------------- */
  const picker = $("[data-party-picker]");
  const hidden = $("#id_party_name");
  const search = $("#party-search");
  const results = $("#party-results");
  function choose(name, label) {
    hidden.value = name;
    $("[data-party-name]", picker).textContent = name;
    $("[data-party-label]", picker).textContent = label || name;
    $("[data-party-chosen]", picker).hidden = !name;
    $("[data-party-empty]", picker).hidden = !!name;
    results.replaceChildren();
    search.value = "";
  }
  results.addEventListener("click", (e) => {
    const button = e.target.closest("[data-pick]");
    if (!button) return;
    choose(button.dataset.pick, button.dataset.label);
    search.focus();
  });
  results.addEventListener("keydown", (e) => {
    const buttons = $$("button", results);
    const i = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && i < buttons.length - 1) { buttons[i + 1].focus(); e.preventDefault(); }
    if (e.key === "ArrowUp") { (i > 0 ? buttons[i - 1] : search).focus(); e.preventDefault(); }
    if (e.key === "Escape") { results.replaceChildren(); search.focus(); }
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { const first = $("button", results); if (first) { first.focus(); e.preventDefault(); } }
    if (e.key === "Enter") e.preventDefault(); // typing in the search never submits the form
  });
  $$("input[name=opportunity_from]").forEach((radio) => radio.addEventListener("change", () => {
    $("[data-party-kind]", picker).textContent = radio.value.toLowerCase();
    choose("", "");
  }));

  /* --- stage -> probability ----------------------------------------------------------- */
  const stage = $("#id_sales_stage");
  const probability = $("#id_probability");
  if (stage && probability) {
    stage.addEventListener("change", () => {
      const p = config.stages[stage.value];
      if (p !== undefined) probability.value = p;
    });
  }

  /* --- currency and conversion rate ---------------------------------------------------- */
  const currency = $("#id_currency");
  const rate = $("#id_conversion_rate");
  const precision = () => { const p = config.precisions[currency.value]; return p === undefined ? 2 : p; };
  function showRate() {
    $("[data-rate-from]").textContent = currency.value;
    $("[data-rate-value]").textContent = rate.value || "?";
    $("[data-total-currency]").textContent = currency.value;
  }
  currency.addEventListener("change", async () => {
    if (currency.value === config.company_currency) {
      rate.value = "1";
    } else {
      const url = form.dataset.rateUrl + "?currency=" + encodeURIComponent(currency.value);
      try {
        const data = await (await fetch(url, { headers: { Accept: "application/json" } })).json();
        rate.value = data.rate || "";
        if (!data.rate) Opportune.flash("No exchange rate is recorded for " + currency.value + ": enter the conversion rate.", "warning");
      } catch (err) { /* keep what was there */ }
    }
    showRate();
    recalc();
  });
  rate.addEventListener("input", showRate);

  /* --- items table ---------------------------------------------------------------------- */
  const tbody = $("[data-item-rows]");
  const template = document.getElementById("item-row-template");
  const options = document.getElementById("item-options");
  const known = new Map();
  let nextIndex = $$("[data-item-row]", tbody).length;

  const number = (v) => { const n = parseFloat(String(v).replace(/,/g, "")); return Number.isFinite(n) ? n : NaN; };
  const fmt = (n) => n.toLocaleString("en-US", { minimumFractionDigits: precision(), maximumFractionDigits: precision() });

  function recalc() {
    let total = 0;
    $$("[data-item-row]", tbody).forEach((row) => {
      const qtyText = $("[data-item-qty]", row).value.trim();
      const qty = qtyText === "" ? 1 : number(qtyText);
      const rateText = $("[data-item-rate]", row).value.trim();
      const r = rateText === "" ? number($("[data-item-rate]", row).dataset.standard || "") : number(rateText);
      const cell = $("[data-item-amount]", row);
      if (Number.isFinite(qty) && Number.isFinite(r)) {
        const factor = 10 ** precision();
        const amount = Math.round(qty * r * factor) / factor;
        total += amount;
        cell.textContent = fmt(amount);
      } else {
        cell.textContent = "";
      }
    });
    $("[data-items-total]").textContent = fmt(total);
    const rows = $$("[data-item-row]", tbody).length;
    $("[data-items-empty]").hidden = rows > 0;
    const amount = $("#id_opportunity_amount");
    if (amount) amount.placeholder = rows > 0 ? "= items total (" + fmt(total) + ")" : "";
  }

  function addRow() {
    const html = template.innerHTML.replaceAll("__idx__", String(nextIndex));
    nextIndex += 1;
    tbody.insertAdjacentHTML("beforeend", html);
    const row = tbody.lastElementChild;
    $("[data-item-code]", row).focus();
    recalc();
    return row;
  }

  let searchTimer = null;
  async function loadItems(text) {
    const url = form.dataset.itemUrl + "?q=" + encodeURIComponent(text);
    const data = await (await fetch(url, { headers: { Accept: "application/json" } })).json();
    options.replaceChildren(...data.results.map((item) => {
      known.set(item.code, item);
      const option = document.createElement("option");
      option.value = item.code;
      option.label = item.name + " · " + item.rate + " / " + item.uom;
      return option;
    }));
  }
  function applyItem(row) {
    const item = known.get($("[data-item-code]", row).value.trim());
    $("[data-item-name]", row).textContent = item ? item.name : "";
    if (!item) return;
    const rateInput = $("[data-item-rate]", row);
    rateInput.dataset.standard = item.rate;
    if (!rateInput.value) rateInput.value = item.rate;
    const uomInput = $("[data-item-uom]", row);
    if (!uomInput.value) uomInput.value = item.uom;
    const qtyInput = $("[data-item-qty]", row);
    if (!qtyInput.value) qtyInput.value = "1";
  }

  form.addEventListener("click", (e) => {
    if (e.target.closest("[data-add-item]")) { addRow(); }
    const remove = e.target.closest("[data-remove-item]");
    if (remove) { remove.closest("[data-item-row]").remove(); recalc(); }
  });
  tbody.addEventListener("input", (e) => {
    if (e.target.matches("[data-item-code]")) {
      clearTimeout(searchTimer);
      const row = e.target.closest("[data-item-row]");
      const text = e.target.value.trim();
      searchTimer = setTimeout(async () => { await loadItems(text); applyItem(row); recalc(); }, 200);
    }
    recalc();
  });
  tbody.addEventListener("change", (e) => {
    if (e.target.matches("[data-item-code]")) { applyItem(e.target.closest("[data-item-row]")); recalc(); }
  });
  tbody.addEventListener("focusin", (e) => {
    if (e.target.matches("[data-item-code]") && !options.children.length) loadItems("");
  });

  showRate();
  recalc();
});
