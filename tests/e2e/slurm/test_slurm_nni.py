"""On a real Slurm (else skipped, saying why) a trial written for NNI (`import nni`) gets autolab's
nni module too: the sbatch script exports the trial's PYTHONPATH with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autolab._nni_shim import SHIM_PATH
from autolab.store import Store
from autolab.store.core import DB_FILE

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.usefixtures("slurm_cluster"),
]
REPO = Path(__file__).resolve().parents[3]

TRIAL = """import os
import nni
from nni.utils import merge_parameter
args = merge_parameter({"k": 0, "scale": 1.5}, nni.get_next_parameter())
nni.report_intermediate_result(args["k"])
nni.report_final_result({"default": args["k"] * args["scale"], "nni": nni.__file__})
"""


def test_an_nni_trial_runs_unchanged_on_slurm(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{k: {{_type: choice, _value: [1, 2]}}}}
trialCommand: {sys.executable} trial.py
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: 2
tuner: {{name: GridSearch}}
trainingService: {{platform: slurm, pollInterval: 1s}}
""")
    home = tmp_path / "home"
    env = {**os.environ, "AUTOLAB_HOME": str(home), "PYTHONPATH": str(REPO)}
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "autolab.cli",
                "create",
                "--config",
                str(config),
                "--foreground",
                "--port",
                "0",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
        )
    finally:
        ids = [f.read_text().strip() for f in home.glob("*/trials/*/slurm_job_id")]
        if ids:
            subprocess.run(["scancel", *ids], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    [directory] = [p.parent for p in home.rglob(DB_FILE)]
    with Store(directory, readonly=True) as store:
        rows = store.trial_rows()
    assert sorted(r.value for r in rows if r.status == "SUCCEEDED") == [1.5, 3.0], [r.message for r in rows]
    assert {r.raw_value["nni"] for r in rows} == {os.path.join(SHIM_PATH, "nni", "__init__.py")}
