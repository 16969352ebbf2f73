// Analysis tab, part 1: the objective every analysis chart plots (the first, or one chosen when the
// tuner's classArgs name several), and parameter importance from GET /api/v1/importance (asked
// again only when the number of succeeded trials or the objective changes; the server caches too).
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const WHY = "Permutation importance of a random forest (scikit-learn, 32 trees) fitted on the succeeded trials: " +
    "how much worse the forest predicts the metric on held-out trials when one parameter's values are shuffled, " +
    "as a share of the total. Chosen over the forest's own (impurity) importance, which favours parameters with " +
    "many distinct values, and over fANOVA, which costs far more at 10,000 trials. A choice is shuffled with the " +
    "parameters nested under it; a nested parameter only among the trials where it is active. Above 2,000 trials, " +
    "a random subsample of 2,000.";
  let asked = "", pending = false;

  // the objectives: [{name, direction}] (one, "default", unless the tuner names several)
  AL.objectives = function () {
    const args = (((AL.state.profile || {}).config || {}).tuner || {}).classArgs || {};
    let obj = args.objectives;
    const mode = args.optimize_mode || "maximize";
    if (Array.isArray(obj)) obj = Object.fromEntries(obj.map((n) => [n, mode]));
    if (!obj || typeof obj !== "object" || !Object.keys(obj).length) return [{name: "default", direction: AL.maximize() ? "maximize" : "minimize"}];
    return Object.entries(obj).map(([name, direction]) => ({name, direction}));
  };

  // an objective's number in a trial: the dict's key; the first objective (and "default") fall back
  // to the default number, as the server reads them (autolab/objectives.py)
  AL.objectiveValue = function (t, name, first) {
    const m = t.metrics;
    if (m && name in m && name !== "default") return typeof m[name] === "number" ? m[name] : null;
    return name === "default" || name === first ? (t.value ?? null) : null;
  };

  AL.analysisObjective = function () {
    const all = AL.objectives();
    const chosen = all.find((o) => o.name === $("analysis-objective").value) || all[0];
    return {...chosen, first: all[0].name, value: (t) => AL.objectiveValue(t, chosen.name, all[0].name), maximize: chosen.direction !== "minimize"};
  };

  function fillObjectives() {
    const all = AL.objectives(), sel = $("analysis-objective");
    const names = all.map((o) => o.name).join(",");
    if (sel.dataset.names === names) return;
    sel.dataset.names = names;
    sel.innerHTML = all.map((o) => `<option value="${AL.esc(o.name)}">${AL.esc(o.name)} (${o.direction})</option>`).join("");
    $("analysis-objective-label").hidden = all.length < 2;
  }

  function draw(answer) {
    const rows = [...answer.importances].reverse();  // largest at the top of a horizontal bar chart
    const notes = [];
    if (answer.message) notes.push(answer.message);
    else {
      notes.push(`fitted on ${answer.used === answer.trials ? answer.used : "a random " + answer.used + " of " + answer.trials} trials, ` +
        `evaluated on ${answer.evaluatedOn}; the forest explains R² = ${AL.num(answer.r2, 2)} of the metric`);
      if (answer.r2 !== null && answer.r2 < 0.2) notes.push("low R²: the figures say little");
    }
    if (answer.skipped) notes.push(answer.skipped + " trials outside the current search space left out");
    $("importance-note").textContent = notes.join("; ");
    AL.chart("chart-importance").setOption({
      animation: false,
      grid: {left: 160, right: 40, top: 10, bottom: 30},
      tooltip: {trigger: "item", formatter: (p) => AL.esc(p.name) + " (" + AL.esc(rows[p.dataIndex].type) + ")<br>" + AL.num(100 * p.value, 3) + "% of the importance"},
      xAxis: {type: "value", max: 1, axisLabel: {formatter: (v) => Math.round(100 * v) + "%"}},
      yAxis: {type: "category", data: rows.map((r) => r.parameter), axisLabel: {width: 150, overflow: "truncate"}},
      series: [{type: "bar", data: rows.map((r) => r.importance), itemStyle: {color: "#2f80ed"},
                label: {show: true, position: "right", formatter: (p) => Math.round(100 * p.value) + "%"}}],
    }, true);
    AL.state.importance = answer;
  }

  AL.renderImportance = async function () {
    fillObjectives();
    $("importance-info").title = WHY;
    const objective = AL.analysisObjective().name;
    let done = 0;
    for (const t of AL.state.trials.values()) if (t.status === "SUCCEEDED") done++;
    const key = objective + "|" + done;
    if (key === asked || pending || typeof echarts === "undefined") return;
    pending = true;
    try {
      const answer = await AL.request("GET", "api/v1/importance?objective=" + encodeURIComponent(objective));
      asked = key;
      draw(answer);
    } catch (e) {
      $("importance-note").textContent = e.message;
    } finally {
      pending = false;
    }
  };
  // once the page has drawn, ask for the importance in the background: the server's first answer
  // loads scikit-learn (seconds) and fits; then the Analysis tab finds it cached
  window.addEventListener("load", () => setTimeout(function prefetch() {
    if (!AL.state.profile) return setTimeout(prefetch, 1000);
    if ([...AL.state.trials.values()].some((t) => t.status === "SUCCEEDED")) AL.request("GET", "api/v1/importance").catch(() => {});
  }, 1500));
})(window.AL);
