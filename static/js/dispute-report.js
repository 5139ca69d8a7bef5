// Draws the dispute report charts (Pareto of root causes, share of AR in dispute) from the
// JSON the page embeds with json_script (CSP: no inline JS).
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dispute-report-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

    var pareto = document.getElementById("pareto-chart");
    if (pareto) {
      new Chart(pareto, {
        data: {
          labels: data.pareto.labels,
          datasets: [
            { type: "bar", label: "Disputed (" + data.currency + ")", data: data.pareto.amounts,
              backgroundColor: "#1f5fbf", yAxisID: "y", order: 2 },
            { type: "line", label: "Cumulative share (%)", data: data.pareto.cumulative,
              borderColor: "#d11149", backgroundColor: "#d11149", yAxisID: "pct", order: 1 }
          ]
        },
        options: {
          maintainAspectRatio: false, animation: false,
          scales: {
            y: { beginAtZero: true, ticks: { callback: function (v) { return money.format(v); } } },
            pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                   ticks: { callback: function (v) { return v + " %"; } } }
          }
        }
      });
    }

    var share = document.getElementById("share-chart");
    if (share) {
      new Chart(share, {
        type: "line",
        data: {
          labels: data.share.labels,
          datasets: [{ label: "AR in dispute (%)", data: data.share.share, borderColor: "#f17105",
                       backgroundColor: "#f17105", tension: 0.2 }]
        },
        options: { maintainAspectRatio: false, animation: false,
                   scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return v + " %"; } } } } }
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
