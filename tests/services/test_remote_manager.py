"""The manager with platform remote: NNI-shaped v1 and v2 configs run unchanged on sshd machines,
stop reaches the remote trials, and a manager killed with kill -9 is resumed with nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from autolab.config import load_config
from autolab.launcher import build_manager
from autolab.store import Store
from tests.helpers_experiment import run_manager

from .sshd import SshMachine
from .waiting import wait_until

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]

# an NNI trial, as written for NNI
TRIAL = textwrap.dedent(
    """
    import os, pathlib, time
    import nni
    p = nni.get_next_parameter()
    here = pathlib.Path(os.environ["NNI_OUTPUT_DIR"])
    (here / "ready").write_text(str(os.getpid()))
    for step in range(p.get("steps", 3)):
        time.sleep(p.get("pause", 0.1))
        nni.report_intermediate_result({"default": p["x"] * step, "step": step})
    nni.report_final_result(p["x"])
    """
)
SPACE = '{"x": {"_type": "uniform", "_value": [0, 1]}}'


def machine_list(machines: list[SshMachine]) -> str:
    """The machines as a v2 config's trainingService.machineList items (indented under it)."""
    return "".join(
        f"    - host: {m.host}\n      port: {m.port}\n      user: {m.user}\n      sshKeyFile: {m.key}\n"
        for m in machines
    )


def v2_config(tmp_path: Path, machines: list[SshMachine], trials: int = 6, extra: str = "") -> Path:
    (tmp_path / "code").mkdir(exist_ok=True)
    (tmp_path / "code" / "mnist.py").write_text(TRIAL)
    listed = machine_list(machines)
    path = tmp_path / "config.yml"
    path.write_text(
        f"experimentName: remote-v2\nsearchSpace: {SPACE}\ntrialCommand: python3 mnist.py\n"
        f"trialCodeDirectory: code\ntrialConcurrency: 4\nmaxTrialNumber: {trials}\n{extra}"
        "tuner:\n  name: TPE\n  classArgs:\n    optimize_mode: maximize\n"
        "trainingService:\n  platform: remote\n  machineList:\n" + listed
    )
    return path


def v1_config(tmp_path: Path, machines: list[SshMachine]) -> Path:
    (tmp_path / "code").mkdir(exist_ok=True)
    (tmp_path / "code" / "mnist.py").write_text(TRIAL)
    (tmp_path / "search_space.json").write_text(SPACE)
    listed = "".join(
        f"  - ip: {m.host}\n    port: {m.port}\n    username: {m.user}\n    sshKeyPath: {m.key}\n"
        for m in machines
    )
    path = tmp_path / "config.yml"
    path.write_text(
        "authorName: default\nexperimentName: remote-v1\ntrialConcurrency: 2\nmaxExecDuration: 1h\n"
        "maxTrialNum: 4\ntrainingServicePlatform: remote\nsearchSpacePath: search_space.json\n"
        "useAnnotation: false\ntuner:\n  builtinTunerName: Random\n"
        "trial:\n  command: python3 mnist.py\n  codeDir: code\n  gpuNum: 0\n"
        "remoteConfig:\n  reuse: false\nmachineList:\n" + listed
    )
    return path


def experiment(tmp_path: Path, config_file: Path) -> Path:
    """An experiment directory made from a config file, as `autolab create` makes it."""
    config = load_config(config_file)
    directory = tmp_path / "exp1"
    (directory / "trials").mkdir(parents=True)
    with Store(directory, create=True) as store:
        store.set_meta(
            id="exp1",
            name="t",
            config=config.to_dict(),
            status="INITIALIZED",
            created=time.time(),
            elapsed=0.0,
        )
    return directory


def rows(directory: Path) -> list:  # type: ignore[type-arg]
    with Store(directory, readonly=True) as store:
        return store.trial_rows()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_nni_configs_run_unchanged_on_the_machines(
    tmp_path: Path, two_machines: list[SshMachine], version: str, autolab_home: Path
) -> None:
    config = (v1_config if version == "v1" else v2_config)(tmp_path, two_machines)
    directory = experiment(tmp_path, config)
    manager = run_manager(directory, timeout=120)
    assert manager.status == "DONE"
    trials = rows(directory)
    assert len(trials) == (4 if version == "v1" else 6)
    assert {r.status for r in trials} == {"SUCCEEDED"}
    for row in trials:
        assert row.value == pytest.approx(row.parameters["x"]) and row.n_intermediate == 3
    assert {r.handle["machine"] for r in trials} == {m.config().name for m in two_machines}
    # the machines' host keys went to this test's own home, never to the user's ~/autolab-experiments
    known = autolab_home / ".remote" / "known_hosts"
    for m in two_machines:  # ssh hashes the names it records: ssh-keygen -F finds them
        found = subprocess.run(
            ["ssh-keygen", "-F", f"[{m.host}]:{m.port}", "-f", str(known)], capture_output=True
        )
        assert found.returncode == 0, f"{m.host}:{m.port} not in {known}"


