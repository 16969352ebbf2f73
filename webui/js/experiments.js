// The experiments page (autolab view --all): every experiment in AUTOLAB_HOME with its status,
// progress and best value, a link to its page (its manager's while it runs, else a read-only view
// under e/<id>/), and stop / resume / delete (the token rules of every change).
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 2000;
  let list = [], search = "", busy = new Set();

  function link(e) {
    if (e.status === "RUNNING" && e.url) return e.url + "/";
    return "e/" + encodeURIComponent(e.id) + "/";
  }

  function progress(e) {
    const other = (e.trialTally && e.trialTally.other) || 0;  // imported or re-run: not toward the limit
    const done = (e.trialTotal || 0) - other, max = e.maxTrialNumber;
    const pct = max ? Math.min(100, Math.round(100 * done / max)) : null;
    const bar = pct === null ? "" : `<div class="bar"><div style="width:${pct}%"></div></div>`;
    const more = other ? ` <span class="muted">+${other} imported or re-run</span>` : "";
    return `<td class="progress">${done}${max ? " / " + max : ""} trials${more}${bar}</td>`;
  }

  function actions(e) {
    const wait = busy.has(e.id) ? " disabled" : "";
    const id = AL.esc(e.id);
    if (e.status === "RUNNING") return `<button data-act="stop" data-id="${id}" class="danger"${wait}>Stop</button>`;
    const resume = e.status === "UNREADABLE" ? "" : `<button data-act="resume" data-id="${id}"${wait}>Resume</button> `;
    return resume + `<button data-act="delete" data-id="${id}" class="danger"${wait}>Delete</button>`;
  }

  function render() {
    const q = search.toLowerCase();
    const shown = list.filter((e) => !q || [e.id, e.name, e.status, e.tuner].join(" ").toLowerCase().includes(q));
    $("experiments").tBodies[0].innerHTML = shown.map((e) => {
      const best = e.best ? `${AL.num(e.best.value)} <span class="muted">(${AL.esc(e.best.trialJobId)})</span>`
        : e.front ? `<span class="muted">Pareto front: ${e.front.size}</span>` : "";
      const created = e.created ? new Date(e.created * 1000).toLocaleString() : "";
      const why = e.error ? ` title="${AL.esc(e.error)}"` : "";
      return `<tr data-id="${AL.esc(e.id)}"><td class="mono"><a href="${AL.esc(link(e))}">${AL.esc(e.id)}</a></td>` +
        `<td>${AL.esc(e.name || "")}</td><td><span class="badge st-${AL.esc(String(e.status).toLowerCase())}"${why}>${AL.esc(e.status)}</span></td>` +
        `<td>${AL.esc(e.tuner || "")}</td>${progress(e)}<td class="n">${best}</td><td>${created}</td>` +
        `<td class="n">${AL.duration(e.elapsed)}</td><td class="actions">${actions(e)}</td></tr>`;
    }).join("") || `<tr><td colspan="9" class="muted">no experiment${q ? " matches" : " yet (autolab create --config config.yml)"}</td></tr>`;
    $("exp-count").textContent = shown.length + " of " + list.length + " experiments";
  }

  async function poll() {
    try {
      const data = await AL.request("GET", "api/v1/experiments");
      list = data.experiments;
      $("home-dir").textContent = data.home;
      $("token-label").hidden = !data.tokenRequired;
      $("live").className = "live-ok";
      render();
      document.body.dataset.ready = "1";
    } catch (e) {
      $("live").className = "live-bad";
      $("live").title = "cannot reach the server: " + e.message;
    }
  }

  function say(text, good) {
    $("exp-msg").textContent = text;
    $("exp-msg").className = "msg " + (good ? "good" : "bad");
  }

  async function act(what, id) {
    if (what === "delete" && !confirm("Delete experiment " + id + " and all its files?")) return;
    const [method, path] = {
      stop: ["PUT", "/stop"], resume: ["POST", "/resume"], delete: ["DELETE", ""],
    }[what];
    busy.add(id);
    render();
    say(what + " " + id + "…", true);
    try {
      const r = await AL.request(method, "api/v1/experiments/" + encodeURIComponent(id) + path, {});
      say(r.message, true);
    } catch (e) { say(e.message, false); }
    busy.delete(id);
    await poll();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token").value = AL.token();
    $("token").addEventListener("change", () => AL.setToken($("token").value.trim()));
    $("exp-search").addEventListener("input", (ev) => { search = ev.target.value.trim(); render(); });
    $("experiments").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-act]");
      if (b) act(b.dataset.act, b.dataset.id);
    });
    const loop = () => poll().then(() => setTimeout(loop, POLL_MS));
    loop();
  });
})(window.AL);
