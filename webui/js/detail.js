// Trial detail panel: parameters, final and intermediate results (chart), log tail, kill button.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  let current = null, stream = "stdout", lastKey = "", chartObj = null;

  AL.openDetail = function (id) {
    current = id;
    lastKey = "";
    $("detail").hidden = false;
    $("d-msg").textContent = "";
    AL.refreshDetail();
  };

  AL.closeDetail = function () {
    current = null;
    $("detail").hidden = true;
  };

  AL.detailOpen = () => current;

  AL.refreshDetail = async function () {
    if (!current) return;
    const id = current;
    const t = AL.state.trials.get(id);
    const key = t ? [t.status, t.intermediateCount, t.value, stream].join("|") : "";
    if (key === lastKey && t && !AL.running(t)) return;  // finished and drawn: nothing new
    lastKey = key;
    let d;
    try {
      d = await AL.request("GET", "api/v1/trials/" + encodeURIComponent(id));
    } catch (e) { $("d-msg").textContent = e.message; $("d-msg").className = "msg bad"; return; }
    if (current !== id) return;
    $("d-id").textContent = d.trialJobId;
    AL.badge($("d-status"), d.status);
    const readonly = AL.state.profile && AL.state.profile.readonly;
    $("d-kill").disabled = readonly || !(d.status === "RUNNING" || d.status === "WAITING");
    const rows = [
      ["Sequence", d.sequence], ["Parameters", JSON.stringify(d.parameter)],
      ["Final result", d.finalMetric === null ? "" : JSON.stringify(d.finalMetric)],
      ["Intermediate results", d.intermediate.length], ["Started", d.startTime ? new Date(d.startTime * 1000).toLocaleString() : ""],
      ["Duration", AL.duration(d.duration)], ["Exit code", d.exitCode ?? ""], ["Message", d.message], ["Directory", d.directory ?? "none (an imported trial ran elsewhere)"],
      ...AL.trialOrigin(d),
    ];
    $("d-info").innerHTML = rows.map(([k, v]) => `<tr><th>${k}</th><td>${v && v.html !== undefined ? v.html : AL.esc(v)}</td></tr>`).join("");
    if (typeof echarts !== "undefined") {
      chartObj = chartObj || echarts.init($("d-chart"));
      chartObj.setOption({
        animation: false,
        grid: {left: 55, right: 15, top: 15, bottom: 30},
        tooltip: {trigger: "axis"},
        xAxis: {type: "value", minInterval: 1, min: 1},
        yAxis: {type: "value", scale: true},
        series: [{type: "line", data: d.intermediate.map((m, i) => [i + 1, m.value])}],
      }, true);
    }
    AL.detailActions(d);
    await AL.tailLog(id, stream);
  };

  AL.initDetail = function () {
    $("d-close").addEventListener("click", AL.closeDetail);
    document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") AL.closeDetail(); });
    for (const b of document.querySelectorAll(".log-tabs button")) {
      b.addEventListener("click", () => {
        stream = b.dataset.stream;
        document.querySelectorAll(".log-tabs button").forEach((x) => x.classList.toggle("active", x === b));
        AL.refreshDetail();
      });
    }
    $("d-kill").addEventListener("click", async () => {
      const id = current;
      try {
        await AL.request("DELETE", "api/v1/trials/" + encodeURIComponent(id));
        $("d-msg").textContent = "kill requested for " + id;
        $("d-msg").className = "msg good";
        $("d-kill").disabled = true;
        AL.refresh();
      } catch (e) { $("d-msg").textContent = e.message; $("d-msg").className = "msg bad"; }
    });
  };
})(window.AL);
