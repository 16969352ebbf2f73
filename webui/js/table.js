// Trials tab: every trial in a table, sorted, filtered and searched in the page (all trials are
// already here for the charts), 50 rows a page. Tick a row to plot its intermediate results.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const PAGE = 50;
  const view = {sort: "sequence", order: "desc", status: "", search: "", page: 0, key: ""};
  AL.state.selected = new Set();
  AL.tableView = view;

  function sortValue(t, key) {
    if (key === "duration") return AL.trialDuration(t);
    if (key === "parameter") return AL.paramText(t.parameter);
    if (key.startsWith("metric:")) return t.metrics ? t.metrics[key.slice(7)] : null;
    if (key.startsWith("fidelity:")) return t.fidelity ? t.fidelity[key.slice(9)] : null;
    return t[key];
  }

  function rows() {
    const key = [AL.state.version, view.sort, view.order, view.status, view.search].join("|");
    if (AL.state.sorted && view.key === key && view.sort !== "duration") return AL.state.sorted;
    const q = view.search.toLowerCase();
    let list = [...AL.state.trials.values()];
    if (view.status) list = list.filter((t) => t.status === view.status);
    if (q) list = list.filter((t) => {
      if (t._text === undefined) t._text = (t.id + " " + t.status + " " + AL.paramText(t.parameter)).toLowerCase();
      return t._text.includes(q);
    });
    const sign = view.order === "asc" ? 1 : -1;
    const vals = new Map(list.map((t) => [t, sortValue(t, view.sort)]));
    list.sort((a, b) => {
      const x = vals.get(a), y = vals.get(b);
      const xn = x === null || x === undefined, yn = y === null || y === undefined;
      if (xn || yn) return xn && yn ? a.sequence - b.sequence : xn ? 1 : -1;  // empty last
      if (x < y) return -sign;
      if (x > y) return sign;
      return a.sequence - b.sequence;
    });
    AL.state.sorted = list;
    view.key = key;
    return list;
  }

  // a multi-fidelity experiment's budget and rung (PBT: generation), as trial ls and top show them
  let fidAt = -1, fidCols = [];
  function fidelityColumns() {
    if (fidAt !== AL.state.version) {
      let budget = false, any = false;
      for (const t of AL.state.trials.values()) {
        if (!t.fidelity) continue;
        any = true;
        if (t.fidelity.budget !== null && t.fidelity.budget !== undefined) { budget = true; break; }
      }
      fidCols = (budget ? [["Budget", "fidelity:budget"]] : []).concat(any ? [[budget ? "Rung" : "Generation", "fidelity:rung"]] : []);
      fidAt = AL.state.version;
    }
    return fidCols;
  }

  function columns() {
    const cols = [["", null], ["ID", "id"], ["#", "sequence"], ["Status", "status"], ["Parameters", "parameter"], ["Metric", "value"]];
    cols.push(...fidelityColumns());
    for (const k of AL.state.metricKeys) cols.push([k, "metric:" + k]);
    cols.push(["Intermediate", "lastIntermediate"], ["Duration", "duration"]);
    return cols;
  }

  // each status's count beside its name in the filter, as the overview counts them
  function labelStatuses() {
    const counts = (AL.state.profile || {}).trialCounts || {};
    for (const o of $("status-filter").options) if (o.value) o.textContent = o.value + " (" + (counts[o.value] || 0) + ")";
  }

  AL.renderTable = function () {
    labelStatuses();
    const list = rows();
    const pages = Math.max(1, Math.ceil(list.length / PAGE));
    view.page = Math.min(view.page, pages - 1);
    const cols = columns();
    $("trials-table").tHead.innerHTML = "<tr>" + cols.map(([label, key]) => {
      if (!key) return "<th></th>";
      const arrow = view.sort === key ? (view.order === "asc" ? " ▲" : " ▼") : "";
      return `<th data-sort="${AL.esc(key)}" class="sortable">${AL.esc(label)}${arrow}</th>`;
    }).join("") + "</tr>";
    const html = [];
    for (const t of list.slice(view.page * PAGE, view.page * PAGE + PAGE)) {
      const id = AL.esc(t.id);
      let r = `<tr data-id="${id}" class="clickable"><td><input type="checkbox" class="pick" ${AL.state.selected.has(t.id) ? "checked" : ""} title="plot intermediate results; compare"></td>` +
        `<td class="mono">${id}</td><td>${t.sequence}</td><td><span class="badge st-${t.status.toLowerCase()}">${t.status}</span></td>` +
        `<td class="params">${AL.esc(AL.paramText(t.parameter))}</td><td class="n">${AL.num(t.value)}</td>`;
      for (const [, key] of fidelityColumns()) r += `<td class="n">${AL.esc(AL.num(sortValue(t, key)))}</td>`;
      for (const k of AL.state.metricKeys) r += `<td class="n">${AL.esc(AL.num(t.metrics ? t.metrics[k] : null))}</td>`;
      r += `<td class="n">${t.intermediateCount ? AL.num(t.lastIntermediate) + " <span class='muted'>(" + t.intermediateCount + ")</span>" : ""}</td>` +
        `<td class="n">${AL.duration(AL.trialDuration(t))}</td></tr>`;
      html.push(r);
    }
    $("trials-table").tBodies[0].innerHTML = html.join("") || `<tr><td colspan="${cols.length}" class="muted">no trials${view.search || view.status ? " match" : " yet"}</td></tr>`;
    $("table-count").textContent = list.length + " of " + AL.state.trials.size + " trials";
    $("page-info").textContent = "page " + (view.page + 1) + " of " + pages;
    $("prev").disabled = view.page === 0;
    $("next").disabled = view.page >= pages - 1;
  };

  AL.initTable = function () {
    const sel = $("status-filter");
    for (const s of ["RUNNING", "WAITING", "SUCCEEDED", "FAILED", "EARLY_STOPPED", "USER_CANCELED", "NO_RESULT", "PAUSED"]) {
      sel.insertAdjacentHTML("beforeend", `<option value="${s}">${s}</option>`);
    }
    sel.addEventListener("change", () => { view.status = sel.value; view.page = 0; AL.renderTable(); });
    let timer = null;
    $("search").addEventListener("input", (ev) => {
      clearTimeout(timer);
      timer = setTimeout(() => { view.search = ev.target.value.trim(); view.page = 0; AL.renderTable(); }, 150);
    });
    $("prev").addEventListener("click", () => { view.page--; AL.renderTable(); });
    $("next").addEventListener("click", () => { view.page++; AL.renderTable(); });
    $("trials-table").addEventListener("click", (ev) => {
      const th = ev.target.closest("th[data-sort]");
      if (th) {
        const key = th.dataset.sort;
        if (view.sort === key) view.order = view.order === "asc" ? "desc" : "asc";
        else { view.sort = key; view.order = key === "value" && AL.maximize() ? "desc" : "asc"; }
        view.page = 0;
        return AL.renderTable();
      }
      const tr = ev.target.closest("tr[data-id]");
      if (!tr) return;
      if (ev.target.classList.contains("pick")) {
        if (ev.target.checked) AL.state.selected.add(tr.dataset.id); else AL.state.selected.delete(tr.dataset.id);
        AL.chartsDirty = true;
        AL.updateCompareButton();
        return;
      }
      AL.openDetail(tr.dataset.id);
    });
  };
})(window.AL);
