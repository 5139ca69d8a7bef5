// Draws the dashboard charts from the JSON the page embeds with json_script (CSP: no inline JS).
(function () {
  "use strict";
  var COLOURS = ["#1b7f3b", "#7fb069", "#e6c229", "#f17105", "#d11149", "#6a0f2c"];

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

    var trend = document.getElementById("dso-trend");
    if (trend) {
      new Chart(trend, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [{ label: "DSO (days)", data: data.dso, borderColor: "#1f5fbf",
                       backgroundColor: "#1f5fbf", tension: 0.2, spanGaps: true }]
        },
        options: { maintainAspectRatio: false, animation: false,
                   scales: { y: { beginAtZero: true, title: { display: true, text: "days" } } } }
      });
    }

    var aged = document.getElementById("aged-debt");
    if (aged) {
      new Chart(aged, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.aged.map(function (series, i) {
            return { label: series.label, data: series.data, backgroundColor: COLOURS[i % COLOURS.length] };
          })
        },
        options: {
          maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true },
                    y: { stacked: true, ticks: { callback: function (v) { return money.format(v); } } } },
          plugins: { tooltip: { callbacks: { label: function (c) {
            return c.dataset.label + ": " + money.format(c.parsed.y);
          } } } }
        }
      });
    }
    document.body.setAttribute("data-charts-drawn", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
