"""`autolab create --foreground` with ASHA's promotion mode and no all_checkpoint_dir: the checkpoints
go to the experiment's directory (as a detached manager's do), not to the directory the user ran
the command in, and a promoted trial continues from what its previous rung saved there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autolab.store import Store
from tests.e2e.test_crash_resume import autolab
from tests.helpers_experiment import write_trial

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TRIAL = """
import json
state = {"epochs": 0}
if p["load_checkpoint_dir"]:
    state = json.load(open(os.path.join(p["load_checkpoint_dir"], "state.json")))
for epoch in range(state["epochs"], autolab.get_budget()):
    autolab.report_intermediate_result(p["x"] * (epoch + 1))
os.makedirs(p["save_checkpoint_dir"], exist_ok=True)
json.dump({"epochs": autolab.get_budget()}, open(os.path.join(p["save_checkpoint_dir"], "state.json"), "w"))
autolab.report_final_result(p["x"] * autolab.get_budget())
"""


def test_foreground_asha_keeps_checkpoints_in_the_experiment_directory(tmp_path: Path) -> None:
    command = write_trial(tmp_path / "code", TRIAL)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: 5
tuner: {{name: ASHA, classArgs: {{grace_period: 1, eta: 3, max_t: 3, seed: 0}}}}
""")
    run = autolab(tmp_path, "create", "--config", str(config), "--foreground", "--port", "0")
    assert run.returncode == 0, run.stdout + run.stderr
    (directory,) = [d for d in tmp_path.iterdir() if (d / "autolab.db").exists()]
    assert not (tmp_path / "checkpoint").exists()  # the working directory: where they used to land
    with Store(directory, readonly=True) as store:
        rows = store.trial_rows()
    promoted = [r for r in rows if r.fidelity and r.fidelity["rung"] == 1]
    assert len(rows) == 5 and len(promoted) >= 1
    for row in rows:
        saved = Path(row.parameters["save_checkpoint_dir"])
        assert saved.parent.parent == directory.resolve() / "checkpoint"
        assert json.loads((saved / "state.json").read_text())["epochs"] == row.parameters["TRIAL_BUDGET"]
    with Store(directory, readonly=True) as store:
        inter = store.intermediates()
    assert all(len(inter[r.id]) == 2 for r in promoted)  # epochs 2-3 only: it continued from epoch 1
