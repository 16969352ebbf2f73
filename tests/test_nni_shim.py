"""autolab's `nni` module (autolab/_nni_shim): on a trial's PYTHONPATH unless `nniModule: false`,
after the user's own entries; NNI's trial API from autolab's SDK; parts of NNI it lacks named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autolab._nni_shim import SHIM_PATH, find_real_nni, trial_pythonpath
from tests.helpers_experiment import make_experiment, run_manager, trial_rows

TRIAL = """
import importlib.util
spec = importlib.util.find_spec("nni")
autolab.report_final_result({
    "default": 1,
    "pythonpath": os.environ.get("PYTHONPATH", ""),
    "nni": spec.origin if spec else None,
})
"""


def test_trial_pythonpath_keeps_the_users_entries_first() -> None:
    assert trial_pythonpath(None) == trial_pythonpath("") == SHIM_PATH
    assert trial_pythonpath(f"/a{os.pathsep}/b") == f"/a{os.pathsep}/b{os.pathsep}{SHIM_PATH}"
    once = trial_pythonpath("/a")
    assert trial_pythonpath(once) == once  # a re-run trial does not get it twice


@pytest.mark.e2e
@pytest.mark.parametrize("enabled", [True, False])
def test_trials_get_the_nni_module_unless_the_config_turns_it_off(tmp_path: Path, enabled: bool) -> None:
    overrides = {} if enabled else {"nniModule": False}
    directory = make_experiment(tmp_path, TRIAL, maxTrialNumber=1, **overrides)
    run_manager(directory)
    [row] = trial_rows(directory)
    assert row.status == "SUCCEEDED", row.message
    pythonpath = row.raw_value["pythonpath"].split(os.pathsep)
    shim_nni = os.path.join(SHIM_PATH, "nni", "__init__.py")
    if enabled:
        assert pythonpath[-1] == SHIM_PATH  # after the user's entries (the tests' checkout first)
        assert pythonpath[0] == os.environ["PYTHONPATH"].split(os.pathsep)[0]
        assert row.raw_value["nni"] == shim_nni
    else:
        assert SHIM_PATH not in pythonpath
        assert row.raw_value["nni"] != shim_nni  # None here: this environment has no real NNI


def python_with_shim(code: str, *before: str, after: str = "") -> subprocess.CompletedProcess[str]:
    """Run code in a Python whose PYTHONPATH is as a trial's: the given entries, then the shim."""
    path = os.pathsep.join([*before, os.environ["PYTHONPATH"], SHIM_PATH, *([after] if after else [])])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nni_api_names_and_a_light_import() -> None:
    proc = python_with_shim(
        """
import sys
import nni, nni.trial, nni.utils, nni.tuner, nni.assessor
from nni.utils import merge_parameter, OptimizeMode, MetricType, ClassArgsValidator, split_index
from nni.utils import convert_dict2tuple, json2space, extract_scalar_history, extract_scalar_reward
from nni.trial import get_next_parameters, overwrite_intermediate_seq
from nni.tuner import Tuner
from nni.assessor import Assessor, AssessResult
import autolab
assert nni.get_next_parameter is autolab.get_next_parameter
assert nni.NoMoreTrialError is autolab.NoMoreTrialError and nni.ClassArgsValidator is autolab.ClassArgsValidator
assert OptimizeMode("maximize") is OptimizeMode.Maximize
print(nni.__version__, sorted(m for m in ("numpy", "tornado", "psutil", "sqlite3") if m in sys.modules))
"""
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3.0+autolab.0.1.0", "[]"]


def test_nnis_experiment_config_module() -> None:
    proc = python_with_shim(
        """
from nni.experiment import Experiment, ExperimentConfig, RemoteConfig, RemoteMachineConfig
from nni.experiment.config import AlgorithmConfig, LocalConfig, RemoteMachineConfig as Machine
import autolab.experiment
assert Machine is RemoteMachineConfig is autolab.experiment.RemoteMachineConfig
print(type(ExperimentConfig("remote").training_service).__name__, LocalConfig().platform)
"""
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["RemoteConfig", "local"]


@pytest.mark.parametrize(
    ("statement", "named", "hint"),
    [
        ("import nni.compression.pytorch.pruning", "nni.compression", "model compression"),
        ("from nni import nas", "nni.nas", "autolab.nas"),
        ("from nni.retiarii import model_wrapper", "nni.retiarii", "autolab.nas"),
        ("from nni.mutable import Categorical", "nni.mutable", "search space in the config"),
        ("import nni.runtime.env_vars", "nni.runtime", "trial API"),
        ("nni.trace(dict)", "nni.trace", "trial API"),
    ],
)
def test_a_part_of_nni_autolab_lacks_is_named(statement: str, named: str, hint: str) -> None:
    proc = python_with_shim(f"import nni\n{statement}")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(("ModuleNotFoundError:", "AttributeError:")), proc.stderr
    assert named in last and hint in last and "autolab's nni module" in last


def fake_real_nni(folder: Path) -> Path:
    (folder / "nni").mkdir(parents=True)
    (folder / "nni" / "__init__.py").write_text("REAL = True\n")
    return folder


def test_an_nni_on_the_users_own_pythonpath_wins(tmp_path: Path) -> None:
    proc = python_with_shim("import nni; print(nni.REAL)", str(fake_real_nni(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"


def test_the_error_points_at_a_real_nni_installed_further_down_the_path(tmp_path: Path) -> None:
    real = fake_real_nni(tmp_path)
    proc = python_with_shim("import nni\nimport nni.compression", after=str(real))
    assert proc.returncode == 1
    assert f"A real NNI is installed at {real / 'nni'}" in proc.stderr and "nniModule: false" in proc.stderr
    assert find_real_nni([SHIM_PATH, str(real)]) == str(real / "nni")
    assert find_real_nni([SHIM_PATH]) is None


def test_a_trial_python_without_autolab_is_told_so(tmp_path: Path) -> None:
    # -S: no site-packages, so this Python has the shim on its path but no autolab
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SHIM_PATH}
    proc = subprocess.run(
        [sys.executable, "-S", "-c", "import nni"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert "autolab's NNI module" in last and "install autolab there" in last and "nniModule: false" in last
