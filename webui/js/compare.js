// Compare tab: 2-10 trials ticked in the trials table (or named in a link, #compare=id1,id2,...),
// their parameters and results side by side (rows that differ highlighted) and their intermediate
// results on one chart. Each trial's curve comes from GET /api/v1/trials/{id}, fetched again only
// when its count of intermediate results moves.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const MAX = 10;
  const curves = new Map();  // trial id -> {count, points}
  let drawnKey = "";

  // a link names the trials: they become the ticked ones (on load, and when the address changes)
  function fromLink() {
    const linked = location.hash.match(/^#compare=(.*)$/);
    if (!linked) return false;
    AL.state.selected.clear();
    for (const id of decodeURIComponent(linked[1]).split(",")) if (id) AL.state.selected.add(id);
    return true;
  }
  fromLink();
  window.addEventListener("hashchange", () => {
    if (!fromLink()) return;
    AL.chartsDirty = true;
    AL.updateCompareButton();
    AL.show("compare");
  });

  AL.compareLink = (ids) => "#compare=" + ids.map(encodeURIComponent).join(",");

  AL.updateCompareButton = function () {
    const n = AL.state.selected.size, btn = $("compare-btn");
    if (!btn) return;
    btn.textContent = "compare ticked (" + n + ")";
    btn.disabled = n < 2 || n > MAX;
    btn.title = n > MAX ? "at most " + MAX + " trials" : "tick 2 to " + MAX + " trials";
  };

  function cell(v) {
    if (v === null || v === undefined) return "";
    return typeof v === "object" ? JSON.stringify(v) : AL.num(v);
  }

  function rowsOf(trials) {
    const flat = trials.map((t) => AL.paramsOf(t.parameter));
    const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))];
    const metricKeys = [...new Set(trials.flatMap((t) => Object.keys(t.metrics || {}).filter((k) => k !== "default")))];
    return [
      ["Status", trials.map((t) => t.status), "status"],
      ["Metric", trials.map((t) => t.value), "result"],
      ...metricKeys.map((k) => [k, trials.map((t) => (t.metrics ? t.metrics[k] : null)), "result"]),
      ["Intermediate results", trials.map((t) => t.intermediateCount), "result"],
      ["Duration", trials.map((t) => AL.duration(AL.trialDuration(t))), "result"],
      ...keys.map((k) => [k, flat.map((f) => f[k]), "param"]),
    ];
  }

  function renderTable(trials) {
    const head = "<tr><th></th>" + trials.map((t) =>
      `<th><a href="#" class="mono open-trial" data-id="${AL.esc(t.id)}">${AL.esc(t.id)}</a> <span class="muted">#${t.sequence}</span></th>`).join("") + "</tr>";
    const body = rowsOf(trials).map(([label, values, kind]) => {
      const differs = new Set(values.map((v) => JSON.stringify(v === undefined ? null : v))).size > 1;
      const tds = values.map((v, i) => kind === "status"
        ? `<td><span class="badge st-${String(v).toLowerCase()}">${AL.esc(v)}</span></td>`
        : `<td class="${kind === "param" ? "mono" : "n"}">${AL.esc(cell(v))}</td>`).join("");
      return `<tr class="${kind}${differs && kind === "param" ? " diff" : ""}"><th>${AL.esc(label)}</th>${tds}</tr>`;
    }).join("");
    $("compare-table").innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`;
  }

  async function renderCurves(trials) {
    await Promise.all(trials.map(async (t) => {
      const cached = curves.get(t.id);
      if (cached && cached.count === t.intermediateCount) return;
      const d = await AL.request("GET", "api/v1/trials/" + encodeURIComponent(t.id));
      curves.set(t.id, {count: t.intermediateCount, points: d.intermediate.map((m, i) => [i + 1, m.value])});
    }));
    if (typeof echarts === "undefined") return;
    const shown = trials.filter((t) => curves.has(t.id));
    AL.chart("compare-chart").setOption({
      animation: false,
      grid: {left: 60, right: 20, top: 30, bottom: 40},
      legend: {type: "scroll", top: 0},
      tooltip: {trigger: "axis"},
      xAxis: {type: "value", name: "step", nameLocation: "middle", nameGap: 25, minInterval: 1, min: 1},
      yAxis: AL.metricAxis(shown.flatMap((t) => curves.get(t.id).points.map((p) => p[1])), {name: "intermediate"}),
      series: shown.map((t) => ({name: t.id, type: "line", showSymbol: curves.get(t.id).points.length < 50, data: curves.get(t.id).points})),
    }, true);
  }

  AL.views = AL.views || {};
  AL.views.compare = async function (force) {
    const wanted = [...AL.state.selected];
    const trials = wanted.map((id) => AL.state.trials.get(id)).filter(Boolean).slice(0, MAX);
    const missing = wanted.filter((id) => !AL.state.trials.has(id));
    const key = [AL.chartOpts.log, ...trials.map((t) => [t.id, t.status, t.value, t.intermediateCount].join(":"))].join("|");
    if (!force && key === drawnKey) return;
    drawnKey = key;
    if (history.replaceState) history.replaceState(null, "", trials.length ? AL.compareLink(trials.map((t) => t.id)) : "#compare");
    $("compare-link").href = AL.compareLink(trials.map((t) => t.id));
    const notes = [];
    if (missing.length) notes.push("no trial " + missing.join(", "));
    if (wanted.length > MAX) notes.push("showing the first " + MAX + " of " + wanted.length + " ticked trials");
    if (trials.length < 2) notes.push("tick 2 to " + MAX + " trials in the Trials tab, or open a link #compare=id1,id2");
    $("compare-msg").textContent = notes.join("; ");
    $("compare-body").hidden = trials.length < 2;
    if (trials.length < 2) return;
    renderTable(trials);
    try { await renderCurves(trials); } catch (e) { $("compare-msg").textContent = e.message; }
  };

  document.addEventListener("DOMContentLoaded", () => {
    $("compare-btn").addEventListener("click", () => AL.show("compare"));
    $("compare-clear").addEventListener("click", () => {
      AL.state.selected.clear();
      AL.chartsDirty = true;
      AL.updateCompareButton();
      AL.views.compare(true);
    });
    $("compare-table").addEventListener("click", (ev) => {
      const a = ev.target.closest("a.open-trial");
      if (a) { ev.preventDefault(); AL.openDetail(a.dataset.id); }
    });
    AL.updateCompareButton();
  });
})(window.AL);
