"""The browsable job tree of a task experiment (a manager listener).

    jobs/all/<n>/        one folder per job (n: the trial's sequence number):
        command          the command the job ran (the template, rendered)
        parameters.json  its template values, in search-arg order
        log, stderr      links to the job's stdout and stderr
        trial            link to trials/<trial id>/ (parameter.json, metrics.jsonl, exit status)
        results.json     once it ended: status, final result, intermediate results
    jobs/tree/<param>/<value>/<param>/<value>/.../<value>  -> a link to jobs/all/<n>

so that `ls jobs/tree/epochs/5/gamma/0.7/` shows the jobs with those settings. Links are relative:
the experiment directory can be moved. A second job with the same settings (a re-run) is linked as
<value>~<n>.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .. import protocol
from ..commands import render
from .template import flat_parameters

MAX_NAME = 100


def _entry(value: Any) -> str:
    """A folder name for a value."""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, (dict, list))
        else str(value)
    )
    text = text.replace("/", "%2F").replace("\0", "")[:MAX_NAME]
    return text if text not in ("", ".", "..") else repr(text)


def _link(target: Path, link: Path) -> None:
    if link.is_symlink() or link.exists():
        return
    os.symlink(os.path.relpath(target, link.parent), link)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class JobTree:
    """Keeps <experiment>/jobs/ as trials are created and finish."""

    def __init__(self, task: dict[str, Any]) -> None:
        """task: the normalized task section (TaskConfig.to_dict())."""
        self.template: str = task["template"]
        self.names: list[str] = []
        for arg in task.get("searchArgs") or []:
            self.names.extend(arg["value"][0] if arg["type"] == "Nested" else [arg["name"]])

    @staticmethod
    def job_dir(manager: Any, sequence: int) -> Path:
        return Path(manager.directory) / "jobs" / "all" / str(sequence)

    def trial_created(self, manager: Any, trial: Any) -> None:
        job = self.job_dir(manager, trial.sequence)
        job.mkdir(parents=True, exist_ok=True)
        trial_dir = manager.trial_dir(trial.trial_id)
        values = flat_parameters(trial.parameters)
        _write(job / "command", render(self.template, values) + "\n")
        ordered = {name: values[name] for name in self.names if name in values}
        _write(job / "parameters.json", json.dumps({**ordered, **values}, indent=1) + "\n")
        _link(trial_dir, job / "trial")
        _link(trial_dir / protocol.STDOUT_FILE, job / "log")
        _link(trial_dir / protocol.STDERR_FILE, job / "stderr")
        if all(name in values for name in self.names) and self.names:
            self._tree_link(manager, job, values, trial.sequence)

    def _tree_link(self, manager: Any, job: Path, values: dict[str, Any], sequence: int) -> None:
        folder = Path(manager.directory) / "jobs" / "tree"
        for name in self.names[:-1]:
            folder = folder / _entry(name) / _entry(values[name])
        folder = folder / _entry(self.names[-1])
        folder.mkdir(parents=True, exist_ok=True)
        leaf = folder / _entry(values[self.names[-1]])
        if leaf.is_symlink() or leaf.exists():
            if os.path.realpath(leaf) == os.path.realpath(job):
                return
            leaf = folder / f"{leaf.name}~{sequence}"
        _link(job, leaf)

    def trial_finished(self, manager: Any, trial: Any) -> None:
        job = self.job_dir(manager, trial.sequence)
        if not job.is_dir():
            return  # created before the tree was kept
        status = getattr(trial.status, "value", trial.status)
        results = {
            "trial": trial.trial_id,
            "status": status,
            "final": trial.value,
            "intermediate": list(trial.intermediate),
        }
        _write(job / "results.json", json.dumps(results, indent=1) + "\n")
