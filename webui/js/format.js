// Small formatting helpers shared by the views.
"use strict";
(function (AL) {
  AL.esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));

  AL.num = function (v, digits) {
    if (v === null || v === undefined || v === "") return "";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits || 3);
    return String(Number(v.toPrecision(digits || 4)));
  };

  AL.duration = function (s) {
    if (s === null || s === undefined || isNaN(s)) return "";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h) return h + "h" + String(m).padStart(2, "0") + "m" + String(sec).padStart(2, "0") + "s";
    if (m) return m + "m" + String(sec).padStart(2, "0") + "s";
    return sec + "s";
  };

  AL.trialDuration = function (t) {
    if (t.startTime === null || t.startTime === undefined) return null;
    const end = t.endTime !== null && t.endTime !== undefined ? t.endTime : (AL.state.profile ? AL.state.profile.serverTime : Date.now() / 1000);
    return end - t.startTime;
  };

  AL.paramText = function (p) {
    return Object.entries(AL.paramsOf(p)).map(([k, v]) => k + "=" + AL.num(v)).join(", ");
  };

  // JSON with short arrays of plain values kept on one line
  AL.pretty = function (v) {
    return JSON.stringify(v, null, 2).replace(/\[\s*([^\[\]{}]*?)\s*\]/g, (m, inner) =>
      inner.length > 80 ? m : "[" + inner.split(/,\s*/).join(", ") + "]");
  };

  AL.badge = function (el, status) {
    el.textContent = status;
    el.className = "badge st-" + String(status).toLowerCase();
  };
})(window.AL);
