// Rungs tab (multi-fidelity experiments: Hyperband, BOHB, ASHA promotion, PBT): for each bracket, each rung's budget
// and its trials, coloured by what happened to them there (GET /api/v1/rungs): promoted to the next
// rung, stopped at this budget, ran at the largest budget (top), waiting to be continued (paused: ASHA's
// promotion mode), not judged yet, running, failed.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const PER_RUNG = 300;  // chips drawn per rung (the best first); the counts say how many there are
  const ORDER = {promoted: 0, top: 1, running: 2, paused: 3, pending: 4, stopped: 5, failed: 6};
  const EVERY_MS = 3000;  // while trials change, asked at most this often (the server rebuilds it per change)
  let drawnAt = -1, seenAt = -1, loading = false, askedAt = 0;

  // the tab shows once a trial has a fidelity (looked for when the trials change)
  const header = AL.renderHeader;
  AL.renderHeader = function () {
    header();
    if (seenAt === AL.state.version || !$("rungs-tab").hidden) return;
    seenAt = AL.state.version;
    for (const t of AL.state.trials.values()) if (t.fidelity) { $("rungs-tab").hidden = false; break; }
  };

  function chips(rows) {
    const trials = rows.map(([id, config, status, value, outcome]) => ({id, config, status, value, outcome}));
    const sign = AL.maximize() ? -1 : 1;
    const byValue = (a, b) => a.value === null ? (b.value === null ? 0 : 1) : b.value === null ? -1 : (a.value - b.value) * sign;
    const list = [...trials].sort((a, b) => (ORDER[a.outcome] ?? 9) - (ORDER[b.outcome] ?? 9) || byValue(a, b));
    const html = list.slice(0, PER_RUNG).map((t) =>
      `<span class="chip o-${AL.esc(t.outcome)}" data-trial="${AL.esc(t.id)}" title="${AL.esc(t.outcome + " · " + t.status + (t.value === null ? "" : " · " + AL.num(t.value)) + " · config " + t.config)}">${AL.esc(t.id)}</span>`);
    if (list.length > PER_RUNG) html.push(`<span class="muted"> … ${list.length - PER_RUNG} more</span>`);
    return html.join("");
  }

  function draw(view) {
    if (!view.multiFidelity) {
      $("rungs").innerHTML = '<div class="card muted">No trial of this experiment has a budget (a multi-fidelity tuner: Hyperband, BOHB, PBT).</div>';
      return;
    }
    const legend = Object.keys(ORDER).map((o) => `<span class="chip o-${o}">${o}</span>`).join("");
    const most = view.maxBudget === null || view.maxBudget === undefined ? "" : ` <span class="muted">max budget ${AL.num(view.maxBudget)}</span>`;
    const html = [`<div class="card legend">${legend}${most}</div>`];
    for (const b of view.brackets) {
      // PBT's generations have no budget; ASHA promotion's rungs have one but no bracket
      const budgeted = b.rungs.some((r) => r.budget !== null && r.budget !== undefined);
      const cols = b.rungs.map((r) => {
        const counts = Object.entries(r.counts).map(([k, n]) => n + " " + k).join(", ");
        const what = budgeted ? "rung " + r.rung + " · budget " + AL.num(r.budget) : "generation " + r.rung;
        return `<div class="rung" data-rung="${r.rung}"><h4>${what}</h4><div class="muted">${AL.esc(counts)}</div>${chips(r.trials)}</div>`;
      });
      const title = b.bracket !== null ? "Bracket " + b.bracket : budgeted ? "Rungs (asynchronous: no brackets)" : "Population";
      html.push(`<div class="card bracket" data-bracket="${b.bracket}"><h3>${title}</h3><div class="rung-cols">${cols.join("")}</div></div>`);
    }
    $("rungs").innerHTML = html.join("");
  }

  AL.views = AL.views || {};
  AL.views.rungs = async function (force) {
    if (loading || (!force && (drawnAt === AL.state.version || Date.now() - askedAt < EVERY_MS))) return;
    loading = true;
    askedAt = Date.now();
    const version = AL.state.version;
    try {
      draw(await AL.request("GET", "api/v1/rungs"));
      drawnAt = version;
    } catch (e) {
      $("rungs").innerHTML = `<div class="card msg bad">${AL.esc(e.message)}</div>`;
    } finally { loading = false; }
  };

  document.addEventListener("DOMContentLoaded", () => {
    $("rungs").addEventListener("click", (ev) => {
      const chip = ev.target.closest(".chip[data-trial]");
      if (chip) AL.openDetail(chip.dataset.trial);
    });
  });
})(window.AL);
