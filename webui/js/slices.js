// Analysis tab, part 2: slice plots (the objective against each parameter, one small chart each,
// points coloured by trial number) and a contour of two chosen parameters (the mean objective of
// the trials in each cell of a grid of up to 24 x 24, the trials on top). Both honour the top-k% and log
// settings. The grid is drawn as rectangles of a custom series on value axes, so log-scaled and
// choice parameters keep their own axes (ECharts' heatmap wants two category axes).
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const MAX_BINS = 24;
  let drawnKey = "", slicesKeys = "";

  // a parameter's search-space spec from its dotted page key (nested: "opt.beta" is the "beta" of
  // one of opt's choice options); "x._name" is the choice x itself
  AL.paramSpec = function (key) {
    let level = ((AL.state.profile || {}).config || {}).searchSpace || {};
    const parts = key.split(".");
    for (let i = 0; i < parts.length; i++) {
      const spec = level[parts[i]];
      if (!spec || typeof spec !== "object") return null;
      if (i === parts.length - 1) return spec;
      const option = (spec._value || []).find((o) => o && typeof o === "object" && parts[i + 1] in o);
      if (!option) return null;
      level = option;
    }
    return null;
  };

  // how an axis shows a parameter: categories (choice, strings), log (log types) or linear
  function axisKind(key, values) {
    const spec = AL.paramSpec(key) || {};
    if (spec._type === "choice" || values.some((v) => typeof v !== "number")) {
      const cats = [...new Set(values)].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
      return {kind: "category", cats: cats.map(String)};
    }
    if (String(spec._type || "").includes("log") && values.every((v) => v > 0)) return {kind: "log"};
    return {kind: "value"};
  }

  // options at integer positions of a value axis (room for jitter and for the contour's cells)
  function categoryAxis(cats) {
    const at = cats.map((_, i) => i);
    return {type: "value", min: -0.5, max: cats.length - 0.5, splitLine: {show: false},
            axisTick: {customValues: at}, axisLabel: {customValues: at, formatter: (v) => cats[Math.round(v)] ?? ""}};
  }

  function points(key, obj, shown) {
    const out = [];
    for (const t of shown) {
      const v = AL.trialParams(t)[key], y = obj.value(t);
      if (v !== undefined && y !== null) out.push({x: v, y, t});
    }
    return out;
  }

  function drawSlice(key, obj, shown) {
    const pts = points(key, obj, shown);
    const ax = axisKind(key, pts.map((p) => p.x));
    const xs = ax.kind === "category" ? pts.map((p) => ax.cats.indexOf(String(p.x))) : pts.map((p) => p.x);
    // options, and whole numbers over a short range, are spread a little sideways so that
    // thousands of trials at one value show as a band, not a line
    const spec = AL.paramSpec(key) || {};
    const few = spec._type === "randint" && spec._value[1] - spec._value[0] <= 32;
    const jitter = ax.kind === "category" ? 0.5 : few ? 0.4 : 0;
    const seqs = pts.map((p) => p.t.sequence);
    const many = pts.length > 2000;
    AL.chart("slice-" + key).setOption({
      animation: false,
      title: {text: key, left: "center", textStyle: {fontSize: 12}},
      grid: {left: 55, right: 15, top: 28, bottom: 30},
      tooltip: {trigger: "item", formatter: (p) => "trial " + AL.esc(pts[p.dataIndex].t.id) + "<br>" + AL.esc(key) + " = " + AL.esc(AL.num(pts[p.dataIndex].x)) + "<br>" + AL.esc(obj.name) + " = " + AL.num(p.data[1])},
      xAxis: ax.kind === "category"
        ? categoryAxis(ax.cats)
        : {type: ax.kind, scale: true},
      yAxis: AL.metricAxis(pts.map((p) => p.y), {name: "", axisLine: {onZero: false}}),
      // colour by trial number up to 2,000 points (large mode draws one colour: no visualMap to compute)
      visualMap: many ? [] : {show: false, type: "continuous", dimension: 2, min: Math.min(...seqs, 0), max: Math.max(...seqs, 1), inRange: {color: ["#c6dbef", "#08306b"]}},
      series: [{type: "scatter", symbolSize: many ? 3 : 6, large: many, itemStyle: {opacity: many ? 0.5 : 0.85, color: "#2f6fc0"},
                data: pts.map((p, i) => [xs[i] + (((p.t.sequence * 0.6180339) % 1) - 0.5) * jitter, p.y, p.t.sequence])}],
    }, true);
  }

  function renderSlices(obj, shown) {
    const keys = AL.paramKeys();
    const holder = $("slices");
    if (slicesKeys !== keys.join("\n")) {
      for (const old of holder.querySelectorAll(".chart")) AL.disposeChart(old.id);
      slicesKeys = keys.join("\n");
      holder.innerHTML = keys.map((k) => `<div id="slice-${AL.esc(k)}" class="chart slice"></div>`).join("");
    }
    for (const k of keys) drawSlice(k, obj, shown);
  }

  // an axis of the contour: positions (log10 for log parameters, option index for categories),
  // bin edges over them and labels back in the parameter's own units
  function contourAxis(key, values, bins) {
    const ax = axisKind(key, values);
    if (ax.kind === "category") {
      return {pos: (v) => ax.cats.indexOf(String(v)), edges: ax.cats.map((_, i) => i - 0.5).concat([ax.cats.length - 0.5]),
              axis: categoryAxis(ax.cats)};
    }
    const log = ax.kind === "log";
    const pos = (v) => (log ? Math.log10(v) : v);
    const ps = values.map(pos);
    let lo = Math.min(...ps), hi = Math.max(...ps);
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    const edges = Array.from({length: bins + 1}, (_, i) => lo + ((hi - lo) * i) / bins);
    return {pos, edges, axis: {type: "value", min: lo, max: hi, axisLabel: {formatter: (v) => AL.num(log ? Math.pow(10, v) : v, 2)}}};
  }

  function bin(edges, p) {
    let i = Math.floor(((p - edges[0]) / (edges[edges.length - 1] - edges[0])) * (edges.length - 1));
    return Math.min(Math.max(i, 0), edges.length - 2);
  }

  const drawn = {"contour-x": "", "contour-y": ""};  // the parameters the contour shows now

  function fillContourSelects() {
    const keys = AL.paramKeys(), xs = $("contour-x"), ys = $("contour-y");
    if (xs.dataset.keys === keys.join("\n")) return;
    xs.dataset.keys = keys.join("\n");
    const opts = keys.map((k) => `<option>${AL.esc(k)}</option>`).join("");
    const keep = [xs.value, ys.value];
    xs.innerHTML = opts;
    ys.innerHTML = opts;
    // default: the two most important top-level parameters, else the first two
    const ranked = ((AL.state.importance || {}).importances || []).map((r) => r.parameter).filter((k) => keys.includes(k));
    const pick = [...ranked, ...keys.filter((k) => !ranked.includes(k))];
    xs.value = keys.includes(keep[0]) ? keep[0] : pick[0] || "";
    ys.value = keys.includes(keep[1]) ? keep[1] : pick[1] || pick[0] || "";
  }

  function renderContour(obj, shown) {
    fillContourSelects();
    const kx = $("contour-x").value, ky = $("contour-y").value;
    drawn["contour-x"] = kx;
    drawn["contour-y"] = ky;
    if (!kx || !ky) return;
    const pts = [];
    for (const t of shown) {
      const f = AL.trialParams(t), y = obj.value(t);
      if (f[kx] !== undefined && f[ky] !== undefined && y !== null) pts.push([f[kx], f[ky], y, t.id]);
    }
    // about two trials a cell on average: a mean over one trial is no surface
    const bins = Math.max(4, Math.min(MAX_BINS, Math.round(Math.sqrt(pts.length / 2))));
    const ax = contourAxis(kx, pts.map((p) => p[0]), bins), ay = contourAxis(ky, pts.map((p) => p[1]), bins);
    const sums = new Map();
    for (const p of pts) {
      const cell = bin(ax.edges, ax.pos(p[0])) + "," + bin(ay.edges, ay.pos(p[1]));
      const s = sums.get(cell) || [0, 0];
      s[0] += p[2]; s[1]++;
      sums.set(cell, s);
    }
    const cells = [...sums].map(([c, [sum, n]]) => { const [i, j] = c.split(",").map(Number); return [i, j, sum / n, n]; });
    const means = cells.map((c) => c[2]);
    let lo = means.length ? Math.min(...means) : 0, hi = means.length ? Math.max(...means) : 1;
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    const colors = obj.maximize ? ["#d94e5d", "#eac736", "#3a9d5d"] : ["#3a9d5d", "#eac736", "#d94e5d"];
    AL.chart("chart-contour").setOption({
      animation: false,
      grid: {left: 70, right: 110, top: 20, bottom: 45},
      tooltip: {trigger: "item", formatter: (p) => p.seriesIndex === 0
        ? "mean " + AL.esc(obj.name) + " " + AL.num(p.data[2]) + " over " + p.data[3] + " trials"
        : "trial " + AL.esc(p.data[3]) + "<br>" + AL.esc(obj.name) + " " + AL.num(p.data[2])},
      xAxis: {...ax.axis, name: kx, nameLocation: "middle", nameGap: 28, axisLine: {onZero: false}},
      yAxis: {...ay.axis, name: ky, nameLocation: "middle", nameGap: 50, axisLine: {onZero: false}},
      visualMap: {type: "continuous", seriesIndex: 0, dimension: 2, min: lo, max: hi, calculable: true, precision: 3, right: 0, top: "middle", inRange: {color: colors}},
      series: [
        {type: "custom", data: cells, encode: {x: 0, y: 1}, renderItem: (params, api) => {
          const i = api.value(0), j = api.value(1);
          const a = api.coord([ax.edges[i], ay.edges[j + 1]]), b = api.coord([ax.edges[i + 1], ay.edges[j]]);
          return {type: "rect", shape: {x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1]}, style: {fill: api.visual("color")}};
        }},
        {type: "scatter", symbolSize: pts.length > 2000 ? 2 : 4, large: pts.length > 2000, itemStyle: {color: "#1f2933", opacity: 0.5},
         data: pts.map((p) => [ax.pos(p[0]), ay.pos(p[1]), p[2], p[3]])},
      ],
    }, true);
  }

  AL.views = AL.views || {};
  AL.views.analysis = async function (force) {
    if (typeof echarts === "undefined") return;
    const obj = AL.analysisObjective();
    const importance = AL.renderImportance();  // first: it offers the budgets (multi-fidelity)
    const budget = AL.analysisBudget();
    const key = [AL.state.version, AL.chartOpts.topk, AL.chartOpts.log, obj.name, budget, $("contour-x").value, $("contour-y").value].join("|");
    if (force || key !== drawnKey) {
      drawnKey = key;
      const shown = AL.topTrials(AL.finishedTrials().filter(AL.inAnalysisBudget), obj.value, obj.maximize);
      renderSlices(obj, shown);
      renderContour(obj, shown);
    }
    await importance;
  };

  document.addEventListener("DOMContentLoaded", () => {
    // a parameter against itself is no contour: choosing the other axis's parameter swaps the two
    for (const [id, other] of [["contour-x", "contour-y"], ["contour-y", "contour-x"]]) {
      $(id).addEventListener("change", () => {
        const before = drawn[id];
        if ($(id).value === $(other).value && before && before !== $(id).value) $(other).value = before;
      });
    }
    $("analysis-budget").addEventListener("change", () => { $("analysis-budget").dataset.chosen = $("analysis-budget").value; });
    for (const id of ["contour-x", "contour-y", "analysis-objective", "analysis-budget"]) $(id).addEventListener("change", () => AL.views.analysis(true));
  });
})(window.AL);
