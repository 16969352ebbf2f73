"""The page's overview says when the tuner ran out of points (run under node with a stub DOM)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

OVERVIEW = Path(__file__).resolve().parent.parent / "webui" / "js" / "overview.js"
NODE = shutil.which("node")

# A stub DOM: every element accepts any property; the note is created next to the trials bar.
SCRIPT = r"""
const elements = {};
function element(id) {  // also callable: an unknown method returns an empty list
  const el = Object.assign(() => [], {style: {}, hidden: false, textContent: "", innerHTML: "",
    after(node) { elements[node.id] = node; }, contains() { return false; }, addEventListener() {}});
  el.parentNode = el;
  el.elementId = id;
  return new Proxy(el, {get: (t, k) => (k in t ? t[k] : element(id + "." + String(k))),
                        set: (t, k, v) => { t[k] = v; return true; }});
}
globalThis.document = {
  getElementById: (id) => elements[id] || (id === "ov-trials-note" ? null : (elements[id] = element(id))),
  createElement: () => element("created"),
  activeElement: null,
};
globalThis.window = {AL: {
  state: {profile: PROFILE, trials: new Map()},
  duration: String, num: String, pretty: JSON.stringify, maximize: () => true, esc: String,
  paramText: JSON.stringify,
}};
require(OVERVIEW);
window.AL.renderOverview();
const note = elements["ov-trials-note"];
console.log(JSON.stringify({text: note.textContent, hidden: note.hidden}));
"""


def render(tmp_path: Path, no_more_trials: str | None) -> dict[str, object]:
    profile = {
        "elapsed": 1,
        "trialTotal": 3,
        "trialTally": {"done": 3, "running": 0, "other": 0},  # as views.profile gives it
        "maxTrialNumber": 10,
        "trialCounts": {"SUCCEEDED": 3},
        "config": {},
    }
    profile["noMoreTrials"] = no_more_trials
    script = tmp_path / "run.js"
    script.write_text(
        SCRIPT.replace("PROFILE", json.dumps(profile)).replace("OVERVIEW", json.dumps(str(OVERVIEW)))
    )
    done = subprocess.run([str(NODE), str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.skipif(NODE is None, reason="needs node to run the page's script")
def test_the_overview_says_the_tuner_ran_out(tmp_path: Path) -> None:
    shown = render(tmp_path, "grid search has tried every combination")
    assert shown == {
        "text": "ended early: the tuner ran out of points (grid search has tried every combination)",
        "hidden": False,
    }
    assert render(tmp_path, None) == {"text": "", "hidden": True}
