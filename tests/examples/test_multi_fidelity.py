"""examples/multi_fidelity end to end: each config through `autolab create`, the NNI trial script unchanged.

The configs run as shipped except for a shorter budget (fewer trials, a 9-epoch top rung) and the
trial command's interpreter (this test's, which has scikit-learn).
"""

from __future__ import annotations

import collections
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "multi_fidelity"

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env.update(AUTOLAB_HOME=str(home), PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, timeout=240
    )


def run_example(tmp_path: Path, name: str, max_trials: int, **class_args: Any) -> list[dict[str, Any]]:
    """Run examples/multi_fidelity/<name> with a shorter budget; its export rows in trial order."""
    config = yaml.safe_load((EXAMPLE / name).read_text())
    config.update(
        searchSpaceFile=str(EXAMPLE / config["searchSpaceFile"]),
        trialCodeDirectory=str(EXAMPLE),
        trialCommand=config["trialCommand"].replace("python3", sys.executable, 1),
        maxTrialNumber=max_trials,
    )
    method = config.get("advisor") or config["tuner"]
    method["classArgs"].update(class_args)
    (tmp_path / "config.yml").write_text(yaml.safe_dump(config))
    home = tmp_path / "home"
    created = cli(home, "create", "--config", str(tmp_path / "config.yml"), "--foreground", "--port", "0")
    assert created.returncode == 0, created.stdout + created.stderr
    out = tmp_path / "export.json"
    exported = cli(home, "experiment", "export", "--intermediate", "--filename", str(out))
    assert exported.returncode == 0, exported.stderr
    return sorted(json.loads(out.read_text()), key=lambda r: r["sequence"])


def epochs(row: dict[str, Any]) -> int:
    return len(row["intermediate"] or [])


@pytest.mark.parametrize("name, args", [("hyperband.yml", {"R": 9}), ("bohb.yml", {"max_budget": 9})])
def test_hyperband_and_bohb_train_each_trial_for_its_budget(
    tmp_path: Path, name: str, args: dict[str, int]
) -> None:
    rows = run_example(tmp_path, name, 22, **args)  # R = 9: the three brackets of one pass, 22 trials
    assert [r["status"] for r in rows] == ["SUCCEEDED"] * 22
    by_bracket = collections.defaultdict(collections.Counter)
    for r in rows:
        by_bracket[r["bracket"]][r["budget"]] += 1
    assert by_bracket == {0: {1: 9, 3: 3, 9: 1}, 1: {3: 5, 9: 1}, 2: {9: 3}}
    assert all(epochs(r) == r["budget"] == r["parameter"]["TRIAL_BUDGET"] for r in rows)
    assert all(0.05 < r["value"] <= 1 for r in rows)
    if name == "hyperband.yml":  # the 3 promoted are among the best 3 at 1 epoch
        key = ("learning_rate_init", "hidden_size", "alpha", "batch_size")
        first = {tuple(r["parameter"][k] for k in key): r["value"] for r in rows if r["budget"] == 1}
        promoted = [
            first[tuple(r["parameter"][k] for k in key)] for r in rows if r["rung"] == 1 and not r["bracket"]
        ]
        assert len(promoted) == 3 and min(promoted) >= sorted(first.values())[-3]


def test_asha_promotion_continues_from_the_checkpoint(tmp_path: Path) -> None:
    rows = run_example(tmp_path, "asha_promotion.yml", 14, max_t=9)
    budgets = collections.Counter(r["budget"] for r in rows)
    assert budgets[1] >= 3 and budgets[3] >= 1  # at least one promotion
    before = {1: 0, 3: 1, 9: 3}  # a promotion trains only the epochs it adds to its checkpoint
    assert all(epochs(r) == r["budget"] - before[r["budget"]] for r in rows if r["status"] != "PAUSED")
    for row in rows:
        if row["budget"] > 1:
            saved = Path(row["parameter"]["load_checkpoint_dir"]) / "model.pkl"
            assert pickle.loads(saved.read_bytes())[1] == before[row["budget"]]


def test_pbt_generations_go_on_from_their_checkpoints(tmp_path: Path) -> None:
    rows = run_example(tmp_path, "pbt.yml", 8, population_size=4)  # two generations of 4
    assert [r["status"] for r in rows] == ["SUCCEEDED"] * 8 and all(epochs(r) == 3 for r in rows)
    saved = {r["parameter"]["save_checkpoint_dir"] for r in rows[:4]}
    for row in rows[4:]:
        assert row["parameter"]["load_checkpoint_dir"] in saved
        model, done = pickle.loads((Path(row["parameter"]["save_checkpoint_dir"]) / "model.pkl").read_bytes())
        assert done == 6 and len(model.loss_curve_) == 6  # 3 epochs of its own on the 3 it loaded


def test_tpe_with_the_asha_assessor_runs_the_first_trials_to_the_end(tmp_path: Path) -> None:
    rows = run_example(tmp_path, "asha.yml", 6)
    assert [epochs(r) for r in rows[:4]] == [27] * 4  # min_pairs 4: nobody is stopped before them
    assert all(r["status"] in ("SUCCEEDED", "EARLY_STOPPED") for r in rows)
    # stopped at a rung (1, 3 or 9 epochs), a trial may report a few more before its process ends; one
    # whose final result came first (27 epochs take a second here) SUCCEEDED
    assert all(1 <= epochs(r) < 27 and r["value"] is None for r in rows if r["status"] == "EARLY_STOPPED")
    assert all("TRIAL_BUDGET" not in r["parameter"] for r in rows)
