"""kill -9 of the manager in the middle of a Hyperband (and a BOHB) bracket, twice, then resume: the same bracket
goes on from the store, with no budget lost and none run twice."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from autolab.store import Store, TrialRow
from tests.e2e.test_crash_resume import autolab, kill_manager, wait_for
from tests.helpers_experiment import write_trial

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TRIAL = """
budget = autolab.get_budget()
for epoch in range(budget):
    time.sleep(0.15)
    autolab.report_intermediate_result(p["x"] * (epoch + 1) / budget)
autolab.report_final_result(p["x"])
"""


def rows_of(directory: Path) -> list[TrialRow]:
    with Store(directory, readonly=True) as store:
        return store.trial_rows()


ADVISORS = {
    "Hyperband": "{R: 9, eta: 3, exec_mode: serial, optimize_mode: maximize}",
    "BOHB": "{min_budget: 1, max_budget: 9, eta: 3, exec_mode: serial, seed: 4}",
}


@pytest.mark.parametrize("advisor", sorted(ADVISORS))
def test_sigkill_mid_bracket_and_resume_runs_each_rung_once(tmp_path: Path, advisor: str) -> None:
    code = tmp_path / "code"
    command = write_trial(code, TRIAL)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 3
maxTrialNumber: 13
advisor: {{name: {advisor}, classArgs: {ADVISORS[advisor]}}}
""")
    created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    directory = tmp_path / exp_id

    # 1st crash: in the first rung; 2nd: once the promotions started
    wait_for("rung 0 under way", lambda: len(rows_of(directory)) >= 5)
    kill_manager(directory)
    resumed = autolab(tmp_path, "resume", exp_id, "--port", "0")
    assert resumed.returncode == 0, resumed.stderr
    wait_for("a promotion", lambda: any(r.fidelity and r.fidelity["rung"] >= 1 for r in rows_of(directory)))
    kill_manager(directory)
    final = autolab(tmp_path, "resume", exp_id, "--foreground", "--port", "0")
    assert final.returncode == 0, final.stdout + final.stderr
    assert "DONE" in final.stdout

    rows = rows_of(directory)
    assert [r.status for r in rows] == ["SUCCEEDED"] * 13
    assert {r.source for r in rows} == {"tuner"}  # nothing lost, nothing re-run
    fids = [r.fidelity or {} for r in rows]
    assert Counter((f["bracket"], f["rung"], f["budget"]) for f in fids) == {
        (0, 0, 1): 9,
        (0, 1, 3): 3,
        (0, 2, 9): 1,
    }
    assert sum(f["budget"] for f in fids) == 27  # the bracket's budget, spent once
    assert len({(f["rung"], f["config"]) for f in fids}) == 13  # no configuration twice at a rung
    first = sorted(
        (r for r in rows if r.fidelity and r.fidelity["rung"] == 0), key=lambda r: -r.parameters["x"]
    )
    promoted = {f["config"] for f in fids if f["rung"] == 1}
    assert promoted == {r.id for r in first[:3]}
    assert [f["config"] for f in fids if f["rung"] == 2] == [first[0].id]
    for row in rows:  # every trial ran its whole budget, once
        lines = (directory / "trials" / row.id / "metrics.jsonl").read_text().splitlines()
        assert (
            sum(json.loads(line)["type"] == "PERIODICAL" for line in lines) == row.parameters["TRIAL_BUDGET"]
        )


# NNI's PBT trial shape: load the member's checkpoint, train a step, save it, report
PBT_TRIAL = """
import json
load = os.path.join(p["load_checkpoint_dir"], "model.json")
state = json.load(open(load)) if os.path.exists(load) else {"steps": 0, "score": 0.0}
time.sleep(0.3)
state = {"steps": state["steps"] + 1, "score": state["score"] + p["lr"]}
os.makedirs(p["save_checkpoint_dir"], exist_ok=True)
json.dump(state, open(os.path.join(p["save_checkpoint_dir"], "model.json"), "w"))
autolab.report_final_result(state["score"])
"""


def test_pbt_sigkill_mid_generation_and_resume_keeps_the_lineage(tmp_path: Path) -> None:
    code = tmp_path / "code"
    command = write_trial(code, PBT_TRIAL)
    config = tmp_path / "config.yml"
    checkpoints = tmp_path / "ckpt"
    config.write_text(f"""searchSpace: {{lr: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 3
maxTrialNumber: 12
tuner: {{name: PBTTuner, classArgs: {{population_size: 4, all_checkpoint_dir: {checkpoints}, seed: 1}}}}
""")
    created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    directory = tmp_path / exp_id
    wait_for("generation 1", lambda: any(r.fidelity and r.fidelity["rung"] == 1 for r in rows_of(directory)))
    kill_manager(directory)
    final = autolab(tmp_path, "resume", exp_id, "--foreground", "--port", "0")
    assert final.returncode == 0, final.stdout + final.stderr

    rows = rows_of(directory)
    assert [r.status for r in rows] == ["SUCCEEDED"] * 12 and {r.source for r in rows} == {"tuner"}
    fids = [(r.fidelity or {})["rung"] for r in rows]
    assert Counter(fids) == {0: 4, 1: 4, 2: 4}
    for row in rows:  # every step trained on top of the checkpoint it was given: one step per generation
        saved = json.loads((Path(row.parameters["save_checkpoint_dir"]) / "model.json").read_text())
        assert saved["steps"] == (row.fidelity or {})["rung"] + 1
        assert row.parameters["save_checkpoint_dir"] == str(
            checkpoints / (row.fidelity or {})["config"] / str(saved["steps"] - 1)
        )
