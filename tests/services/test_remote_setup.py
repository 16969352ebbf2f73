"""The remote service on sshd machines: ~/.ssh/config decides what a machine entry leaves out, a
machine that cannot be set up is set aside (and alone, ends the experiment saying why), and a
resumed experiment copies its code again only when it changed."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from autolab.config.remote import RemoteMachineConfig
from autolab.services.base import ServiceError
from autolab.services.remote import RemoteService
from autolab.services.remote_scripts import SYNC, SYNC_MARK

from .remote_helpers import ended, launch, reached, remote, scripts_run, started, trial_dir_on, where
from .sshd import SshMachine
from .test_contract import events_until, exited
from .waiting import wait_until

pytestmark = pytest.mark.slow


def test_ssh_config_decides_what_the_machine_entry_leaves_out(
    tmp_path: Path, code_dir: Path, two_machines: list[SshMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Host alias of the user's ssh config, with its HostName, Port, User and IdentityFile: the
    entry names the alias only. (ssh reads the config of the user's passwd home, not $HOME: an
    `ssh` first on PATH hands it this test's file with -F.)"""
    machine = two_machines[0]
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host gpu-box\n  HostName {machine.host}\n  Port {machine.port}\n  User {machine.user}\n"
        f"  IdentityFile {machine.key}\n  IdentitiesOnly yes\n"
    )
    shim = tmp_path / "bin"
    shim.mkdir()
    real = next(p / "ssh" for p in map(Path, os.environ["PATH"].split(os.pathsep)) if (p / "ssh").is_file())
    (shim / "ssh").write_text(f'#!/bin/sh\nexec {real} -F "{config}" "$@"\n')
    (shim / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    service = RemoteService([RemoteMachineConfig("gpu-box")], 1, "exp", tmp_path / "state", poll_interval=0.1)
    try:
        reached(service)
        service.start(launch(tmp_path, "a", code_dir))
        events = events_until(service, exited("a"))
    finally:
        service.close()
    assert where(events) == {"a": "gpu-box"} and ended(events)["a"].exit_code == 0
    assert (trial_dir_on(machine, "a") / "exit_status").read_text().strip() == "0"


def test_a_machine_that_cannot_be_set_up_alone_ends_it_naming_machine_and_cause(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    machine = two_machines[0]
    bad = machine.config(python_path="/opt/nothing/bin")
    service = RemoteService([bad], 1, "exp", tmp_path / "state", poll_interval=0.1)
    try:
        with pytest.raises(ServiceError) as info:
            events_until(service, lambda _: False, timeout=60)
    finally:
        service.close()
    assert str(info.value) == (
        f"platform remote: no machine of machineList can be used ({bad.name}: pythonPath /opt/nothing/bin "
        "does not exist)"
    )


def test_a_machine_set_aside_is_noted_and_the_others_carry_on(
    tmp_path: Path, code_dir: Path, two_machines: list[SshMachine]
) -> None:
    bad, good = two_machines
    (bad.root / "exp").write_text("not a folder")  # the experiment's folder there is a file
    service = remote(tmp_path, two_machines)
    try:
        wait_until(lambda: service.poll() == [] and service.machines[1].up, 60, "the good machine")
        wait_until(lambda: service.poll() == [] and service.notes() != [], 60, "the note")
        assert service.notes() == [
            f"machine {bad.config().name} set aside: {bad.root}/exp is not a directory"
        ]
        assert service.free_slots() > 0
        service.start(launch(tmp_path, "t", code_dir))
        events = events_until(service, exited("t"))
        (bad.root / "exp").unlink()  # fixed: it is asked again (after BACKOFF_MAX) and used
        service.machines[0].next_look = 0.0
        wait_until(lambda: service.poll() == [] and service.machines[0].up, 60, "the fixed machine")
        assert service.notes() == []
    finally:
        service.close()
    assert where(events) == {"t": good.config().name} and ended(events)["t"].exit_code == 0


VERSIONED = textwrap.dedent(
    """
    import os, pathlib, time
    import autolab
    p = autolab.get_next_parameter()
    here = pathlib.Path(os.environ["AUTOLAB_TRIAL_DIR"])
    (here / "ready").write_text("1")
    end = time.time() + 120
    while p.get("held") and not (here / "release").exists() and time.time() < end:
        time.sleep(0.05)
    autolab.report_final_result(float(open("version.txt").read()))
    """
)


def test_a_resumed_experiment_copies_its_code_again_only_when_it_changed(
    tmp_path: Path, two_machines: list[SshMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = scripts_run(monkeypatch)
    machine = two_machines[0]
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(VERSIONED)
    (code / "version.txt").write_text("1")
    first = remote(tmp_path, [machine])
    try:
        reached(first)
        held = launch(tmp_path, "held", code, held=True)
        first.start(held)
        events_until(first, started("held"))
        handle = first.handle("held")
    finally:
        first.close()  # the manager is gone; its trial runs on from code/
    wait_until(lambda: (trial_dir_on(machine, "held") / "ready").exists(), 60, "the held trial")
    assert scripts.count(SYNC) == 1

    second = remote(tmp_path, [machine])  # resumed, the code unchanged: not copied again
    try:
        assert second.adopt(held, handle)
        second.start(launch(tmp_path, "same", code))
        events = events_until(second, exited("same"))
    finally:
        second.close()
    assert ended(events)["same"].exit_code == 0 and scripts.count(SYNC) == 1

    (code / "version.txt").write_text("2")  # changed before the next resume: copied again
    third = remote(tmp_path, [machine])
    try:
        assert third.adopt(held, handle)
        third.start(launch(tmp_path, "new", code))
        events = events_until(third, exited("new"))
        (trial_dir_on(machine, "held") / "release").write_text("go")
        events += events_until(third, exited("held"))
    finally:
        third.close()
    assert scripts.count(SYNC) == 2
    assert {t: e.exit_code for t, e in ended(events).items()} == {"new": 0, "held": 0}
    assert result(tmp_path, "new") == 2.0
    assert result(tmp_path, "held") == 1.0  # it ran on from the copy it started with, kept aside
    folder = machine.root / "exp"
    assert (folder / "code.old" / "version.txt").read_text() == "1"
    assert (folder / "code" / "version.txt").read_text() == "2"
    assert len((folder / SYNC_MARK).read_text().strip()) == 32


def result(tmp_path: Path, trial_id: str) -> float:
    lines = (tmp_path / "exp" / "trials" / trial_id / "metrics.jsonl").read_text().splitlines()
    return float(json.loads(lines[-1])["value"])
