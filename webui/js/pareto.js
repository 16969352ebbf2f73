// Pareto tab (experiments whose tuner names several objectives): two chosen objectives of every
// succeeded trial, the front from GET /api/v1/pareto in colour (joined by a line), dominated trials
// grey, infeasible ones (outside the constraints) hollow. The front is over all the objectives, so
// with three or more a member may look dominated in a two-objective projection; the note says so.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  let front = null, asked = "", drawnKey = "";

  function fillSelects(names) {
    const xs = $("pareto-x"), ys = $("pareto-y");
    if (xs.dataset.names === names.join(",")) return;
    xs.dataset.names = names.join(",");
    const opts = names.map((n) => `<option>${AL.esc(n)}</option>`).join("");
    xs.innerHTML = opts;
    ys.innerHTML = opts;
    xs.value = names[0];
    ys.value = names[1] || names[0];
    $("pareto-pick").hidden = names.length < 3;
  }

  // as the server's Objectives.violation: a bound on the first objective reads the default number
  function violation(t, constraints, first) {
    for (const [key, c] of Object.entries(constraints || {})) {
      const v = AL.objectiveValue(t, key, first);
      if (typeof v !== "number" || (c.min !== null && v < c.min) || (c.max !== null && v > c.max)) return true;
    }
    return false;
  }

  function draw() {
    const names = Object.keys(front.objectives), first = names[0];
    fillSelects(names);
    const kx = $("pareto-x").value, ky = $("pareto-y").value;
    const onFront = new Set(front.front.map((r) => r.trialJobId));
    const groups = {front: [], dominated: [], infeasible: []};
    for (const t of AL.state.trials.values()) {
      if (t.status !== "SUCCEEDED") continue;
      const x = AL.objectiveValue(t, kx, first), y = AL.objectiveValue(t, ky, first);
      if (x === null || y === null) continue;
      const p = [x, y, t.id, t.sequence];
      if (onFront.has(t.id)) groups.front.push(p);
      else if (violation(t, front.constraints, first)) groups.infeasible.push(p);
      else groups.dominated.push(p);
    }
    groups.front.sort((a, b) => a[0] - b[0]);
    const many = groups.dominated.length > 2000;
    $("pareto-note").textContent = `${front.front.length} trials on the front of ${front.scored} scored` +
      (front.infeasible ? `, ${front.infeasible} infeasible (hollow)` : "") +
      (names.length > 2 ? `; the front is over all ${names.length} objectives, so a member may look dominated in this view` : "");
    const dir = (n) => front.objectives[n] === "maximize" ? "↑ better" : "↓ better";
    const tip = (p) => `trial ${AL.esc(p.data[2])} (#${p.data[3]})<br>${AL.esc(kx)} ${AL.num(p.data[0])}<br>${AL.esc(ky)} ${AL.num(p.data[1])}`;
    AL.chart("chart-pareto").setOption({
      animation: false,
      grid: {left: 70, right: 30, top: 35, bottom: 45},
      legend: {top: 0, data: ["Pareto front", "dominated", "infeasible"]},
      tooltip: {trigger: "item", formatter: tip},
      xAxis: {type: "value", scale: true, name: `${kx} (${dir(kx)})`, nameLocation: "middle", nameGap: 28, axisLine: {onZero: false}},
      yAxis: {type: "value", scale: true, name: `${ky} (${dir(ky)})`, nameLocation: "middle", nameGap: 50, axisLine: {onZero: false}},
      series: [
        {name: "dominated", type: "scatter", large: many, symbolSize: many ? 3 : 6, itemStyle: {color: "#b0b8c1", opacity: 0.6}, data: groups.dominated},
        {name: "infeasible", type: "scatter", symbolSize: 6, itemStyle: {color: "#fff", borderColor: "#9aa5b1", borderWidth: 1}, data: groups.infeasible},
        // joined by a line only when the view shows every objective (else the line would mislead)
        {name: "Pareto front", type: names.length === 2 ? "line" : "scatter", z: 10, symbolSize: 9, lineStyle: {width: 1.5, type: "dashed", color: "#d0312d"},
         itemStyle: {color: "#d0312d"}, data: groups.front},
      ],
    }, true);
  }

  AL.views = AL.views || {};
  AL.views.pareto = async function (force) {
    if (typeof echarts === "undefined") return;
    let done = 0;
    for (const t of AL.state.trials.values()) if (t.status === "SUCCEEDED") done++;
    if (String(done) !== asked) {
      try {
        front = await AL.request("GET", "api/v1/pareto");
        asked = String(done);
        $("pareto-msg").textContent = "";
      } catch (e) {
        $("pareto-msg").textContent = e.message;
        return;
      }
      force = true;
    }
    const key = [AL.state.version, $("pareto-x").value, $("pareto-y").value].join("|");
    if (!front || (!force && key === drawnKey)) return;
    drawnKey = key;
    draw();
  };

  // the tab is offered only when the tuner names several objectives
  AL.showParetoTab = function () {
    const several = AL.objectives().length > 1;
    $("pareto-tab").hidden = !several;
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const id of ["pareto-x", "pareto-y"]) $(id).addEventListener("change", () => AL.views.pareto(true));
  });
})(window.AL);
