/* Loom report charts: draws the chart of a report page, and those of a dashboard's report
   widgets, with Apache ECharts from the report's JSON (each box names it in data-src), and
   opens the list of the records behind a bar, slice or point when it is clicked. The numbers
   and links all come from the server. */
(function () {
  "use strict";

  const boxes = document.querySelectorAll(".loom-chart[data-src]");
  if (!boxes.length) return;
  const en = boxes[0].dataset.lang === "en";

  // An axis tick, which ECharts makes up itself, shortened in the reader's units the server
  // sends (spec.compact: [from, divide by, suffix], smallest first: 万 and 亿, or K and M) and
  // with the site's currency symbol. Every value the report holds comes formatted by the server.
  function compact(value, spec) {
    if (value === null || value === undefined) return "";
    if (spec.unit === "ratio") return (value * 100).toFixed(1) + "%";
    if (spec.unit === "percent") return Number(value).toFixed(1) + "%";
    const abs = Math.abs(value);
    const step = (spec.compact || []).filter((s) => abs >= s[0]).pop();
    const text = step ? String(Number((abs / step[1]).toFixed(2))) + step[2]
      : abs.toLocaleString(en ? "en" : "zh-CN", {maximumFractionDigits: 2});
    return (value < 0 ? "-" : "") + (spec.unit === "money" ? spec.symbol : "") + text;
  }

  // Names in a tooltip are record titles: written as text, never as HTML.
  const esc = (text) => window.echarts.format.encodeHTML(String(text ?? ""));

  // The server's label of a value of series ``s`` at ``i``: ¥17.83万, ¥178.3K.
  function labelOf(spec, s, i) {
    const series = spec.series[s] || {};
    return (series.labels || [])[i] ?? compact((series.data || [])[i], spec);
  }

  function points(spec) {
    const series = spec.series[0] || {data: [], links: []};
    return spec.categories.map((name, i) => ({
      name: name, value: series.data[i], link: series.links[i], text: (series.labels || [])[i],
    }));
  }

  function axisChart(spec, narrow) {
    const horizontal = spec.type === "horizontal_bar";
    const kind = ["line", "area"].includes(spec.type) ? "line" : "bar";
    const categories = {
      type: "category",
      data: spec.categories,
      axisLabel: {hideOverlap: true, rotate: narrow && !horizontal ? 35 : 0, width: narrow ? 80 : 140, overflow: "truncate"},
    };
    const values = {type: "value", axisLabel: {formatter: (v) => compact(v, spec)}};
    return {
      tooltip: {
        trigger: "axis",
        confine: true,
        formatter: (items) => [esc(items[0].axisValueLabel)].concat(items.map((p) =>
          p.marker + esc(p.seriesName) + " " + esc(labelOf(spec, p.seriesIndex, p.dataIndex)))).join("<br>"),
      },
      legend: spec.series.length > 1 ? {type: "scroll", bottom: 0} : undefined,
      grid: {left: 8, right: 16, top: 24, bottom: spec.series.length > 1 ? 40 : 8, containLabel: true},
      xAxis: horizontal ? values : categories,
      yAxis: horizontal ? {...categories, inverse: true} : values,
      series: spec.series.map((s) => ({
        name: s.name,
        type: kind,
        data: s.data,
        stack: spec.type === "stacked_bar" ? "all" : undefined,
        areaStyle: spec.type === "area" ? {} : undefined,
        smooth: false,  // straight segments: a curve would show values between months that are not there
        cursor: "pointer",
      })),
    };
  }

  function pieChart(spec, narrow) {
    const donut = spec.type === "donut";
    return {
      tooltip: {trigger: "item", confine: true, formatter: (p) => p.marker + esc(p.name) + " " + esc(p.data.text) + " (" + p.percent + "%)"},
      legend: {type: "scroll", bottom: 0},
      series: [{
        name: spec.measure_label,
        type: "pie",
        radius: donut ? ["40%", "65%"] : (narrow ? "55%" : "65%"),
        center: ["50%", "45%"],
        data: points(spec),
        label: {show: !narrow, formatter: "{b}: {d}%"},
        avoidLabelOverlap: true,
        cursor: "pointer",
      }],
    };
  }

  function funnelChart(spec, narrow) {
    return {
      tooltip: {trigger: "item", confine: true, formatter: (p) => p.marker + esc(p.name) + " " + esc(p.data.text)},
      legend: {type: "scroll", bottom: 0},
      series: [{
        name: spec.measure_label,
        type: "funnel",
        sort: "none",
        top: 16,
        bottom: 40,
        left: narrow ? "5%" : "15%",
        width: narrow ? "90%" : "70%",
        data: points(spec),
        label: {position: "inside", formatter: (p) => p.name + " " + p.data.text},
        cursor: "pointer",
      }],
    };
  }

  function numberCard(box, body) {
    const spec = body.chart;
    const value = body.totals.values[spec.measure];
    box.classList.add("loom-number");
    const number = document.createElement(body.totals.drill ? "a" : "span");
    number.className = "loom-number-value";
    if (box.id === "report-chart") number.id = "report-number";
    number.textContent = spec.total;
    if (body.totals.drill) number.href = body.totals.drill.portal;
    const caption = document.createElement("div");
    caption.className = "text-body-secondary";
    caption.textContent = spec.measure_label;
    box.replaceChildren(caption, number);
    if (body.previous) {
      const before = body.previous.values[spec.measure];
      const change = document.createElement("div");
      if (box.id === "report-chart") change.id = "report-change";
      if (before) {
        const rate = (value - before) / Math.abs(before);
        change.className = rate >= 0 ? "text-success" : "text-danger";
        change.textContent = (en ? "vs. previous period " : "较上期 ") + (rate >= 0 ? "+" : "") + (rate * 100).toFixed(1) + "%";
      } else {
        change.className = "text-body-secondary";
        change.textContent = en ? "No figure for the previous period" : "上期无数据";
      }
      box.append(change);
    }
  }

  function draw(box, body) {
    const spec = body.chart;
    if (spec.type === "number") return numberCard(box, body);
    if (!spec.categories.length) {
      box.classList.add("loom-number");
      box.textContent = en ? "No records to show for these filters." : "当前筛选条件下没有数据。";
      box.dataset.drawn = "true";
      return;
    }
    const narrow = box.clientWidth < 576;
    const chart = window.echarts.init(box);
    const option = ["pie", "donut"].includes(spec.type) ? pieChart(spec, narrow)
      : spec.type === "funnel" ? funnelChart(spec, narrow) : axisChart(spec, narrow);
    chart.setOption(option);
    chart.on("click", (p) => {
      const link = (p.data && p.data.link) || ((spec.series[p.seriesIndex] || {}).links || [])[p.dataIndex];
      if (link) window.location.href = link;
    });
    window.addEventListener("resize", () => chart.resize());
    box.dataset.drawn = "true";
  }

  boxes.forEach((box) => {
    fetch(box.dataset.src, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((body) => draw(box, body))
      .catch(() => { box.textContent = en ? "The chart could not be drawn." : "图表无法显示。"; });
  });
})();
