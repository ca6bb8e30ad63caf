/* cityhall statistics page: the charts, drawn with the vendored ECharts from the figures the
   page carries (#stats-charts). The tables below each chart hold the same figures, so the page
   says everything without this file. Numbers are written the reader's way (Intl). */
(function () {
  "use strict";

  var RED = "#a4161a", INK = "#1b1f24", GREY = "#8a96a3", GOLD = "#c28a00";

  function numberFormat() {
    var lang = document.documentElement.lang || "vi";
    return new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  }

  function base(fmt) {
    return {
      aria: { enabled: true },
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      textStyle: { fontFamily: "inherit", color: INK, fontSize: 13 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null || v === undefined ? "—" : fmt.format(v); }
      },
      legend: { top: 0, left: "center" },
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true }
    };
  }

  function months(el, data, words, fmt) {
    var option = base(fmt);
    option.xAxis = { type: "category", data: data.labels, axisLabel: { hideOverlap: true } };
    option.yAxis = [
      { type: "value", minInterval: 1, axisLabel: { formatter: function (v) { return fmt.format(v); } } },
      { type: "value", min: 0, max: 100, axisLabel: { formatter: function (v) { return fmt.format(v) + "%"; } } }
    ];
    option.series = [
      { name: words.received, type: "bar", data: data.received, itemStyle: { color: GREY }, barMaxWidth: 48 },
      { name: words.resolved, type: "bar", data: data.resolved, itemStyle: { color: RED }, barMaxWidth: 48 },
      { name: words.on_time, type: "line", yAxisIndex: 1, data: data.on_time,
        itemStyle: { color: GOLD }, lineStyle: { width: 3 }, connectNulls: true }
    ];
    return option;
  }

  function categories(el, data, words, fmt) {
    var option = base(fmt);
    option.tooltip.axisPointer = { type: "shadow" };
    // Long category names break onto lines within a third of the chart's width.
    var labelWidth = Math.max(90, Math.min(220, Math.floor(el.clientWidth / 3)));
    option.yAxis = { type: "category", data: data.labels, inverse: true,
                     axisLabel: { width: labelWidth, overflow: "break", lineHeight: 15 } };
    option.xAxis = { type: "value", minInterval: 1, axisLabel: { formatter: function (v) { return fmt.format(v); } } };
    option.series = [
      { name: words.received, type: "bar", data: data.received, itemStyle: { color: GREY }, barMaxWidth: 18 },
      { name: words.resolved, type: "bar", data: data.resolved, itemStyle: { color: RED }, barMaxWidth: 18 }
    ];
    // Room for every category's name and bars.
    el.style.height = Math.max(240, 60 + data.labels.length * 56) + "px";
    return option;
  }

  function draw() {
    var source = document.getElementById("stats-charts");
    if (!source || typeof echarts === "undefined") { return; }
    var figures = JSON.parse(source.textContent);
    var fmt = numberFormat();
    var builders = { months: months, categories: categories };
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.dataset.chart];
      if (!build) { return; }
      var option = build(el, figures[el.dataset.chart], figures.words, fmt);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.classList.add("chart-ready");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
