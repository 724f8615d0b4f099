// The indicator explorer's chart: one line per zone over the periods (data from #chart-data).
(function () {
  var el = document.getElementById("chart");
  var src = document.getElementById("chart-data");
  if (!el || !src || typeof uPlot === "undefined") return;
  var data = JSON.parse(src.textContent);
  var labels = data.labels;
  var zones = Object.keys(data.series);
  if (!labels.length) { el.textContent = "No dated figures to chart."; return; }
  var colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"];
  var series = [{ label: "period", value: function (u, v) { return v == null ? "" : labels[v]; } }];
  zones.forEach(function (z, i) {
    series.push({ label: z, stroke: colours[i % colours.length], width: 2, spanGaps: true,
                  points: { show: true, size: 7 } });
  });
  var x = labels.map(function (_, i) { return i; });
  var rows = [x].concat(zones.map(function (z) { return data.series[z]; }));
  new uPlot({
    width: Math.min(el.clientWidth || 800, 900), height: 300,
    scales: { x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] } },
    axes: [{ splits: function () { return x; },
             values: function (u, vals) { return vals.map(function (v) { return labels[v] || ""; }); } }, {}],
    series: series,
  }, rows, el);
  el.setAttribute("data-ready", "1");
})();
