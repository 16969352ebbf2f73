"""One trial of the remote service: its state, the variables it gets on its machine, and how its
end is recorded and told."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from .. import protocol
from .base import Launch
from .remote_machines import Machine
from .remote_sync import sdk_pythonpath


@dataclass
class RemoteTrial:
    """A trial the remote service runs (or is starting) on one machine."""

    launch: Launch
    machine: Machine
    gpus: list[int]
    launching: bool = True  # its start command has not answered yet
    pid: int = 0  # the wrapper's pid on the machine (its process group)
    started: float = 0.0  # wall-clock start
    killed: bool = False
    timed_out: bool = False
    term_sent: float | None = None  # monotonic time SIGTERM was sent
    kill_sent: bool = False  # SIGKILL sent


def exports(machine: Machine, launch: Launch, gpus: list[int], gpu_number: int, nni_module: bool) -> str:
    """sh code exporting the trial's variables, paths rewritten to the machine's."""
    remote_dir = f"{machine.directory}/trials/{launch.trial_id}"
    env = {k: (remote_dir if v == str(launch.trial_dir) else v) for k, v in launch.env.items()}
    env.pop("PYTHONPATH", None)  # the manager's paths: the machine gets its copy of the SDK
    lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    sdk = sdk_pythonpath(machine.directory, nni_module and "PYTHONPATH" in launch.env)
    lines.append(f'export PYTHONPATH="${{PYTHONPATH:+$PYTHONPATH:}}"{shlex.quote(sdk)}')
    if gpu_number > 0:
        lines.append(f"export CUDA_VISIBLE_DEVICES={','.join(str(i) for i in gpus)}")
    if machine.config.python_path:
        # the folder put first, as NNI does; a python named itself there means its folder
        lines.append(f"pp={shlex.quote(machine.config.python_path)}")
        lines.append('[ -f "$pp" ] && pp=$(dirname "$pp")')
        lines.append('export PATH="$pp:$PATH"')
    return "\n".join(lines)


def parse_pid(out: bytes) -> int:
    """The wrapper's pid from the START script's answer (0 when it did not say)."""
    for line in out.decode("utf-8", "replace").splitlines():
        if line.startswith("PID ") and line[4:].strip().isdigit():
            return int(line[4:].strip())
    return 0


def local_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def write_exit(trial_dir: Path, code: int) -> None:
    """The exit status in the local trial directory too: a manager killed now settles it on resume."""
    tmp = trial_dir / (protocol.EXIT_FILE + ".tmp")
    tmp.write_text(f"{code}\n", encoding="utf-8")
    os.replace(tmp, trial_dir / protocol.EXIT_FILE)


def end_message(trial: RemoteTrial, code: int) -> str:
    if trial.timed_out and trial.launch.max_duration is not None:
        return f"killed after maxTrialDuration ({trial.launch.max_duration:g} s)"
    if code < 0:
        return f"killed by signal {-code}"
    return ""
