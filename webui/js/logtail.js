// The detail panel's live log: the last 64 KiB of stdout / stderr first, then on every poll only the
// bytes written since (GET .../log/<stream>?offset=<next>), appended; the page keeps at most 256 KiB.
"use strict";
(function (AL) {
  const $ = (id) => document.getElementById(id);
  const FIRST = 65536, KEEP = 262144;
  let at = null;  // {key, next, text, size, start}
  let last = Promise.resolve(), queued = null;  // one read at a time, so a second never starts from scratch

  // Reads run one after another: a poll that comes while the first read (limit=64 KiB) is out would
  // otherwise also see no position and fetch the first 64 KiB again. A call made while one is
  // already waiting its turn joins that one.
  AL.tailLog = function (id, stream) {
    const key = id + "/" + stream;
    if (queued && queued.key === key) return queued.done;
    const mine = {key};
    const run = () => { if (queued === mine) queued = null; return read(id, stream); };
    mine.done = last = last.then(run, run);
    queued = mine;
    return mine.done;
  };

  async function read(id, stream) {
    const key = id + "/" + stream;
    const fresh = !at || at.key !== key;
    const base = "api/v1/trials/" + encodeURIComponent(id) + "/log/" + stream;
    let r;
    try {
      r = await AL.request("GET", fresh ? base + "?limit=" + FIRST : base + "?offset=" + at.next);
    } catch (e) { $("d-msg").textContent = e.message; $("d-msg").className = "msg bad"; return; }
    if (AL.detailOpen() !== id) return;
    if (fresh || r.offset !== at.next) at = {key, next: r.next, text: r.text, size: r.size, start: r.offset};
    else {
      at.text += r.text;
      at.next = r.next;
      at.size = r.size;
      if (at.text.length > KEEP) { at.start += at.text.length - KEEP; at.text = at.text.slice(-KEEP); }
    }
    if (!fresh && !r.text) return;  // nothing new: leave the view (and the reader's scroll) alone
    const pre = $("d-log");
    const follow = fresh || pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    $("d-logpath").textContent = r.path;
    const cut = at.start > 0 ? "…(from byte " + at.start + " of " + at.size + ")\n" : "";
    const imported = (AL.state.trials.get(id) || {}).source === "import";  // it ran elsewhere: no file here
    pre.textContent = cut + (at.text || (r.exists ? "(empty)" : imported ? "(an imported trial: its output is not here)" : "(no file yet)"));
    pre.dataset.next = at.next;
    if (follow) pre.scrollTop = pre.scrollHeight;
  }

  AL.resetLogTail = () => { at = null; };
})(window.AL);
