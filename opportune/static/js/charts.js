/* Report charts and sortable tables (reports pages and the home dashboard).
   Each <canvas data-chart-source="ID"> draws the chart of the json_script element ID:
   {"type", "labels", "datasets": [{"name", "values"}]} (API.md's report chart); data-stacked
   stacks the bars. A "waterfall" (one dataset: the first total, the changes, the last total)
   floats each change from where the one before ended. With "links" (one URL or null per
   label) a click on a bar opens its link. A table with data-sortable sorts by a column when
   its header is clicked. */
"use strict";

const PALETTE = [
  "rgba(79, 70, 229, .8)", "rgba(16, 185, 129, .8)", "rgba(245, 158, 11, .8)",
  "rgba(239, 68, 68, .8)", "rgba(14, 165, 233, .8)", "rgba(168, 85, 247, .8)",
  "rgba(100, 116, 139, .8)", "rgba(236, 72, 153, .8)", "rgba(132, 204, 22, .8)",
];

const UP = "rgba(16, 185, 129, .8)";
const DOWN = "rgba(239, 68, 68, .8)";
const TOTAL = "rgba(79, 70, 229, .8)";

function openLink(data) {
  return (event, elements) => {
    if (!data.links || !elements.length) return;
    const link = data.links[elements[0].index];
    if (link) window.location.assign(link);
  };
}

function drawWaterfall(canvas, data) {
  const values = data.datasets[0].values.map(Number);
  const last = values.length - 1;
  let level = 0;
  const bars = values.map((value, i) => {
    if (i === 0 || i === last) { level = value; return [0, value]; }
    const from = level;
    level += value;
    return [from, level];
  });
  const colours = values.map((value, i) => (i === 0 || i === last ? TOTAL : value < 0 ? DOWN : UP));
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{ label: data.datasets[0].name, data: bars, backgroundColor: colours, borderRadius: 4, maxBarThickness: 48 }],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      onClick: openLink(data),
      onHover: (event, elements) => {
        const link = data.links && elements.length && data.links[elements[0].index];
        event.native.target.style.cursor = link ? "pointer" : "default";
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${values[item.dataIndex].toLocaleString()}` } },
      },
      scales: { x: { ticks: { autoSkip: false, maxRotation: 60 } }, y: { beginAtZero: true } },
    },
  });
}

function drawChart(canvas) {
  const source = document.getElementById(canvas.dataset.chartSource);
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  if (!data) return;
  if (data.type === "waterfall") { drawWaterfall(canvas, data); return; }
  const stacked = canvas.dataset.stacked === "1";
  const line = data.type === "line";
  new Chart(canvas, {
    type: line ? "line" : "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set, i) => ({
        label: set.name,
        data: set.values.map(Number),
        backgroundColor: PALETTE[i % PALETTE.length],
        borderColor: PALETTE[i % PALETTE.length],
        borderRadius: line ? 0 : 4,
        maxBarThickness: 48,
        tension: 0.2,
      })),
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      onClick: openLink(data),
      plugins: { legend: { display: data.datasets.length > 1 } },
      scales: {
        x: { stacked, ticks: { autoSkip: true, maxRotation: 60 } },
        y: { stacked, beginAtZero: true },
      },
    },
  });
}

function sortTable(table, column, button) {
  const body = table.tBodies[0];
  const ascending = button.dataset.order !== "asc";
  table.querySelectorAll(".sort-button").forEach((b) => {
    delete b.dataset.order;
    b.closest("th").removeAttribute("aria-sort");
  });
  button.dataset.order = ascending ? "asc" : "desc";
  button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const rows = Array.from(body.rows).filter((row) => row.cells.length > column);
  const key = (row) => row.cells[column].dataset.sort || "";
  const numeric = rows.every((row) => key(row) === "" || !Number.isNaN(Number(key(row))));
  rows.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const order = numeric ? (Number(x || 0) - Number(y || 0)) : x.localeCompare(y);
    return ascending ? order : -order;
  });
  rows.forEach((row) => body.appendChild(row));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("canvas[data-chart-source]").forEach(drawChart);
  document.querySelectorAll("table[data-sortable]").forEach((table) => {
    table.querySelectorAll(".sort-button").forEach((button) => {
      button.addEventListener("click", () => sortTable(table, Number(button.dataset.column), button));
    });
  });
});
