"""The remote service against real sshd machines on loopback (tests/services/sshd.py)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolab import protocol
from autolab.services import remote_ssh
from autolab.services.base import Event, EventKind, Launch, ServiceError
from autolab.services.remote import RemoteService
from autolab.services.remote_scripts import SYNC

from .sshd import SshMachine, keygen, make_machine
from .test_contract import events_until, exited
from .waiting import wait_until

pytestmark = pytest.mark.slow

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


def test_code_copied_once_per_machine_trials_run_results_read_back(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripts: list[str] = []
    run = remote_ssh.Ssh.run

    def counted(self: remote_ssh.Ssh, script: str, *args: Any, **kwargs: Any) -> remote_ssh.Result:
        scripts.append(script)
        return run(self, script, *args, **kwargs)

    monkeypatch.setattr(remote_ssh.Ssh, "run", counted)
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


def test_a_machine_that_goes_down_fails_its_trials_and_is_used_again_when_back(
    tmp_path: Path,
    code_dir: Path,
    two_machines: list[SshMachine],
) -> None:
    down, other = two_machines
    service = remote(tmp_path, two_machines)
    reached(service)
    service.start(launch(tmp_path, "p", code_dir, held=True))
    service.start(launch(tmp_path, "q", code_dir, held=True))
    events = events_until(service, started("p", "q"))
    assert where(events) == {"p": down.config().name, "q": other.config().name}
    left = int(wait_until(lambda: _read(trial_dir_on(down, "p") / "ready"), 60, "p ready"))
    down.stop()
    events = events_until(service, exited("p"))
    failed = ended(events)["p"]
    assert failed.exit_code is None and f"machine {down.config().name} unreachable" in failed.message
    assert "q" not in ended(events)  # the other machine goes on
    assert service.free_slots() > 0  # ...and takes new trials
    (trial_dir_on(other, "q") / "release").write_text("go")
    assert ended(events_until(service, exited("q")))["q"].exit_code == 0
    down.start()
    wait_until(lambda: service.poll() == [] and service.machines[0].up, 60, "the machine to be back")
    wait_until(
        lambda: service.poll() == [] and not _alive(left), 30, "the failed trial's process to be killed"
    )
    service.start(launch(tmp_path, "r", code_dir))  # both machines idle: the first one takes it
    events = events_until(service, exited("r"))
    service.close()
    assert where(events) == {"r": down.config().name} and ended(events)["r"].exit_code == 0


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


def test_password_auth_and_a_key_with_a_passphrase(
    tmp_path: Path,
    code_dir: Path,
    password_machine: SshMachine,
    two_machines: list[SshMachine],
) -> None:
    key = keygen(tmp_path / "locked_key", passphrase="open sesame")
    authorized = Path(str(two_machines[0].folder.parent / "authorized_keys"))
    authorized.write_text(authorized.read_text() + (tmp_path / "locked_key.pub").read_text())
    locked = two_machines[0].config(ssh_key_file=key, ssh_passphrase="open sesame")
    service = RemoteService(
        [password_machine.config(), locked], 4, "exp", tmp_path / "state", poll_interval=0.1
    )
    reached(service)
    service.start(launch(tmp_path, "pw", code_dir))
    service.start(launch(tmp_path, "pp", code_dir))
    events = events_until(service, exited("pw", "pp"))
    service.close()
    assert {e.exit_code for e in ended(events).values()} == {0}
    assert set(where(events).values()) == {password_machine.config().name, locked.name}


def test_a_wrong_password_stops_the_experiment_with_the_reason(
    tmp_path: Path,
    password_machine: SshMachine,
) -> None:
    service = RemoteService(
        [password_machine.config(password="wrong")], 1, "exp", tmp_path / "s", poll_interval=0.1
    )
    with pytest.raises(Exception, match="no machine of machineList can be reached.*Permission denied"):
        events_until(service, lambda _: False, timeout=60)
    service.close()


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


FAKE_SMI = """#!/bin/sh
case "$*" in
  *query-gpu*) printf '0, 00000000:01:00.0\\n1, 00000000:02:00.0\\n2, 00000000:03:00.0\\n' ;;
  *query-compute-apps*) printf '00000000:03:00.0\\n' ;;
