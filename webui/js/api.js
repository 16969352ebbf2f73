// The REST API from the page: requests (with the token when one is needed) and the trial state
// kept up to date by polling /api/v1/summary?after=<version> (only trials changed since come back).
"use strict";
window.AL = window.AL || {};

(function (AL) {
  // a token in the address (?token=...) is kept for this tab, then taken out of the address bar
  // (and the history), so it is not shown, bookmarked or shared with the link
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    if (params.get("token")) sessionStorage.setItem("autolab-token", params.get("token"));
    params.delete("token");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }

  AL.token = () => sessionStorage.getItem("autolab-token") || "";
  AL.setToken = (t) => sessionStorage.setItem("autolab-token", t);

  AL.request = async function (method, path, body) {
    // every change is sent as JSON: the server takes changes only so (a cross-site form cannot)
    const headers = {};
    if (body !== undefined || method !== "GET") headers["Content-Type"] = "application/json";
    if (method !== "GET" && AL.token()) headers["Authorization"] = "Bearer " + AL.token();
    const res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new Error((data && data.error) || res.status + " " + res.statusText);
    return data;
  };

  // state: trials by id, the profile, the store's version to ask for changes after (cursor), and
  // version: a counter of the page's own changes (the views redraw when it moves)
  AL.state = {trials: new Map(), profile: null, cursor: null, version: 0, metricKeys: []};

  async function first() {
    const early = window.AL_FIRST;
    window.AL_FIRST = null;
    try {
      const res = await early;
      if (res.ok) return await res.json();
    } catch (e) { /* ask again below */ }
    return AL.request("GET", "api/v1/summary");
  }

  AL.poll = async function () {
    const q = AL.state.cursor === null ? "" : "?after=" + AL.state.cursor;
    const data = AL.state.cursor === null && window.AL_FIRST ? await first() : await AL.request("GET", "api/v1/summary" + q);
    const cols = data.columns;
    let changed = false;
    for (const row of data.trials) {
      const t = {};
      for (let i = 0; i < cols.length; i++) t[cols[i]] = row[i];
      t.id = t.id || row[0];
      AL.state.trials.set(t.id, t);
      changed = true;
    }
    AL.state.cursor = data.version;
    const before = JSON.stringify(AL.state.profile && {...AL.state.profile, elapsed: 0, serverTime: 0});
    AL.state.profile = data.profile;
    const after = JSON.stringify({...data.profile, elapsed: 0, serverTime: 0});
    if (changed) {
      AL.state.version++;
      AL.state.sorted = null;
      collectKeys(data.trials.length === AL.state.trials.size);
    }
    return {trialsChanged: changed, profileChanged: before !== after, changedIds: data.trials.map((r) => r[0])};
  };

  function collectKeys(full) {
    const metricKeys = new Set(full ? [] : AL.state.metricKeys);
    for (const t of AL.state.trials.values()) {
      if (t.metrics) for (const k of Object.keys(t.metrics)) if (k !== "default") metricKeys.add(k);
    }
    AL.state.metricKeys = [...metricKeys].slice(0, 6);
  }

  // what PBT and ASHA promotion add to a trial's parameters: checkpoint paths, not hyper-parameters
  // (the trial's detail shows them; tables, charts and comparisons leave them out)
  AL.NOT_PARAMS = new Set(["load_checkpoint_dir", "save_checkpoint_dir"]);

  // parameters as every view shows them: a nested choice is one parameter (its option's _name),
  // its nested parameters are "choice.name"; checkpoint paths left out
  AL.paramsOf = function (p, prefix, out) {
    out = out || {};
    if (!p || typeof p !== "object") return out;
    for (const [k, v] of Object.entries(p)) {
      if (k === "_name" && prefix) continue;
      if (!prefix && AL.NOT_PARAMS.has(k)) continue;
      const key = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) {
        if ("_name" in v) out[key] = v._name;
        AL.paramsOf(v, key, out);
      } else out[key] = Array.isArray(v) ? JSON.stringify(v) : v;
    }
    return out;
  };

  // a multi-fidelity trial's budget (a number), null for others
  AL.budgetOf = (t) => (t.fidelity && typeof t.fidelity.budget === "number" ? t.fidelity.budget : null);

  AL.maximize = () => !AL.state.profile || AL.state.profile.optimizeMode !== "minimize";
  AL.running = (t) => t.status === "RUNNING" || t.status === "WAITING";
})(window.AL);
