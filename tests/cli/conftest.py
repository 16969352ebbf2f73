"""Fixtures of the management-command tests (test_admin*.py): a finished experiment to act on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autolab import experiments
from tests.helpers_experiment import make_experiment, run_manager

TRIAL = """
print("hello from", os.environ["AUTOLAB_TRIAL_ID"])
print("a warning", file=sys.stderr)
for i in range(3):
    autolab.report_intermediate_result(p["x"] * (i + 1))
autolab.report_final_result(p["x"])
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished experiment with 5 trials (made once; each test gets a copy)."""
    base = tmp_path_factory.mktemp("template")
    directory = make_experiment(base, TRIAL, maxTrialNumber=5, trialConcurrency=3)
    run_manager(directory)
    return directory


@pytest.fixture
def exp(template: Path, tmp_path: Path, autolab_home: Path) -> Path:
    directory = autolab_home / "exp1"
    shutil.copytree(template, directory)
    experiments.register("exp1", "t", directory)
    return directory
