"""Tune any command without touching its code: a command template, its search args, results read
from stdout, and a browsable job tree (jobs/all/<n>/, jobs/tree/<param>/<value>/...).

The config's `task:` section is read by section.py (registered in autolab.config.EXTRA_SECTIONS)
into a TaskConfig, which plugs into the core through the config: autolab.commands asks its
job_command_and_code (the runner, in its own copy of the code with copyCode) and the launcher its
manager_listener (jobtree.py, which keeps jobs/). run.py is the runner each job's trialCommand
invokes; copycode.py makes a job's copy of the code directory. The names below load on first use,
so that the runner (run in every job) does not pay for the config reader.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TaskConfig", "config_section", "derived_keys", "parse_task"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".section", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
