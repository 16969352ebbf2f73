"""The remote service against real sshd machines on loopback (tests/services/sshd.py)."""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path

import psutil
import pytest

from autolab import protocol
from autolab.services.base import Event
from autolab.services.remote_scripts import LOOK_CAP, SYNC

from .remote_helpers import ended, launch, reached, remote, scripts_run, started, trial_dir_on, where
from .sshd import SshMachine
from .test_contract import events_until, exited
from .waiting import wait_until

pytestmark = pytest.mark.slow
PR_SET_CHILD_SUBREAPER = 36


def test_code_copied_once_per_machine_trials_run_results_read_back(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripts = scripts_run(monkeypatch)
    service = remote(tmp_path, two_machines)
    reached(service)
    ids = ["a", "b", "c", "d", "e", "f"]
    events: list[Event] = []
    for trial_id in ids:
        wait_until(lambda: service.free_slots() > 0 or events.extend(service.poll()), 60, "a free slot")
        service.start(launch(tmp_path, trial_id, code_dir, steps=2))
    events += events_until(service, lambda seen: exited(*ids)(events + seen))
    service.close()
    assert {e.exit_code for e in ended(events).values()} == {0}, events
    assert set(where(events).values()) == {m.config().name for m in two_machines}
    assert scripts.count(SYNC) == 2  # once per machine, not once per trial
    for machine in two_machines:
        code = machine.root / "exp" / "code"
        assert sorted(p.name for p in code.iterdir()) == [".nniignore", "keep.bin", "trial.py"]
        assert (machine.root / "exp" / "sdk" / "autolab" / "trial.py").is_file()
    for trial_id, name in where(events).items():
        local = tmp_path / "exp" / "trials" / trial_id
        machine = next(m for m in two_machines if m.config().name == name)
        lines = [json.loads(line) for line in (local / protocol.METRICS_FILE).read_text().splitlines()]
        assert [line["type"] for line in lines] == ["PERIODICAL", "PERIODICAL", "FINAL"]
        assert (
            (local / protocol.STDOUT_FILE).read_text().startswith(f"ran in {trial_dir_on(machine, trial_id)}")
        )
        assert protocol.read_exit_status(local) == 0


def test_exit_codes_and_signals_come_back(
    tmp_path: Path, code_dir: Path, two_machines: list[SshMachine]
) -> None:
    service = remote(tmp_path, two_machines[:1])
    reached(service)
    service.start(launch(tmp_path, "bad", code_dir, exit=3))
    events = events_until(service, exited("bad"))
    assert ended(events)["bad"].exit_code == 3 and not ended(events)["bad"].killed
    service.start(launch(tmp_path, "gone", code_dir, held=True))
    events_until(service, started("gone"))
    pid = int(wait_until(lambda: _read(trial_dir_on(two_machines[0], "gone") / "ready"), 60, "ready"))
    psutil.Process(pid).kill()  # killed by someone else: the wrapper records 137
    end = ended(events_until(service, exited("gone")))["gone"]
    service.close()
    assert end.exit_code == 137 and not end.killed


def test_kill_and_max_duration_end_the_remote_process_group(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
) -> None:
    service = remote(tmp_path, two_machines)
    reached(service)
    service.start(launch(tmp_path, "k", code_dir, held=True, child=True))
    service.start(launch(tmp_path, "d", code_dir, held=True, child=True, max_duration=1.0))
    events = events_until(service, started("k", "d"))
    on = {
        trial_id: next(m for m in two_machines if m.config().name == n)
        for trial_id, n in where(events).items()
    }
    children = {
        t: int(wait_until(lambda t=t: _read(trial_dir_on(on[t], t) / "child"), 60, "child")) for t in on
    }
    service.kill("k")
    ends = ended(events_until(service, exited("k", "d")))
    service.close()
    assert ends["k"].killed and not ends["k"].timed_out
    assert ends["d"].timed_out and "maxTrialDuration" in ends["d"].message
    for pid in children.values():  # the trial's child, in its process group, ended too
        wait_until(lambda pid=pid: not _alive(pid), 30, f"child {pid} to end")


def test_a_machine_that_goes_down_keeps_its_trials_and_owes_the_kills_asked_meanwhile(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
) -> None:
    # its trials keep running there: one that ends while it is down is read when it answers, one
    # killed meanwhile ends at once and is killed there when it answers (they used to end FAILED)
    down, other = two_machines
    owed = tmp_path / "owed.json"
    service = remote(tmp_path, two_machines, owed=owed)
    reached(service)
    for trial_id in "pqrs":
        service.start(launch(tmp_path, trial_id, code_dir, held=True))
    events = events_until(service, started(*"pqrs"))
    on_down = sorted(t for t, name in where(events).items() if name == down.config().name)
    assert len(on_down) == 2
    finishes, killed = on_down
    pids = {
        t: int(wait_until(lambda t=t: _read(trial_dir_on(down, t) / "ready"), 60, "ready")) for t in on_down
    }
    down.stop()
    wait_until(
        lambda: service.poll() == [] and service.machines[0].down_since is not None, 60, "it to be seen down"
    )
    # past down_timeout (2 s: said once in the log), and nothing ended; the notes say why
    seen: list[Event] = []
    wait_until(lambda: seen.extend(service.poll()) or service.machines[0].declared_down, 60, "down_timeout")
    # nothing ended: a note on each of its trials says what happened
    assert sorted((e.trial_id, e.kind.value) for e in seen) == [(t, "NOTE") for t in on_down]
    assert all(f"machine {down.config().name} unreachable since" in e.message for e in seen)
    assert any(f"machine {down.config().name} unreachable since" in note for note in service.notes())
    (trial_dir_on(down, finishes) / "release").write_text("go")  # it ends while no one can see it
    service.kill(killed)
    (gone,) = events_until(service, exited(killed))
    assert gone.killed and gone.exit_code is None
    assert f"killed while machine {down.config().name} was unreachable" in gone.message
    assert json.loads(owed.read_text()) == {down.config().name: [killed]}
    assert _alive(pids[killed])  # not yet: the machine cannot be reached
    for trial_id in sorted(set("pqrs") - set(on_down)):
        (trial_dir_on(other, trial_id) / "release").write_text("go")  # the other machine goes on
    assert {
        e.exit_code
        for e in ended(events_until(service, exited(*sorted(set("pqrs") - set(on_down))))).values()
    } == {0}
    down.start()
    returned = events_until(service, exited(finishes))
    assert ended(returned)[finishes].exit_code == 0  # how it ended, read from its folder there
    assert any(e.kind.value == "NOTE" and "answered again" in e.message for e in returned)
    wait_until(lambda: service.poll() == [] and not _alive(pids[killed]), 60, "the owed kill")
    wait_until(lambda: service.poll() == [] and not owed.exists(), 30, "the owed kill crossed off")
    service.close()


def test_a_new_service_adopts_running_trials_and_loses_no_result(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
) -> None:
    first = remote(tmp_path, two_machines)
    reached(first)
    trials = {t: launch(tmp_path, t, code_dir, held=True, steps=3) for t in ("s", "u")}
    for trial in trials.values():
        first.start(trial)
    events = events_until(first, started("s", "u"))
    handles = {t: first.handle(t) for t in trials}
    first.close()  # the manager dies: nothing more is read by it
    on = {t: next(m for m in two_machines if m.config().name == n) for t, n in where(events).items()}
    for t in trials:
        wait_until(lambda t=t: _read(trial_dir_on(on[t], t) / "ready"), 60, "ready")
    second = remote(tmp_path, two_machines)
    assert second.adopt(trials["s"], handles["s"])
    assert second.adopt(trials["u"], {})  # died before it stored the handle: found by its trial id
    assert second.handle("u")["machine"] == on["u"].config().name
    assert not second.adopt(launch(tmp_path, "never", code_dir), {})
    for t in trials:
        (trial_dir_on(on[t], t) / "release").write_text("go")
    ends = ended(events_until(second, exited("s", "u")))
    second.close()
    assert {e.exit_code for e in ends.values()} == {0}
    for t in trials:  # every metric exactly once, though read by two services
        lines = (tmp_path / "exp" / "trials" / t / protocol.METRICS_FILE).read_text().splitlines()
        assert [json.loads(line)["type"] for line in lines] == ["PERIODICAL"] * 3 + ["FINAL"]


@pytest.mark.parametrize("concurrency", [8, 16])
def test_many_trials_at_once_without_channel_failures(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
    concurrency: int,
) -> None:
    service = remote(tmp_path, two_machines, concurrency=concurrency)
    reached(service)
    ids = [f"t{i}" for i in range(concurrency)]
    assert service.free_slots() == concurrency
    for trial_id in ids:
        service.start(launch(tmp_path, trial_id, code_dir, steps=5, sleep=1))
    events = events_until(service, exited(*ids), timeout=120)
    service.close()
    assert {e.trial_id: e.exit_code for e in ended(events).values()} == dict.fromkeys(ids, 0)
    assert sorted(where(events).values()).count(two_machines[0].config().name) == concurrency // 2
    for trial_id in ids:
        lines = (tmp_path / "exp" / "trials" / trial_id / protocol.METRICS_FILE).read_text().splitlines()
        assert len(lines) == 6


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_output_larger_than_one_look_is_all_read_before_the_trial_ends(
    tmp_path: Path, code_dir: Path, two_machines: list[SshMachine]
) -> None:
    service = remote(tmp_path, two_machines[:1])
    reached(service)
    size = (LOOK_CAP * 5) // 2  # three looks' worth
    service.start(launch(tmp_path, "big", code_dir, spew=size))
    events = events_until(service, exited("big"))
    service.close()
    assert ended(events)["big"].exit_code == 0
    local = tmp_path / "exp" / "trials" / "big"
    remote_copy = trial_dir_on(two_machines[0], "big")
    assert (local / protocol.STDOUT_FILE).read_bytes() == (remote_copy / protocol.STDOUT_FILE).read_bytes()
    assert (local / protocol.STDOUT_FILE).stat().st_size > size
    assert json.loads((local / protocol.METRICS_FILE).read_text())["type"] == "FINAL"


def test_a_killed_trial_left_as_a_zombie_still_ends(
    tmp_path: Path, code_dir: Path, two_machines: list[SshMachine]
) -> None:
    """A machine whose init does not reap (many containers) keeps a killed trial's wrapper as a
    zombie: its process group must not count as alive. Here the test process is that init: it
    becomes the subreaper of the trials (its sshd's descendants) and reaps nothing until the end."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        pytest.skip("cannot become a subreaper here")
    try:
        service = remote(tmp_path, two_machines[:1])
        reached(service)
        service.start(launch(tmp_path, "z", code_dir, held=True))
        events_until(service, started("z"))
        wait_until(lambda: _read(trial_dir_on(two_machines[0], "z") / "ready"), 60, "ready")
        service.kill("z")
        end = ended(events_until(service, exited("z")))["z"]
        service.close()
        assert end.killed and end.exit_code == -15
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        while True:  # reap what re-parented to us
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    break
            except ChildProcessError:
                break


def test_a_trial_adopted_from_a_machine_never_reached_can_still_time_out(
    tmp_path: Path, code_dir: Path, two_machines: list[SshMachine]
) -> None:
    # resume while the machine is down: maxTrialDuration (or a kill) of such a trial asked for the
    # machine's folder, never known, and the poll raised (the experiment ended ERROR)
    down = two_machines[0]
    down.stop()
    service = remote(tmp_path, two_machines, owed=tmp_path / "owed.json")
    adopted = launch(tmp_path, "old", code_dir, max_duration=1.0)
    handle = {"machine": down.config().name, "pid": 4242, "gpus": [], "started": 1.0}  # long past its limit
    assert service.adopt(adopted, handle)
    (gone,) = events_until(service, exited("old"))
    service.close()
    assert gone.timed_out and f"maxTrialDuration passed while machine {down.config().name}" in gone.message
    assert json.loads((tmp_path / "owed.json").read_text()) == {down.config().name: ["old"]}
