// Charts tab (ECharts, vendored): metric per trial with best-so-far, intermediate results of the
// selected trials, parallel coordinates of the hyper-parameters coloured by metric, durations.
"use strict";
(function (AL) {
  const charts = {};
  const GOOD_LAST = ["#d94e5d", "#eac736", "#3a9d5d"];  // low -> high when maximizing
  const interCache = new Map();  // trial id -> {count, points}
  AL.chartsDirty = true;
  let drawnVersion = -1;

  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, {renderer: "canvas"});
    return charts[id];
  }

  function finished() {
    return [...AL.state.trials.values()].filter((t) => t.value !== null && t.value !== undefined)
      .sort((a, b) => a.sequence - b.sequence);
  }

  function drawMetric(done) {
    const max = AL.maximize();
    let best = null;
    const bestLine = [];
    for (const t of done) {
      if (t.status === "SUCCEEDED" && (best === null || (max ? t.value > best : t.value < best))) best = t.value;
      if (best !== null) bestLine.push([t.sequence, best]);
    }
    chart("chart-metric").setOption({
      animation: false,
      grid: {left: 60, right: 20, top: 30, bottom: 40},
      legend: {top: 0, data: ["trial", "best so far"]},
      tooltip: {trigger: "item", formatter: (p) => p.seriesName === "trial" ? "trial " + p.data[2] + "<br>#" + p.data[0] + ": " + AL.num(p.data[1]) : "best " + AL.num(p.data[1])},
      xAxis: {type: "value", name: "trial #", nameLocation: "middle", nameGap: 25, min: 0, minInterval: 1},
      yAxis: {type: "value", scale: true, name: "metric"},
      series: [
        {name: "trial", type: "scatter", symbolSize: 6, large: done.length > 2000, data: done.map((t) => [t.sequence, t.value, t.id])},
        {name: "best so far", type: "line", step: "end", showSymbol: false, data: bestLine},
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
      yAxis: {type: "value", scale: true},
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
    const keys = AL.state.paramKeys;
    const flat = done.map((t) => AL.flatParams(t.parameter));
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
    dims.push({dim: keys.length, name: "metric"});
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
                  right: 0, top: "middle", calculable: true, inRange: {color: AL.maximize() ? GOOD_LAST : [...GOOD_LAST].reverse()}},
      series: [{type: "parallel", lineStyle: {width: 1, opacity: 0.45}, progressive: 500, data}],
    }, true);
  }

  function drawDurations() {
    const data = [...AL.state.trials.values()].filter((t) => t.startTime).sort((a, b) => a.sequence - b.sequence)
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
    drawParallel(done);
    drawDurations();
    await drawIntermediate();
  };

  AL.resizeCharts = () => Object.values(charts).forEach((c) => c.resize());
  window.addEventListener("resize", AL.resizeCharts);
})(window.AL);
