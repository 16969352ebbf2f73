"""Helpers of the remote service's tests: one trial script driven by its parameters, launches of
it, a service with short intervals, and what its events say."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autolab import protocol
from autolab.services import remote_ssh
from autolab.services.base import Event, EventKind, Launch
from autolab.services.remote import RemoteService

from .sshd import SshMachine
from .test_contract import events_until

# one trial script for every test; what it does comes from its parameters
TRIAL = textwrap.dedent(
    """
    import os, pathlib, subprocess, sys, time
    import autolab
    p = autolab.get_next_parameter()
    here = pathlib.Path(os.environ["AUTOLAB_TRIAL_DIR"])
    for i in range(p.get("steps", 0)):
        autolab.report_intermediate_result(p["x"] * i)
    if p.get("child"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        (here / "child").write_text(str(child.pid))
    (here / "ready.tmp").write_text(str(os.getpid()))
    os.replace(here / "ready.tmp", here / "ready")
    end = time.time() + 120
    while p.get("held") and not (here / "release").exists() and time.time() < end:
        time.sleep(0.05)
    time.sleep(p.get("sleep", 0))
    print("ran in", here, "gpus", os.environ.get("CUDA_VISIBLE_DEVICES"))
    sys.stdout.write("y" * p.get("spew", 0))
    autolab.report_final_result(p["x"])
    sys.exit(p.get("exit", 0))
    """
)


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    (code / "data").mkdir(parents=True)
    (code / "trial.py").write_text(TRIAL)
    (code / "data" / "big.csv").write_text("1,2\n")
    (code / "skip.bin").write_bytes(b"\0")
    (code / "keep.bin").write_bytes(b"\1")
    (code / ".nniignore").write_text("data/\n*.bin\n!keep.bin\n")
    return code


def launch(tmp_path: Path, trial_id: str, code_dir: Path, **params: Any) -> Launch:
    trial_dir = tmp_path / "exp" / "trials" / trial_id
    trial_dir.mkdir(parents=True, exist_ok=True)
    max_duration = params.pop("max_duration", None)
    protocol.write_parameters(trial_dir, {"x": 1.5, **params})
    env = protocol.trial_env("exp", trial_id, 0, trial_dir)
    return Launch(trial_id, 0, trial_dir, "python3 trial.py", code_dir, env, max_duration=max_duration)


def remote(tmp_path: Path, machines: list[SshMachine], concurrency: int = 4, **kwargs: Any) -> RemoteService:
    options: dict[str, Any] = dict(poll_interval=0.1, kill_grace=1.0, down_timeout=2.0, alive_interval=1)
    options.update(kwargs)
    configs = [m.config() for m in machines]
    return RemoteService(configs, concurrency, "exp", tmp_path / "ssh state", **options)  # a space: quoted


def reached(service: RemoteService) -> None:
    """Poll until every machine answered once (until then trials go to those that did)."""
    seen = events_until(service, lambda _: all(m.up for m in service.machines), timeout=60)
    assert seen == []


def trial_dir_on(machine: SshMachine, trial_id: str) -> Path:
    return machine.root / "exp" / "trials" / trial_id


def where(events: list[Event]) -> dict[str, str]:
    return {e.trial_id: e.handle["machine"] for e in events if e.kind == EventKind.STARTED}


def ended(events: list[Event]) -> dict[str, Event]:
    return {e.trial_id: e for e in events if e.kind == EventKind.EXITED}


def started(*ids: str) -> Callable[[list[Event]], bool]:
    return lambda events: {e.trial_id for e in events if e.kind == EventKind.STARTED} >= set(ids)


def scripts_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scripts every Ssh.run is asked to run from now on, in order (it still runs them)."""
    scripts: list[str] = []
    run = remote_ssh.Ssh.run

    def counted(self: remote_ssh.Ssh, script: str, *args: Any, **kwargs: Any) -> remote_ssh.Result:
        scripts.append(script)
        return run(self, script, *args, **kwargs)

    monkeypatch.setattr(remote_ssh.Ssh, "run", counted)
    return scripts
