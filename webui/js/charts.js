// Charts tab (ECharts, vendored): metric per trial with best-so-far, intermediate results of the
// selected trials, parallel coordinates of the hyper-parameters coloured by metric, durations.
// Every chart of the page (this tab's, the Analysis tab's) honours AL.chartOpts: the top k% of
// finished trials by metric and a log-scale metric axis, set from any tab's filter bar.
"use strict";
(function (AL) {
  const charts = {};
  const GOOD_LAST = ["#d94e5d", "#eac736", "#3a9d5d"];  // low -> high when maximizing
  const interCache = new Map();  // trial id -> {count, points}
  AL.chartsDirty = true;
  AL.chartOpts = {topk: 100, log: false};
  let drawnVersion = -1;

  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, {renderer: "canvas"});
    return charts[id];
  }
  AL.chart = chart;
  AL.disposeChart = (id) => { if (charts[id]) { charts[id].dispose(); delete charts[id]; } };

  // the metric's colours, worst to best
  AL.metricColors = () => (AL.maximize() ? GOOD_LAST : [...GOOD_LAST].reverse());

  function finished() {
    return [...AL.state.trials.values()].filter((t) => t.value !== null && t.value !== undefined)
      .sort((a, b) => a.sequence - b.sequence);
  }
  AL.finishedTrials = finished;

  // a trial's parameters so, computed once (a changed trial comes back from the poll as a new object)
  AL.trialParams = (t) => t._params || (t._params = AL.paramsOf(t.parameter));
  let keysAt = -1, keys = [];
  AL.paramKeys = function () {
    if (keysAt !== AL.state.version) {
      const seen = new Set();
      for (const t of AL.state.trials.values()) for (const k of Object.keys(AL.trialParams(t))) seen.add(k);
      keys = [...seen];
      keysAt = AL.state.version;
    }
    return keys;
  };

  // the best k% of trials (by value(t), default the metric; in the experiment's direction unless
  // maximize is given), in the order given
  AL.topTrials = function (list, value, maximize) {
    const k = AL.chartOpts.topk;
    value = value || ((t) => t.value);
    const max = maximize === undefined ? AL.maximize() : maximize;
    if (k >= 100 || !list.length) return list;
    const ranked = list.map(value).filter((v) => v !== null && v !== undefined).sort((a, b) => (max ? b - a : a - b));
    if (!ranked.length) return list;
    const cut = ranked[Math.max(0, Math.ceil((ranked.length * k) / 100) - 1)];
    return list.filter((t) => { const v = value(t); return v !== null && v !== undefined && (max ? v >= cut : v <= cut); });
  };

  // a metric axis: log when asked and every value is positive (ECharts' log axis takes no 0 or less)
  AL.metricAxis = function (values, extra) {
    const log = AL.chartOpts.log && values.length > 0 && values.every((v) => v > 0);
    // a log axis ends at the data, not at the enclosing powers of ten (0.9 to 0.95 would be 0.1 to 1)
    const ends = log ? {min: (r) => r.min, max: (r) => r.max, axisLabel: {formatter: (v) => AL.num(v, 3)}} : {};
    return {type: log ? "log" : "value", scale: true, ...ends, name: "metric" + (AL.chartOpts.log && !log ? " (log needs values > 0)" : ""), ...(extra || {})};
  };

  // the "show top k% / log scale" bar; every bar on the page shows the same settings
  AL.filterBar = function (el) {
    const options = [100, 50, 25, 10, 5, 1].map((k) => `<option value="${k}">${k === 100 ? "all finished trials" : "top " + k + "%"}</option>`).join("");
    el.classList.add("toolbar", "filterbar");
    el.innerHTML = `<label>show <select class="topk" title="keep the best k% of finished trials (by metric) on every chart">${options}</select></label>` +
      `<label><input type="checkbox" class="logy"> log-scale metric</label><span class="muted filter-note"></span>`;
    el.addEventListener("change", () => {
      AL.chartOpts.topk = Number(el.querySelector(".topk").value);
      AL.chartOpts.log = el.querySelector(".logy").checked;
      AL.syncFilterBars();
      AL.chartsDirty = true;
      if (AL.rerender) AL.rerender();
    });
  };
  AL.syncFilterBars = function () {
    for (const bar of document.querySelectorAll(".filterbar")) {
      bar.querySelector(".topk").value = String(AL.chartOpts.topk);
      bar.querySelector(".logy").checked = AL.chartOpts.log;
    }
  };

  function drawMetric(done) {
    const max = AL.maximize();
    let best = null, bestBudget = -Infinity;
    const bestLine = [];
    for (const t of done) {  // best so far over every finished trial, whatever the filter shows
      // as the Best card: a result at a larger budget ranks first (a 1-epoch result is not a 27-epoch one)
      const ok = t.status === "SUCCEEDED" || t.status === "PAUSED";
      const budget = AL.budgetOf(t) ?? -Infinity;
      if (ok && (best === null || budget > bestBudget || (budget === bestBudget && (max ? t.value > best : t.value < best)))) {
        best = t.value;
        bestBudget = budget;
      }
      if (best !== null) bestLine.push([t.sequence, best]);
    }
    const shown = AL.topTrials(done);
    const many = shown.length > 2000;
    chart("chart-metric").setOption({
      animation: false,
      grid: {left: 60, right: 20, top: 30, bottom: 40},
      legend: {top: 0, data: ["trial", "best so far"]},
      tooltip: {trigger: "item", formatter: (p) => p.seriesName === "trial" ? "trial " + p.data[2] + "<br>#" + p.data[0] + ": " + AL.num(p.data[1]) : "best " + AL.num(p.data[1])},
      xAxis: {type: "value", name: "trial #", nameLocation: "middle", nameGap: 25, min: 0, minInterval: 1},
      yAxis: AL.metricAxis(shown.map((t) => t.value).concat(bestLine.map((p) => p[1]))),
      series: [
        // at 10,000 points: small, faint dots, so the best-so-far line on top stays readable
        {name: "trial", type: "scatter", symbolSize: many ? 3 : 6, itemStyle: {opacity: many ? 0.35 : 0.8, color: "#5b8ff9"},
         large: many, data: shown.map((t) => [t.sequence, t.value, t.id])},
        {name: "best so far", type: "line", step: "end", showSymbol: false, z: 10, lineStyle: {width: 3, color: "#d0312d"},
         itemStyle: {color: "#d0312d"}, data: bestLine},
      ],
    }, true);
  }

  async function drawIntermediate() {
    let ids = [...AL.state.selected];
    if (!ids.length) {  // nothing ticked: the best few
      const sign = AL.maximize() ? -1 : 1;
      ids = [...AL.state.trials.values()].filter((t) => t.intermediateCount > 0)
        .sort((a, b) => sign * ((a.lastIntermediate ?? 0) - (b.lastIntermediate ?? 0))).slice(0, 5).map((t) => t.id);
    }
    ids = ids.slice(0, 20);
    await Promise.all(ids.map(async (id) => {
      const t = AL.state.trials.get(id);
      const cached = interCache.get(id);
      if (!t || (cached && cached.count === t.intermediateCount)) return;
      const d = await AL.request("GET", "api/v1/trials/" + encodeURIComponent(id));
      interCache.set(id, {count: t.intermediateCount, points: d.intermediate.map((m, i) => [i + 1, m.value])});
    }));
    chart("chart-inter").setOption({
      animation: false,
      grid: {left: 60, right: 20, top: 30, bottom: 40},
      legend: {type: "scroll", top: 0},
      tooltip: {trigger: "axis"},
      xAxis: {type: "value", name: "step", nameLocation: "middle", nameGap: 25, minInterval: 1, min: 1},
      yAxis: AL.metricAxis(ids.filter((id) => interCache.has(id)).flatMap((id) => interCache.get(id).points.map((p) => p[1])), {name: ""}),
      series: ids.filter((id) => interCache.has(id)).map((id) => ({name: id, type: "line", data: interCache.get(id).points})),
    }, true);
  }

  // loguniform / qloguniform dimensions get a log axis
  function spaceType(key) {
    const spec = ((AL.state.profile.config || {}).searchSpace || {})[key];
    return spec && typeof spec._type === "string" ? spec._type : "";
  }

  function logScale(key) {
    return spaceType(key).includes("log");
  }

  function drawParallel(done) {
    const keys = AL.paramKeys();
    const flat = done.map(AL.trialParams);
    const dims = keys.map((k, i) => {
      const vals = flat.map((f) => f[k]).filter((v) => v !== undefined);
      const categorical = vals.some((v) => typeof v !== "number") || spaceType(k) === "choice";
      const d = {dim: i, name: k};
      if (categorical) {
        const uniq = [...new Set(vals)].sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
        d.type = "category";
        d.data = uniq.map(String);
      }
      else if (logScale(k) && vals.every((v) => v > 0)) d.type = "log";
      return d;
    });
    dims.push({dim: keys.length, name: "metric", type: AL.metricAxis(done.map((t) => t.value)).type});
    const data = done.map((t, j) => keys.map((k, i) => {
      const v = flat[j][k];
      if (v === undefined) return null;
      return dims[i] && dims[i].type === "category" ? String(v) : v;
    }).concat([t.value]));
    const values = done.map((t) => t.value);
    let lo = values.length ? values.reduce((a, b) => Math.min(a, b)) : 0;
    let hi = values.length ? values.reduce((a, b) => Math.max(a, b)) : 1;
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    chart("chart-parallel").setOption({
      animation: false,
      parallel: {left: 60, right: 100, top: 40, bottom: 30},
      parallelAxis: dims,
      visualMap: {type: "continuous", dimension: keys.length, min: lo, max: hi,
                  right: 0, top: "middle", calculable: true, precision: 3, inRange: {color: AL.metricColors()}},
      series: [{type: "parallel", lineStyle: {width: 1, opacity: 0.45}, progressive: 500, data}],
    }, true);
  }

  function drawDurations() {
    const all = [...AL.state.trials.values()];
    const data = (AL.chartOpts.topk < 100 ? AL.topTrials(all.filter((t) => t.value !== null && t.value !== undefined)) : all).filter((t) => t.startTime).sort((a, b) => a.sequence - b.sequence)
      .map((t) => [t.sequence, AL.trialDuration(t), t.id, t.status]);
    chart("chart-duration").setOption({
      animation: false,
      grid: {left: 60, right: 20, top: 20, bottom: 40},
      tooltip: {trigger: "item", formatter: (p) => "trial " + p.data[2] + " (" + p.data[3] + ")<br>" + AL.duration(p.data[1])},
      xAxis: {type: "value", name: "trial #", nameLocation: "middle", nameGap: 25, min: 0, minInterval: 1},
      yAxis: {type: "value", name: "seconds"},
      series: [{type: "bar", large: data.length > 2000, data}],
    }, true);
  }

  AL.renderCharts = async function (force) {
    if (typeof echarts === "undefined") return;
    if (!force && !AL.chartsDirty && drawnVersion === AL.state.version) return;
    AL.chartsDirty = false;
    drawnVersion = AL.state.version;
    const done = finished();
    drawMetric(done);
    drawParallel(AL.topTrials(done));
    drawDurations();
    await drawIntermediate();
  };

  // only the charts on screen whose box changed: a resize redraws, and at 10,000 trials that costs
  AL.resizeCharts = () => Object.values(charts).forEach((c) => {
    const el = c.getDom();
    if (el.offsetParent !== null && (el.clientWidth !== c.getWidth() || el.clientHeight !== c.getHeight())) c.resize();
  });
  window.addEventListener("resize", AL.resizeCharts);
  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-filterbar]").forEach(AL.filterBar));
})(window.AL);
