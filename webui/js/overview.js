// Overview tab: status, elapsed/limit, counts by status, best trials, config, controls.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const ORDER = ["RUNNING", "WAITING", "SUCCEEDED", "FAILED", "EARLY_STOPPED", "USER_CANCELED", "NO_RESULT", "PAUSED"];

  AL.renderHeader = function () {
    const p = AL.state.profile;
    $("exp-name").textContent = p.id + (p.name ? " · " + p.name : "") + (p.readonly ? " (read-only view)" : "");
    AL.badge($("exp-status"), p.status);
    $("exp-elapsed").textContent = AL.duration(p.elapsed) + (p.maxExperimentDuration ? " / " + AL.duration(p.maxExperimentDuration) : "");
    document.title = "autolab " + p.id + " · " + p.status;
    renderAlerts(p);
    // served by `autolab view --all` under /e/<id>/: the brand leads back to the experiments list
    if (location.pathname.startsWith("/e/")) {
      $("brand").href = "/";
      $("brand").title = "every experiment";
    }
  };

  // Why the experiment ended in error, and the training service's notes (a remote machine that does
  // not answer, one set aside...), above every tab; as text: they may quote a user's command or host.
  let alertsShown = "";
  function renderAlerts(p) {
    const lines = (p.error ? [["error", "Error: " + p.error]] : []).concat((p.notes || []).map((n) => ["note", n]));
    const key = JSON.stringify(lines);
    if (key === alertsShown) return;
    alertsShown = key;
    const box = $("exp-alerts");
    box.replaceChildren(...lines.map(([kind, text]) => {
      const line = document.createElement("div");
      line.className = "alert alert-" + kind;
      line.textContent = text;
      return line;
    }));
    box.hidden = !lines.length;
  }

  // An experiment that ended before maxTrialNumber because the tuner ran out of points says so
  // under the trial count (NNI would go on repeating points; autolab stops: docs/nni-configs.md).
  function renderRanOut(p) {
    trialsNote("ov-trials-note", p.noMoreTrials ? "ended early: the tuner ran out of points (" + p.noMoreTrials + ")" : "");
  }

  // a muted line under the trial count's bar (made on first use), hidden while it has nothing to say
  function trialsNote(id, text) {
    let note = $(id);
    if (!note) {
      note = document.createElement("div");
      note.id = id;
      note.className = "muted";
      $("ov-trials-bar").parentNode.after(note);
    }
    note.textContent = text;
    note.hidden = !text;
  }

  AL.renderOverview = function () {
    const p = AL.state.profile;
    const limit = p.maxExperimentDuration;
    $("ov-duration").textContent = AL.duration(p.elapsed) + (limit ? " / " + AL.duration(limit) : "");
    $("ov-duration-bar").style.width = limit ? Math.min(100, (100 * p.elapsed) / limit) + "%" : "0";
    // toward maxTrialNumber: the tuner's trials (ended + running); imported ones and re-runs beside them
    const total = p.trialTotal, max = p.maxTrialNumber, other = p.trialTally.other, counted = total - other;
    $("ov-trials").textContent = counted + (max ? " / " + max : "");
    $("ov-trials-bar").style.width = max ? Math.min(100, (100 * counted) / max) + "%" : "0";
    renderRanOut(p);
    trialsNote("ov-trials-other", other ? "+" + other + " imported or re-run, not counted" : "");
    const best = p.best, front = p.front;
    $("ov-best-head").textContent = front ? "Pareto front" : "Best";
    if (front) {  // several objectives: no single best; the front's size (its trials: the Pareto tab)
      $("ov-best").textContent = front.size + (front.size === 1 ? " trial" : " trials");
      $("ov-best-id").textContent = "of " + front.scored + " with every objective" + (front.infeasible ? ", " + front.infeasible + " infeasible" : "");
    } else {
      $("ov-best").textContent = best ? AL.num(best.value) : "–";
      $("ov-best-id").textContent = best ? "trial " + best.trialJobId + " (" + p.optimizeMode + ")" : p.optimizeMode;
    }
    const counts = p.trialCounts || {};
    const statuses = ORDER.filter((s) => counts[s]).concat(Object.keys(counts).filter((s) => !ORDER.includes(s)));
    $("ov-counts").innerHTML = statuses.map((s) =>
      `<tr><td><span class="badge st-${s.toLowerCase()}">${s}</span></td><td class="n">${counts[s]}</td>` +
      `<td class="barcell"><div class="bar"><div class="st-${s.toLowerCase()}" style="width:${total ? (100 * counts[s]) / total : 0}%"></div></div></td></tr>`
    ).join("") || "<tr><td class='muted'>no trials yet</td></tr>";
    renderBest();
    const config = p.config || {};
    $("ov-space").textContent = AL.pretty(config.searchSpace || {});
    const shown = {...config};
    delete shown.searchSpace;
    $("ov-config").textContent = AL.pretty(shown);
    fillControls(p);
  };

  function renderBest() {
    const front = (AL.state.profile || {}).front;
    $("ov-best-title").textContent = front ? "On the Pareto front" : "Best trials";
    if (front) return renderFront(front);
    const sign = AL.maximize() ? -1 : 1;
    const done = [...AL.state.trials.values()].filter((t) => t.status === "SUCCEEDED" && t.value !== null);
    // multi-fidelity: a result at a small budget does not rank with full ones, so the largest budget
    // comes first (as the Best card, `autolab top` and the CLI's "Best:" line read it)
    const budget = (t) => AL.budgetOf(t) ?? Infinity;
    const multi = done.some((t) => budget(t) !== Infinity);
    done.sort((a, b) => (budget(b) - budget(a)) || sign * (a.value - b.value));
    const rows = done.slice(0, 10).map((t) =>
      `<tr data-id="${AL.esc(t.id)}" class="clickable"><td>${AL.esc(t.id)}</td><td>${t.sequence}</td>` +
      `<td class="n">${AL.num(t.value)}</td>` + (multi ? `<td class="n">${budget(t) === Infinity ? "–" : AL.num(budget(t))}</td>` : "") +
      `<td>${AL.esc(AL.paramText(t.parameter))}</td></tr>`);
    $("ov-best-table").innerHTML = "<thead><tr><th>ID</th><th>#</th><th>Metric</th>" + (multi ? "<th>Budget</th>" : "") +
      "<th>Parameters</th></tr></thead><tbody>" +
      (rows.join("") || `<tr><td colspan=${multi ? 5 : 4} class='muted'>no successful trial yet</td></tr>`) + "</tbody>";
  }

  // several objectives: the front's first trials (by sequence), a column per objective
  function renderFront(front) {
    const objectives = AL.objectives(), first = objectives[0].name;
    const rows = front.trials.map((id) => AL.state.trials.get(id)).filter(Boolean).map((t) =>
      `<tr data-id="${AL.esc(t.id)}" class="clickable"><td>${AL.esc(t.id)}</td><td>${t.sequence}</td>` +
      objectives.map((o) => `<td class="n">${AL.num(AL.objectiveValue(t, o.name, first))}</td>`).join("") +
      `<td>${AL.esc(AL.paramText(t.parameter))}</td></tr>`);
    const more = front.size > rows.length ? `<tr><td colspan=${objectives.length + 3} class="muted">${front.size - rows.length} more: the Pareto tab</td></tr>` : "";
    $("ov-best-table").innerHTML = "<thead><tr><th>ID</th><th>#</th>" +
      objectives.map((o) => `<th>${AL.esc(o.name)} (${o.direction === "minimize" ? "min" : "max"})</th>`).join("") +
      "<th>Parameters</th></tr></thead><tbody>" +
      (rows.join("") + more || `<tr><td colspan=${objectives.length + 3} class='muted'>no feasible trial with every objective yet</td></tr>`) + "</tbody>";
  }

  let filled = false;
  function fillControls(p) {
    const form = $("params-form");
    const editing = form.contains(document.activeElement);
    if (!editing || !filled) {
      form.trialConcurrency.value = p.trialConcurrency || "";
      form.maxTrialNumber.value = p.maxTrialNumber || "";
      form.maxExperimentDuration.value = p.maxExperimentDuration ? p.maxExperimentDuration + "" : "";
      filled = true;
    }
    $("token-label").hidden = !(p.tokenRequired && !AL.token());
    const off = p.readonly || ["STOPPED", "ERROR", "STOPPING"].includes(p.status);
    for (const el of form.querySelectorAll("input, button")) el.disabled = off;
    $("stop-btn").disabled = p.readonly || p.status !== "RUNNING";
  }

  function message(text, bad) {
    const el = $("controls-msg");
    el.textContent = text;
    el.className = "msg " + (bad ? "bad" : "good");
  }

  AL.initOverview = function () {
    const form = $("params-form");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (form.token.value) AL.setToken(form.token.value);
      const p = AL.state.profile, body = {};
      const conc = parseInt(form.trialConcurrency.value, 10), max = parseInt(form.maxTrialNumber.value, 10);
      if (conc && conc !== p.trialConcurrency) body.trialConcurrency = conc;
      if (max && max !== p.maxTrialNumber) body.maxTrialNumber = max;
      // sent as written ("90m", "2h", seconds): the server reads it and names what it cannot
      const duration = form.maxExperimentDuration.value.trim();
      if (duration && duration !== String(p.maxExperimentDuration)) body.maxExperimentDuration = duration;
      if (!Object.keys(body).length) return message("nothing changed", false);
      try {
        await AL.request("PUT", "api/v1/experiment/params", body);
        message("updated " + Object.keys(body).join(", "), false);
        AL.refresh();
      } catch (e) { message(e.message, true); }
    });
    $("stop-btn").addEventListener("click", async () => {
      if (!confirm("Stop the experiment? Running trials are cancelled.")) return;
      if (form.token.value) AL.setToken(form.token.value);
      try {
        await AL.request("PUT", "api/v1/experiment/stop");
        AL.state.stopRequested = true;
        AL.badge($("exp-status"), "STOPPING");
        message("stopping…", false);
        AL.refresh();
      } catch (e) { message(e.message, true); }
    });
    $("ov-best-table").addEventListener("click", (ev) => {
      const tr = ev.target.closest("tr[data-id]");
      if (tr) AL.openDetail(tr.dataset.id);
    });
  };
})(window.AL);
