// Analysis tab, part 1: the objective every analysis chart plots (the first, or one chosen when the
// tuner's classArgs name several), and parameter importance from GET /api/v1/importance (asked
// again only when the number of succeeded trials or the objective changes; the server caches too).
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const WHY = "Permutation importance of a random forest (scikit-learn, 32 trees) fitted on the completed trials " +
    "(of the budget chosen, in a multi-fidelity experiment): " +
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

  // multi-fidelity experiments: the analysis reads one budget's trials (a 1-epoch result does not rank
  // with a 27-epoch one). Offered: each budget with results; chosen at first as the server does (the
  // largest budget with at least MIN_BUDGET_TRIALS results, else the one with the most); "all" mixes.
  const MIN_BUDGET_TRIALS = 10;
  const budgetOf = AL.budgetOf;
  function fillBudgets() {
    const counts = new Map();
    for (const t of AL.state.trials.values()) {
      const b = budgetOf(t);
      if (b !== null && (t.status === "SUCCEEDED" || t.status === "PAUSED") && t.value !== null && t.value !== undefined) counts.set(b, (counts.get(b) || 0) + 1);
    }
    const sel = $("analysis-budget");
    $("analysis-budget-label").hidden = counts.size === 0;
    const budgets = [...counts.keys()].sort((a, b) => a - b);
    const names = budgets.map((b) => b + ":" + counts.get(b)).join(",");
    if (sel.dataset.names === names) return;
    sel.dataset.names = names;
    const enough = budgets.filter((b) => counts.get(b) >= MIN_BUDGET_TRIALS);
    const auto = enough.length ? enough[enough.length - 1] : budgets.reduce((a, b) => (counts.get(b) >= counts.get(a) ? b : a), budgets[0]);
    const before = sel.dataset.chosen;  // the user's choice stays while it is offered
    sel.innerHTML = budgets.map((b) => `<option value="${b}">${AL.num(b)} (${counts.get(b)} trials)</option>`).join("") +
      (budgets.length ? `<option value="all">all budgets</option>` : "");
    sel.value = before && (before === "all" || counts.has(Number(before))) ? before : String(auto);
  }
  // the budget the analysis reads: a number, or null for every trial
  AL.analysisBudget = function () {
    if ($("analysis-budget-label").hidden) return null;
    const v = $("analysis-budget").value;
    return v === "all" || v === "" ? null : Number(v);
  };
  AL.inAnalysisBudget = function (t) {
    const b = AL.analysisBudget();
    return b === null || budgetOf(t) === b;
  };

  function draw(answer) {
    const rows = [...answer.importances].reverse();  // largest at the top of a horizontal bar chart
    const notes = [];
    if (answer.message) notes.push(answer.message);
    else {
      const at = answer.budget !== null && answer.budget !== undefined ? " at budget " + AL.num(answer.budget) : answer.budgets && answer.budgets.length ? " of all budgets" : "";
      notes.push(`fitted on ${answer.used === answer.trials ? answer.used : "a random " + answer.used + " of " + answer.trials} trials${at}, ` +
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
    fillBudgets();
    $("importance-info").title = WHY;
    const objective = AL.analysisObjective().name;
    const budget = $("analysis-budget-label").hidden ? null : $("analysis-budget").value;
    let done = 0;
    for (const t of AL.state.trials.values()) if (t.status === "SUCCEEDED" || t.status === "PAUSED") done++;
    const key = objective + "|" + budget + "|" + done;
    if (key === asked || pending || typeof echarts === "undefined") return;
    pending = true;
    try {
      const query = "objective=" + encodeURIComponent(objective) + (budget === null ? "" : "&budget=" + encodeURIComponent(budget));
      const answer = await AL.request("GET", "api/v1/importance?" + query);
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
