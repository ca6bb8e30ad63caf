/* cityhall dashboard: the trend chart, drawn with the vendored ECharts from the figures the
   page carries (#indicator-trend): counts as bars on the left axis, shares on time as lines
   on the right. The cards and tables hold every figure, so the page says everything
   without this file. Numbers are written the reader's way (Intl). */
(function () {
  "use strict";

  var COLOURS = ["#8a96a3", "#a4161a", "#c28a00", "#3b6ea5", "#1d6b2a"];

  function draw() {
    var source = document.getElementById("indicator-trend");
    var el = document.querySelector("[data-chart=trend]");
    if (!source || !el || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var lang = document.documentElement.lang || "vi";
    var fmt = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
    var series = data.series.map(function (s, i) {
      var percent = s.unit === "percent";
      return {
        name: s.name, type: percent ? "line" : "bar", yAxisIndex: percent ? 1 : 0,
        data: s.values.map(function (v) { return v === null ? null : (percent ? v * 100 : v); }),
        itemStyle: { color: COLOURS[i % COLOURS.length] }, connectNulls: true,
        barMaxWidth: 24, lineStyle: { width: 3 }, showSymbol: data.labels.length < 40
      };
    });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      textStyle: { fontFamily: "inherit", fontSize: 13 },
      tooltip: { trigger: "axis", valueFormatter: function (v) {
        return v === null || v === undefined ? "—" : fmt.format(v); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
      yAxis: [
        { type: "value", minInterval: 1, axisLabel: { formatter: function (v) { return fmt.format(v); } } },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: function (v) { return fmt.format(v) + "%"; } } }
      ],
      series: series
    });
    el.classList.add("chart-ready");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