esac
"""


@pytest.fixture
def gpu_machines(machines_dir: Path, two_machines: list[SshMachine]) -> Iterator[list[SshMachine]]:
    """A machine whose nvidia-smi lists GPUs 0, 1, 2 (2 busy with another user's process), and
    one without nvidia-smi."""
    bin_dir = machines_dir / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "nvidia-smi").write_text(FAKE_SMI)
    (bin_dir / "nvidia-smi").chmod(0o755)
    me, authorized = two_machines[0].user, machines_dir / "authorized_keys"
    gpu = make_machine(
        machines_dir / "gpu", "127.0.0.4", me, authorized=authorized, env={"PATH": f"{bin_dir}:/usr/bin:/bin"}
    )
    gpu.key = two_machines[0].key
    gpu.start()
    try:
        yield [gpu, two_machines[1]]
    finally:
        gpu.stop()
        gpu.kill_trials()


def test_gpus_found_over_ssh_schedule_trials_and_a_machine_without_takes_none(
    tmp_path: Path, code_dir: Path, gpu_machines: list[SshMachine]
) -> None:
    service = remote(tmp_path, gpu_machines, concurrency=8, gpu_number=1)
    reached(service)
    assert service.free_slots() == 2  # GPUs 0 and 1: 2 is another user's, the second machine has none
    assert not service.machines[1].usable and "no GPU" in service.machines[1].unusable
    for trial_id in ("g0", "g1"):
        service.start(launch(tmp_path, trial_id, code_dir, held=True))
    assert service.free_slots() == 0
    events = events_until(service, started("g0", "g1"))
    assert set(where(events).values()) == {gpu_machines[0].config().name}
    for trial_id in ("g0", "g1"):
        (trial_dir_on(gpu_machines[0], trial_id) / "release").write_text("go")
    events_until(service, exited("g0", "g1"))
    service.close()
    seen = sorted(
        (tmp_path / "exp" / "trials" / t / protocol.STDOUT_FILE).read_text().split()[-1] for t in ("g0", "g1")
    )
    assert seen == ["0", "1"]  # CUDA_VISIBLE_DEVICES, one GPU each


def test_trials_needing_gpus_on_machines_without_fail_at_once(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    service = remote(tmp_path, two_machines, gpu_number=1)
    with pytest.raises(
        ServiceError, match="trialGpuNumber is 1, but no machine of machineList has such GPUs"
    ):
        events_until(service, lambda _: False, timeout=60)
    service.close()


def test_commands_to_one_machine_never_use_more_channels_than_the_limit(
    tmp_path: Path, two_machines: list[SshMachine]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ssh = remote_ssh.Ssh(two_machines[0].config(), tmp_path / "state", channels=2)
    log = two_machines[0].root / "overlap"
    script = 'echo "+ $(date +%s.%N)" >> "$1"; sleep 0.3; echo "- $(date +%s.%N)" >> "$1"'
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ssh.run(script, [str(log)]), range(8)))
    ssh.close()
    assert [r.returncode for r in results] == [0] * 8
    marks = sorted(
        (float(t), 1 if sign == "+" else -1)
        for sign, t in (line.split() for line in log.read_text().splitlines())
    )
    running = [sum(step for _, step in marks[: i + 1]) for i in range(len(marks))]
    assert max(running) == 2


def test_an_unreachable_machine_is_retried_with_growing_delays(tmp_path: Path) -> None:
    from autolab.config.remote import RemoteMachineConfig
    from autolab.services.remote_machines import BACKOFF_MAX, Machine

    config = RemoteMachineConfig("127.0.0.1", 1)
    machine = Machine(config, remote_ssh.Ssh(config, tmp_path))
    delays = []
    for _ in range(8):
        machine.failed(100.0, "Connection refused")
        delays.append(machine.next_look - 100.0)
    assert delays == [1, 2, 4, 8, 16, BACKOFF_MAX, BACKOFF_MAX, BACKOFF_MAX]
    assert machine.down_since == 100.0 and not machine.permanent_failure()
    machine.reached()
    assert machine.down_since is None and machine.failures == 0
