"""Checkpoints on remote machines: the default checkpoint folders of PBT and ASHA promotion are put
under each machine's copy of the experiment directory, and a checkpoint saved on one machine is
copied to the machine of the trial that loads it (machines share no disk)."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autolab.services import remote_checkpoints
from autolab.services.remote_checkpoints import bring, localize
from autolab.services.remote_ssh import Result

from .sshd import SshMachine
from .test_remote_manager import experiment, machine_list, rows, run_manager

# an NNI PBT trial: its "model" is a counter of the generations it has trained, kept in its checkpoint
PBT_TRIAL = textwrap.dedent(
    """
    import pathlib
    import nni
    p = nni.get_next_parameter()
    load, save = pathlib.Path(p["load_checkpoint_dir"]), pathlib.Path(p["save_checkpoint_dir"])
    trained = int((load / "model.txt").read_text()) if (load / "model.txt").exists() else 0
    save.mkdir(parents=True, exist_ok=True)
    (save / "model.txt").write_text(str(trained + 1))
    print("saved in", save)
    nni.report_final_result(trained + 1 + p["x"] / 10)
    """
)


def test_paths_under_the_experiment_directory_move_under_the_machines() -> None:
    given = {
        "x": 0.5,
        "load_checkpoint_dir": "/home/me/exps/e1/checkpoint/3/1",
        "save_checkpoint_dir": "/home/me/exps/e1/checkpoint/3/2",
        "elsewhere": "/home/me/exps/e10/checkpoint",  # another experiment's: not under e1/
        "shared": "/nfs/ckpt/3",
    }
    moved, load = localize(
        json.dumps(given).encode(), "/home/me/exps/e1", "/home/alice/autolab-experiments/e1"
    )
    assert json.loads(moved) == {
        **given,
        "load_checkpoint_dir": "/home/alice/autolab-experiments/e1/checkpoint/3/1",
        "save_checkpoint_dir": "/home/alice/autolab-experiments/e1/checkpoint/3/2",
    }
    assert load == given["load_checkpoint_dir"]  # as the tuner gave it


@pytest.mark.parametrize(
    "given, load",
    [
        ({"x": 1}, ""),  # no checkpoint
        ({"load_checkpoint_dir": "", "save_checkpoint_dir": "/e1/checkpoint/c/0"}, ""),  # ASHA rung 0
        (
            {"load_checkpoint_dir": "/e1/checkpoint/2/0", "save_checkpoint_dir": "/e1/checkpoint/2/0"},
            "",
        ),  # PBT gen 0
        (
            {"load_checkpoint_dir": "/e1/checkpoint/2/0", "save_checkpoint_dir": "/e1/checkpoint/2/1"},
            "/e1/checkpoint/2/0",
        ),
        ({"load_checkpoint_dir": "/nfs/c/2/0", "save_checkpoint_dir": "/nfs/c/2/1"}, "/nfs/c/2/0"),  # shared
    ],
)
def test_what_a_trial_loads(given: dict[str, object], load: str) -> None:
    moved, found = localize(json.dumps(given).encode(), "/e1", "/m/e1")
    assert found == load
    if not any(isinstance(v, str) and v.startswith("/e1/") for v in given.values()):
        assert moved == json.dumps(given).encode()  # untouched, byte for byte


def test_not_json_is_left_as_it_is() -> None:
    assert localize(b"", "/e1", "/m/e1") == (b"", "")
    assert localize(b"[1, 2]", "/e1", "/m/e1") == (b"[1, 2]", "")


@dataclass
class FakeSsh:
    folders: set[str]
    asked: list[str] = field(default_factory=list)

    def run(self, script: str, args: list[str], *_: Any, **__: Any) -> Result:
        self.asked.append(args[0])
        return Result(0, b"HAVE\n" if args[0] in self.folders else b"", "")


@dataclass
class FakeMachine:
    name: str
    directory: str
    ssh: FakeSsh
    up: bool = True


def machines(*held: set[str]) -> list[FakeMachine]:
    return [FakeMachine(f"m{i}", f"/m{i}/e1", FakeSsh(folders)) for i, folders in enumerate(held)]


def test_bring_copies_from_the_machine_that_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list[tuple[str, str, str, str]] = []

    def copy(source: FakeMachine, held: str, target: FakeMachine, there: str) -> Result:
        copies.append((source.name, held, target.name, there))
        return Result(0, b"", "")

    monkeypatch.setattr(remote_checkpoints, "copy", copy)
    ms = machines(set(), set(), {"/m2/e1/checkpoint/1/0"})
    ok, said = bring("/e1/checkpoint/1/0", "/e1", ms[0], ms)  # type: ignore[arg-type]
    assert ok and said == "checkpoint /e1/checkpoint/1/0 copied from m2 to m0"
    assert copies == [("m2", "/m2/e1/checkpoint/1/0", "m0", "/m0/e1/checkpoint/1/0")]
    assert ms[1].ssh.asked == ["/m1/e1/checkpoint/1/0"]  # each machine asked at its own path
    # already there: nothing asked of the others, nothing copied
    ok, said = bring("/e1/checkpoint/1/0", "/e1", ms[2], ms)  # type: ignore[arg-type]
    assert (ok, said, len(copies), ms[0].ssh.asked) == (True, "", 1, ["/m0/e1/checkpoint/1/0"])


def test_two_trials_that_load_the_same_checkpoint_on_one_machine_copy_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ms = machines(set(), {"/m1/e1/checkpoint/1/0"})
    copying = threading.Event()
    copies: list[str] = []

    def copy(source: FakeMachine, held: str, target: FakeMachine, there: str) -> Result:
        copies.append(there)
        copying.set()
        time.sleep(0.2)  # the second trial asks meanwhile
        target.ssh.folders.add(there)
        return Result(0, b"", "")

    monkeypatch.setattr(remote_checkpoints, "copy", copy)
    said: list[tuple[bool, str]] = []
    first = threading.Thread(target=lambda: said.append(bring("/e1/checkpoint/1/0", "/e1", ms[0], ms)))  # type: ignore[arg-type]
    first.start()
    assert copying.wait(10)
    said.append(bring("/e1/checkpoint/1/0", "/e1", ms[0], ms))  # type: ignore[arg-type]
    first.join(10)
    assert copies == ["/m0/e1/checkpoint/1/0"]
    assert said == [(True, "checkpoint /e1/checkpoint/1/0 copied from m1 to m0"), (True, "")]


def test_bring_refuses_rather_than_let_a_trial_train_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_checkpoints, "copy", lambda *_: Result(3, b"", "tar: No space left on device"))
    ms = machines(set(), {"/m1/e1/checkpoint/1/0"}, set())
    ok, said = bring("/e1/checkpoint/1/0", "/e1", ms[0], ms)  # type: ignore[arg-type]
    assert not ok and said == "checkpoint /e1/checkpoint/1/0 not copied from m1: tar: No space left on device"
    ms[1].up = False  # the only machine that may hold it is down
    ok, said = bring("/e1/checkpoint/1/0", "/e1", ms[0], ms)  # type: ignore[arg-type]
    assert not ok and said == "checkpoint /e1/checkpoint/1/0 is on no machine that answers (down: m1)"
    ms[1].up = True  # on no machine, every machine up: nothing to load yet, the trial starts
    ok, said = bring("/e1/checkpoint/9/0", "/e1", ms[0], ms)  # type: ignore[arg-type]
    assert (ok, said) == (True, "")


@pytest.mark.slow
def test_pbt_members_move_between_machines_with_their_checkpoints(
    tmp_path: Path, two_machines: list[SshMachine], autolab_home: Path
) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "pbt.py").write_text(PBT_TRIAL)
    listed = machine_list(two_machines)
    config = tmp_path / "config.yml"
    config.write_text(
        'searchSpace: {"x": {"_type": "uniform", "_value": [0, 1]}}\ntrialCommand: python3 pbt.py\n'
        "trialCodeDirectory: code\ntrialConcurrency: 4\nmaxTrialNumber: 16\n"
        "tuner:\n  name: PBTTuner\n  classArgs:\n    optimize_mode: maximize\n    population_size: 4\n"
        "    seed: 0\ntrainingService:\n  platform: remote\n  machineList:\n" + listed
    )
    directory = experiment(tmp_path, config)
    manager = run_manager(directory, timeout=180)
    assert manager.status == "DONE"
    trials = rows(directory)
    assert len(trials) == 16 and {r.status for r in trials} == {"SUCCEEDED"}
    local = directory / "checkpoint"
    by_save = {r.parameters["save_checkpoint_dir"]: r for r in trials}
    moved = 0
    for row in trials:
        generation = int(Path(row.parameters["save_checkpoint_dir"]).name)
        # every generation trained on the checkpoint of the one before: none started from scratch
        assert int(row.value) == generation + 1, row.parameters
        # the store keeps the tuner's paths; on the machine they are under its experiment directory
        assert row.parameters["save_checkpoint_dir"].startswith(f"{local}/")
        machine = next(m for m in two_machines if m.config().name == row.handle["machine"])
        saved_in = (directory / "trials" / row.id / "stdout").read_text().removeprefix("saved in ").strip()
        assert saved_in == row.parameters["save_checkpoint_dir"].replace(
            str(directory), f"{machine.root}/exp1"
        )
        assert Path(saved_in, "model.txt").read_text() == str(generation + 1)
        if generation:
            source = by_save[row.parameters["load_checkpoint_dir"]]
            moved += source.handle["machine"] != row.handle["machine"]
    assert moved > 0  # some member went on on the other machine: its checkpoint was copied there
    assert not local.exists()  # nothing was written on the manager's side


def test_a_trial_goes_to_the_machine_with_its_checkpoint_among_the_least_loaded() -> None:
    from autolab.config.remote import RemoteMachineConfig
    from autolab.services.remote_machines import Machine, pick
    from autolab.services.remote_scripts import Probe

    a, b, c = (Machine(RemoteMachineConfig(host=h), None, probe=Probe(f"/{h}", True)) for h in "abc")  # type: ignore[arg-type]
    ms = [a, b, c]
    assert pick(ms) is a and pick(ms, prefer=c) is c  # a tie: the holder, else list order
    a.trials.add("t1")
    assert pick(ms, prefer=a) is b  # the holder runs more than the others: balance first
    b.trials.add("t2")
    c.trials.add("t3")
    assert pick(ms, prefer=a) is a
    a.probe = None  # not reached: no room
    assert pick(ms, prefer=a) is b
