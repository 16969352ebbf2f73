// Start-up and the live loop: poll every second, redraw only the visible tab and only on change.
"use strict";
(function (AL) {
  const POLL_MS = 1000;
  // #name, or #name=argument (a view's link, such as #compare=id1,id2)
  let tab = location.hash.replace("#", "").split("=")[0] || "overview";
  AL.views = AL.views || {};  // tab name -> render(force) of views defined in their own files
  let busy = false, failures = 0;

  function show(name) {
    const tabs = [...document.querySelectorAll("#tabs button")].map((b) => b.dataset.tab);
    tab = tabs.includes(name) ? name : "overview";
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === tab);
    for (const s of document.querySelectorAll("section.tab")) s.classList.toggle("active", s.id === "tab-" + tab);
    if (history.replaceState && location.hash.split("=")[0] !== "#" + tab) history.replaceState(null, "", "#" + tab);
    render(true);
    if (tab !== "overview") AL.resizeCharts();
  }
  AL.show = show;
  AL.rerender = () => render(true);

  function render(all) {
    if (!AL.state.profile) return;
    AL.renderHeader();
    if (AL.showParetoTab) AL.showParetoTab();
    if (tab === "overview") AL.renderOverview();
    if (tab === "trials" && all !== "profile") AL.renderTable();
    if (tab === "charts") AL.renderCharts(all === true);
    if (AL.views[tab]) AL.views[tab](all === true);
  }

  AL.refresh = async function () {
    if (busy) return;
    busy = true;
    try {
      const changed = await AL.poll();
      failures = 0;
      const live = document.getElementById("live"), ro = AL.state.profile && AL.state.profile.readonly;
      live.className = ro ? "live-ro" : "live-ok";  // autolab view of an experiment that does not run
      live.textContent = ro ? "● read-only view" : "● live";
      live.title = ro ? "served by autolab view: the experiment does not run, nothing changes here" : "updates every second";
      if (changed.trialsChanged) render(false);
      else if (changed.profileChanged || tab !== "trials") render("profile");
      else AL.renderHeader();
      if (tab === "trials" && AL.tableView.sort === "duration") AL.renderTable();
      if (AL.detailOpen()) await AL.refreshDetail();
      document.body.dataset.ready = "1";
    } catch (e) {
      failures++;
      const live = document.getElementById("live");
      live.className = "live-bad";
      live.title = "cannot reach the server: " + e.message;
      const p = AL.state.profile;
      if (p && (AL.state.stopRequested || p.status === "STOPPING")) {
        // a stopped manager closes its server: say so instead of showing the last status
        AL.badge(document.getElementById("exp-status"), "STOPPED");
        live.textContent = "● stopped (server closed; see autolab view " + p.id + ")";
      }
    } finally {
      busy = false;
    }
  };

  function loop() {
    // a view of a stopped experiment changes no more: poll slowly
    const p = AL.state.profile;
    const slow = p && (p.readonly || p.status === "STOPPED" || p.status === "ERROR");
    setTimeout(() => AL.refresh().then(loop), slow || failures > 3 ? 5000 : POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    AL.initOverview();
    AL.initTable();
    AL.initDetail();
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.tab));
    AL.refresh().then(() => { show(tab); loop(); });
  });
})(window.AL);
