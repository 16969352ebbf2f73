"""The manager with platform remote and a machine that cannot be set up: with another machine the
experiment runs on it and its notes name the bad one while it runs; alone, it ends ERROR with one
line naming the machine and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab import lifecycle
from autolab.launcher import build_manager
from autolab.store import Store

from .sshd import SshMachine
from .test_remote_manager import experiment, rows, v2_config
from .waiting import wait_until

pytestmark = pytest.mark.slow
BAD = "/opt/nothing/bin"


def with_bad_python_path(config: Path, machine: SshMachine) -> Path:
    """The config, with a pythonPath that does not exist on `machine`'s entry."""
    line = f"      sshKeyFile: {machine.key}\n"
    text = config.read_text()
    config.write_text(text.replace(line, line + f"      pythonPath: {BAD}\n", 1))
    return config


def test_a_machine_set_aside_is_noted_while_the_other_runs_the_trials(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    bad, good = two_machines
    directory = experiment(tmp_path, with_bad_python_path(v2_config(tmp_path, two_machines, trials=3), bad))
    manager = build_manager(directory)
    manager.start()
    seen: list[object] = []

    def step() -> bool:
        manager.step()
        with Store(directory, readonly=True) as store:
            seen.append(store.get_meta("notes"))
        return manager.finished

    try:
        wait_until(step, 120, "the experiment to end")
    finally:
        manager.close()
    assert manager.status == "DONE", manager.error
    assert {r.status for r in rows(directory)} == {"SUCCEEDED"}
    assert {r.handle["machine"] for r in rows(directory)} == {good.config().name}
    name = bad.config().name
    assert [f"machine {name} set aside: pythonPath {BAD} does not exist"] in seen
    with Store(directory, readonly=True) as store:
        assert store.get_meta("notes") is None  # the manager has gone: nothing is noted now


def test_the_only_machine_set_aside_ends_the_experiment_error_in_one_line(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    bad = two_machines[0]
    directory = experiment(tmp_path, with_bad_python_path(v2_config(tmp_path, [bad]), bad))
    manager = build_manager(directory)
    manager.start()

    def tick() -> bool:  # as the launcher's loop turns
        try:
            manager.step()
        except Exception as exc:
            lifecycle.loop_failed(manager, exc)
        return manager.finished

    try:
        wait_until(tick, 120, "the experiment to end")
    finally:
        manager.close()
    assert manager.status == "ERROR"
    with Store(directory, readonly=True) as store:
        error = store.get_meta("error")
    assert error == (
        f"platform remote: no machine of machineList can be used ({bad.config().name}: pythonPath {BAD} "
        "does not exist)"
    )
