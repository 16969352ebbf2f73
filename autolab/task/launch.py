"""What a job runs and where: the manager's _launch asks here (normal configs too).

A normal config's trialCommand may use the template form: each `{name}` naming one of the
trial's parameters is replaced by its shell-quoted value (other braces are left alone). A task
config's trialCommand is the task runner, which renders the template itself; with copyCode, its
jobs run in their own copy of trialCodeDirectory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .template import render


def job_command_and_code(
    settings: dict[str, Any], parameters: dict[str, Any], trial_dir: Path, experiment_dir: Path
) -> tuple[str, Path]:
    command: str = settings["trialCommand"]
    code_dir = Path(settings["trialCodeDirectory"])
    task = settings.get("task")
    if not task:
        return render(command, parameters), code_dir
    if task.get("copyCode"):
        from .copycode import job_code_dir

        code_dir = job_code_dir(code_dir, trial_dir, bool(task.get("symlinks")), experiment_dir)
    return command, code_dir
