/* Home dashboard: the pipeline-by-stage bar chart (Chart.js, data from an SQL aggregate). */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("pipeline-chart");
  const source = document.getElementById("pipeline-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [{
        label: "Amount (" + data.currency + ")", data: data.amounts.map(Number),
        backgroundColor: "rgba(79, 70, 229, .75)", borderRadius: 6, maxBarThickness: 48,
      }],
    },
    options: {
      responsive: true, maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { afterLabel: (ctx) => data.counts[ctx.dataIndex] + " opportunities" } },
      },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { autoSkip: false, maxRotation: 60 } } },
    },
  });
});
