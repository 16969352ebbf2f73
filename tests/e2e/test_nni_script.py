"""An NNI trial script (the shape of NNI's mnist-pytorch/mnist.py: `import nni`, `from nni.utils
import merge_parameter`, argparse defaults merged, intermediate and final reports) and NNI's config
for it run unchanged through a real `autolab create --foreground`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autolab.store import Store
from autolab.store.core import DB_FILE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXAMPLE = Path(__file__).resolve().parent / "nni_mnist"
REPO = Path(__file__).resolve().parents[2]


def test_nni_mnist_style_script_runs_unchanged(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    code = tmp_path / "mnist"
    shutil.copytree(EXAMPLE, code)
    before = hashlib.sha256((code / "mnist.py").read_bytes()).hexdigest()
    config = code / "config.yml"
    # the only change: the Python that runs the tests stands for `python3`
    config.write_text(config.read_text().replace("python3 mnist.py", f"{sys.executable} mnist.py"))
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
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
        cwd=code,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 SUCCEEDED" in result.stdout, result.stdout
    assert hashlib.sha256((code / "mnist.py").read_bytes()).hexdigest() == before
    [directory] = [p.parent for p in (tmp_path / "home").rglob(DB_FILE)]
    with Store(directory, readonly=True) as store:
        rows = store.trial_rows()
        curves = store.intermediate_values()
    assert len(rows) == 4
    for row in rows:
        assert row.status == "SUCCEEDED", row.message
        assert 0.5 < row.value <= 1.0  # digits: a linear model gets far above chance
        assert len(curves[row.id]) == 3 and curves[row.id][-1] == row.value  # epochs=3 from argparse
        assert set(row.parameters) == {"batch_size", "alpha", "lr"}
        stdout = (directory / "trials" / row.id / "stdout").read_text()
        # merge_parameter: the tuner's values over the argparse defaults, types kept
        assert f"'batch_size': {row.parameters['batch_size']}," in stdout and "'epochs': 3" in stdout