def test_stop_ends_the_remote_trials(tmp_path: Path, two_machines: list[SshMachine]) -> None:
    directory = experiment(tmp_path, v2_config(tmp_path, two_machines, trials=2))
    # every trial runs for minutes: only the stop ends them
    (tmp_path / "code" / "mnist.py").write_text(TRIAL.replace('p.get("pause", 0.1)', "600"))
    manager = build_manager(directory)
    manager.start()

    def both_running() -> bool:
        manager.step()
        return len([t for t in manager.active.values() if t.status == "RUNNING"]) == 2

    wait_until(both_running, 60, "two running trials")
    ready = wait_until(
        lambda: _ready([m.root / "exp1" / "trials" for m in two_machines]), 60, "trials to run"
    )
    manager.request_stop()
    wait_until(lambda: manager.step() or manager.finished, 60, "the stop")
    manager.close()
    assert {r.status for r in rows(directory)} == {"USER_CANCELED"}
    for pid in ready:
        wait_until(lambda pid=pid: not _alive(pid), 30, f"remote trial {pid} to end")


def _ready(folders: list[Path]) -> list[int]:
    """The pids of the two trials, once both run."""
    pids = [int(p.read_text()) for folder in folders for p in folder.glob("*/ready") if p.read_text()]
    return pids if len(pids) == 2 else []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def autolab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOLAB_", "NNI_"))}
    env.update(AUTOLAB_HOME=str(home), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=home,
    )


