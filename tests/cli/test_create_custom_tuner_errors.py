"""`autolab create` with a custom tuner that cannot be built: one line naming the file and line
(or the missing codeDirectory, or the class and what its __init__ raised), exit code 2, nothing
created and no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: python3 model.py
tuner: {{className: {cls}, codeDirectory: {code}}}
"""
RAISING = """\
class Raising:
    def __init__(self):
        raise ValueError("no GPU for the tuner")
    def update_search_space(self, space): pass
    def generate_parameters(self, parameter_id, **kwargs): return {}
    def receive_trial_result(self, parameter_id, parameters, value, **kwargs): pass
"""


@pytest.mark.parametrize(
    ("cls", "code", "message"),
    [
        (
            "syn.Broken",
            "./algos",
            r"tuner className 'syn\.Broken': syn\.py line 3: SyntaxError: expected ':'",
        ),
        (
            "undefined.T",
            "./algos",
            r"tuner className 'undefined\.T': undefined\.py line 2: NameError: name 'nope'",
        ),
        ("my_tuner.T", "./nope", r"tuner codeDirectory .*nope does not exist"),
        (
            "raising.Raising",
            "./algos",
            r"tuner raising\.Raising: __init__ raised ValueError: no GPU for the tuner",
        ),
    ],
)
def test_a_custom_tuner_that_cannot_be_built_is_one_line_and_exit_2(
    tmp_path: Path, cls: str, code: str, message: str
) -> None:
    algos = tmp_path / "algos"
    algos.mkdir()
    (algos / "syn.py").write_text("x = 1\n\nclass Broken\n    pass\n")
    (algos / "undefined.py").write_text("x = 1\ny = nope\n")
    (algos / "raising.py").write_text(RAISING)
    (tmp_path / "config.yml").write_text(CONFIG.format(cls=cls, code=code))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env["AUTOLAB_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        [sys.executable, "-m", "autolab.cli", "create", "-c", str(tmp_path / "config.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("autolab: error: ") and "Traceback" not in proc.stderr
    assert re.search(message, proc.stderr), proc.stderr
