// The detail panel's actions on a trial: re-run it with edited parameters (a form built from the
// search space, checked here and again by the server), retry it (FAILED or USER_CANCELED), download
// its directory as a zip; and where it came from (rerun / retry / import) and its fidelity.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const NUMERIC = ["uniform", "quniform", "loguniform", "qloguniform", "randint", "normal", "qnormal", "lognormal", "qlognormal"];
  const BOUNDED = ["uniform", "quniform", "loguniform", "qloguniform"];
  let trial = null;  // the trial the panel shows (its API item)

  AL.trialOrigin = function (d) {
    const rows = [];
    const m = /^(customized|retry|rerun):(.+)$/.exec(d.source || "");
    const kinds = {customized: "re-run of", retry: "retry of", rerun: "re-run after a crash of"};
    const link = (id) => `<a href="#" class="trial-link" data-trial="${AL.esc(id)}">${AL.esc(id)}</a>`;
    rows.push(["Source", m ? {html: kinds[m[1]] + " " + link(m[2])} : (d.source || "tuner")]);
    const f = d.fidelity;
    if (f) {
      if (f.budget !== null && f.budget !== undefined) rows.push(["Budget", f.budget]);
      const budgeted = f.budget !== null && f.budget !== undefined;
      if (f.bracket !== null && f.bracket !== undefined) rows.push(["Bracket / rung", f.bracket + " / " + f.rung]);
      else if (budgeted) rows.push(["Rung", f.rung]);  // ASHA promotion: rungs, no brackets
      else rows.push(["Generation", f.rung]);  // PBT
      rows.push([budgeted ? "Configuration" : "Member", {html: link(f.config)}]);
    }
    return rows;
  };

  AL.detailActions = function (d) {
    const changed = !trial || trial.trialJobId !== d.trialJobId;
    trial = d;
    const readonly = !AL.state.profile || AL.state.profile.readonly;
    $("d-zip").href = "api/v1/trials/" + encodeURIComponent(d.trialJobId) + "/zip";
    $("d-zip").hidden = !d.directory;  // an imported trial has no files here
    $("d-retry").disabled = readonly || !(d.status === "FAILED" || d.status === "USER_CANCELED");
    $("d-retry").title = readonly ? "read-only view" : "run this FAILED or USER_CANCELED trial again";
    $("d-rerun-btn").disabled = readonly;
    if (changed) $("d-rerun").hidden = true;
    // origin links: open that trial
    for (const a of document.querySelectorAll("#d-info a.trial-link")) {
      a.addEventListener("click", (ev) => { ev.preventDefault(); AL.openDetail(a.dataset.trial); });
    }
  };

  function field(name, value, spec) {
    const label = `<label data-name="${AL.esc(name)}">${AL.esc(name)}`;
    const type = spec && spec._type;
    if (type === "choice" && !spec._value.some((v) => v && typeof v === "object" && "_name" in v)) {
      const opts = spec._value.map((v) => {
        const j = JSON.stringify(v);
        return `<option value="${AL.esc(j)}"${j === JSON.stringify(value) ? " selected" : ""}>${AL.esc(typeof v === "string" ? v : j)}</option>`;
      });
      return `${label}<select data-kind="json">${opts.join("")}</select></label>`;
    }
    if (NUMERIC.includes(type)) {
      // bounds from the space only as numbers (a custom tuner's space is not checked: it may hold anything)
      const range = Array.isArray(spec._value) ? spec._value : [];
      const [lo, hi] = [range[0], range[1]].map((v) => (typeof v === "number" && isFinite(v) ? v : null));
      let bounds = ' step="any"';
      if (lo !== null && hi !== null && BOUNDED.includes(type)) bounds = ` min="${lo}" max="${hi}" step="any"`;
      else if (lo !== null && hi !== null && type === "randint") bounds = ` min="${lo}" max="${hi - 1}" step="1"`;
      return `${label}<input data-kind="number" type="number"${bounds} value="${AL.esc(value)}"></label>`;
    }
    return `${label}<input data-kind="text" value="${AL.esc(typeof value === "string" ? value : JSON.stringify(value))}"></label>`;
  }

  function openForm() {
    const space = (AL.state.profile.config || {}).searchSpace || {};
    const p = trial.parameter || {};
    const names = [...new Set([...Object.keys(space), ...Object.keys(p)])];
    $("d-rerun").innerHTML = "<h3>Re-run with these parameters</h3>" +
      names.map((n) => field(n, n in p ? p[n] : "", space[n])).join("") +
      '<div class="buttons"><button type="submit">Start trial</button> <button type="button" id="d-rerun-cancel">Cancel</button></div>';
    $("d-rerun").hidden = false;
    $("d-rerun-cancel").addEventListener("click", () => { $("d-rerun").hidden = true; });
  }

  // the edited values; an Error naming the parameter when one cannot be a value of it
  function edits() {
    const out = {};
    for (const label of $("d-rerun").querySelectorAll("label[data-name]")) {
      const name = label.dataset.name, input = label.querySelector("input, select");
      let value;
      if (input.dataset.kind === "json") value = JSON.parse(input.value);
      else if (input.dataset.kind === "number") {
        if (input.value.trim() === "" || !isFinite(Number(input.value))) throw new Error(name + ": enter a number");
        value = Number(input.value);
        const lo = input.min === "" ? -Infinity : Number(input.min), hi = input.max === "" ? Infinity : Number(input.max);
        if (value < lo || value > hi) throw new Error(`${name}: ${value} is outside [${input.min}, ${input.max}]`);
        if (input.step === "1" && !Number.isInteger(value)) throw new Error(`${name}: ${value} is not an integer`);
      } else {
        try { value = JSON.parse(input.value); } catch (e) { value = input.value; }
      }
      if (JSON.stringify(value) !== JSON.stringify((trial.parameter || {})[name])) out[name] = value;
    }
    return out;
  }

  function say(text, good) {
    $("d-msg").textContent = text;
    $("d-msg").className = "msg " + (good ? "good" : "bad");
  }

  async function queued(promise, what) {
    try {
      const r = await promise;
      say(what + " queued as trial " + r.trialJobId + " ", true);
      $("d-msg").insertAdjacentHTML("beforeend", `<a href="#" class="trial-link" data-trial="${AL.esc(r.trialJobId)}">open</a>`);
      $("d-msg").querySelector("a").addEventListener("click", (ev) => { ev.preventDefault(); AL.openDetail(r.trialJobId); });
      $("d-rerun").hidden = true;
      AL.refresh();
    } catch (e) { say(e.message, false); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("d-rerun-btn").addEventListener("click", () => { if (trial) openForm(); });
    $("d-rerun").addEventListener("input", () => say("", true));  // an old complaint goes with an edit
    $("d-rerun").addEventListener("submit", (ev) => {
      ev.preventDefault();
      let body;
      try { body = {parameters: edits()}; } catch (e) { return say(e.message, false); }
      const path = "api/v1/trials/" + encodeURIComponent(trial.trialJobId) + "/rerun";
      queued(AL.request("POST", path, body), "re-run of " + trial.trialJobId);
    });
    $("d-retry").addEventListener("click", () => {
      const path = "api/v1/trials/" + encodeURIComponent(trial.trialJobId) + "/retry";
      queued(AL.request("POST", path, {}), "retry of " + trial.trialJobId);
    });
  });
})(window.AL);