@pytest.mark.e2e
def test_manager_killed_and_resumed_adopts_remote_trials_and_loses_nothing(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    config = v2_config(tmp_path, two_machines, trials=8, extra="maxExperimentDuration: 30m\n")
    text = config.read_text().replace("TPE\n  classArgs:\n    optimize_mode: maximize", "Random")
    config.write_text(text)
    (tmp_path / "code" / "mnist.py").write_text(
        TRIAL.replace('p.get("steps", 3)', "6").replace('p.get("pause", 0.1)', "0.5")
    )
    created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    directory = tmp_path / exp_id

    def remote_exits() -> int:
        return sum(len(list((m.root / exp_id / "trials").glob("*/exit_status"))) for m in two_machines)

    wait_until(lambda: len(list(directory.glob("trials/*/metrics.jsonl"))) >= 2, 120, "results read back")
    pid = int((directory / "manager.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not _alive(pid), 30, "the manager to die")
    at_kill = remote_exits()
    # the remote trials go on, and some end, while no manager runs
    wait_until(lambda: remote_exits() > at_kill, 120, "a remote trial ending while the manager is down")

    final = autolab(tmp_path, "resume", exp_id, "--foreground", "--port", "0")
    assert final.returncode == 0, final.stdout + final.stderr
    assert "DONE" in final.stdout
    trials = rows(directory)
    assert len(trials) == 8 and {r.status for r in trials} == {"SUCCEEDED"}, [
        (r.id, r.status) for r in trials
    ]
    assert {r.source for r in trials} == {"tuner"}  # nothing was lost, so nothing was re-run
    for row in trials:
        lines = (directory / "trials" / row.id / "metrics.jsonl").read_text().splitlines()
        steps = [json.loads(line)["value"] for line in lines if json.loads(line)["type"] == "PERIODICAL"]
        assert row.n_intermediate == 6 and [s["step"] for s in steps] == list(range(6)), row.id


# a trial that runs until a file named `go` appears in its folder (or 600 s pass)
WAIT_FOR_GO = """end = time.time() + 600
while not (here / "go").exists() and time.time() < end:
    time.sleep(0.1)
"""
HELD = TRIAL.replace("for step in range", WAIT_FOR_GO + "for step in range")


def _orphaned(tmp_path: Path, two_machines: list[SshMachine]) -> tuple[str, list[int]]:
    """An experiment created with `autolab create`, a held trial on each machine, its manager then
    killed with SIGKILL: its id, and the pids of its trials on the machines."""
    config = v2_config(tmp_path, two_machines, trials=2)
    (tmp_path / "code" / "mnist.py").write_text(HELD)
    created = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    pids = wait_until(
        lambda: _ready([m.root / exp_id / "trials" for m in two_machines]), 120, "trials to run"
    )
    directory = tmp_path / exp_id
    wait_until(lambda: len([r for r in rows(directory) if r.handle]) == 2, 60, "the handles stored")
    manager = int((directory / "manager.pid").read_text().split()[0])
    os.kill(manager, signal.SIGKILL)
    wait_until(lambda: not _alive(manager), 30, "the manager to die")
    return exp_id, pids


@pytest.mark.e2e
def test_stop_after_the_manager_died_ends_the_remote_trials(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    exp_id, pids = _orphaned(tmp_path, two_machines)
    directory = tmp_path / exp_id
    stopped = autolab(tmp_path, "stop", exp_id)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert {r.status for r in rows(directory)} == {"USER_CANCELED"}
    for pid in pids:
        wait_until(lambda pid=pid: not _alive(pid), 30, f"remote trial {pid} to end")


def test_a_machine_down_keeps_its_trial_running_and_a_stop_meanwhile_is_carried_out_on_resume(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    directory = experiment(tmp_path, v2_config(tmp_path, two_machines, trials=2))
    slow = TRIAL.replace('p.get("steps", 3)', "1000").replace('p.get("pause", 0.1)', "0.5")
    (tmp_path / "code" / "mnist.py").write_text(slow)
    manager = build_manager(directory)
    manager.service.down_timeout = 2.0  # type: ignore[attr-defined]
    manager.start()
    down = two_machines[0]

    def step_until(done: object) -> object:
        manager.step()
        return done() if callable(done) else done

    pid = int(
        wait_until(
            lambda: step_until(lambda: "".join(p.read_text() for p in down.root.glob("exp1/trials/*/ready"))),
            60,
            "a trial there",
        )
    )
    wait_until(
        lambda: step_until(lambda: len(list(tmp_path.glob("exp1/trials/*/metrics.jsonl"))) == 2),
        60,
        "results",
    )
    down.stop()
    wait_until(lambda: step_until(lambda: manager.service.machines[0].declared_down), 60, "down_timeout")  # type: ignore[attr-defined]
    assert {r.status for r in rows(directory)} == {"RUNNING"}  # it was FAILED: it runs on there
    (quiet,) = [r for r in rows(directory) if r.handle["machine"] == down.config().name]
    assert f"machine {down.config().name} unreachable since" in (quiet.message or "")
    with Store(directory, readonly=True) as store:
        notes = store.get_meta("notes")
    assert any(f"machine {down.config().name} unreachable since" in n for n in notes), notes
    manager.request_stop()  # its machine cannot be told: the kill is owed to it
    wait_until(lambda: step_until(lambda: manager.finished), 60, "the stop")
    manager.close()
    manager.store.close()
    assert {r.status for r in rows(directory)} == {"USER_CANCELED"}
    owed = json.loads((directory / "unreached_kills.json").read_text())
    (on_down,) = [r for r in rows(directory) if r.handle["machine"] == down.config().name]
    assert (
        owed == {down.config().name: [on_down.id]}
        and "carried out when the machine answers" in on_down.message
    )
    assert _alive(pid)
    down.start()
    second = build_manager(directory)  # autolab resume: the owed kill is carried out
    second.start()
    wait_until(lambda: second.step() or not _alive(pid), 60, "the owed kill")
    wait_until(
        lambda: second.step() or not (directory / "unreached_kills.json").exists(), 30, "it crossed off"
    )
    second.request_stop()
    wait_until(lambda: second.step() or second.finished, 60, "the second stop")
    second.close()
    second.store.close()


@pytest.mark.e2e
def test_trial_kill_after_the_manager_died_kills_over_ssh_or_owes_it(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    # it said "marked cancelled (it had ended)" and left the remote process running
    exp_id, _ = _orphaned(tmp_path, two_machines)
    directory = tmp_path / exp_id
    up, down = two_machines
    by_machine = {r.handle["machine"]: r.id for r in rows(directory)}
    pid_of = {
        m.config().name: int((m.root / exp_id / "trials" / by_machine[m.config().name] / "ready").read_text())
        for m in two_machines
    }
    killed = autolab(tmp_path, "trial", "kill", "--trial_id", by_machine[up.config().name], exp_id)
    assert killed.returncode == 0, killed.stdout + killed.stderr
    assert f"killed on machine {up.config().name}" in killed.stdout
    wait_until(lambda: not _alive(pid_of[up.config().name]), 30, "the remote trial to end")
    down.stop()
    owed = autolab(tmp_path, "trial", "kill", "--trial_id", by_machine[down.config().name], exp_id)
    assert owed.returncode == 0, owed.stdout + owed.stderr
    assert f"while machine {down.config().name} was unreachable" in owed.stdout
    assert json.loads((directory / "unreached_kills.json").read_text()) == {
        down.config().name: [by_machine[down.config().name]]
    }
    assert {r.status for r in rows(directory)} == {"USER_CANCELED"}
    assert _alive(pid_of[down.config().name])  # until a resume reaches the machine (the fixture ends it)
    stopped = autolab(tmp_path, "stop", exp_id)  # says where the owed kill waits, and what carries it out
    assert stopped.returncode == 0 and f"`autolab resume {exp_id}` carries them out" in stopped.stderr, (
        stopped
    )


@pytest.mark.e2e
def test_trial_kill_after_the_manager_died_of_a_trial_that_had_ended_says_so(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    exp_id, _ = _orphaned(tmp_path, two_machines)
    directory = tmp_path / exp_id
    machine = two_machines[0]
    (trial,) = [r for r in rows(directory) if r.handle["machine"] == machine.config().name]
    there = machine.root / exp_id / "trials" / trial.id
    (there / "go").write_text("")  # it ends on its own while no manager runs
    wait_until(lambda: (there / "exit_status").exists(), 60, "the trial to end there")
    said = autolab(tmp_path, "trial", "kill", "--trial_id", trial.id, exp_id)
    assert said.returncode == 0, said.stdout + said.stderr
    assert f"marked cancelled (it had ended on machine {machine.config().name}, exit code 0)" in said.stdout
