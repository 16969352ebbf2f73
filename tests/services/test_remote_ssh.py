"""The remote service's connections: password and passphrase auth, a wrong password, the channel
limit per machine, and the backoff of retries."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from autolab.services import remote_ssh
from autolab.services.remote import RemoteService

from .remote_helpers import ended, launch, reached, where
from .sshd import SshMachine, keygen
from .test_contract import events_until, exited
from .waiting import wait_until

pytestmark = pytest.mark.slow


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


def test_a_killed_master_connection_is_started_again(tmp_path: Path, two_machines: list[SshMachine]) -> None:
    ssh = remote_ssh.Ssh(two_machines[0].config(), tmp_path / "state")
    assert ssh.run("echo one").stdout == b"one\n"
    first = ssh.master_pid
    assert first and psutil.Process(first).name() == "ssh"
    psutil.Process(first).kill()  # its socket file stays behind
    wait_until(
        lambda: not psutil.pid_exists(first) or psutil.Process(first).status() == "zombie", 10, "death"
    )
    assert ssh.run("echo two").stdout == b"two\n"
    assert ssh.master_pid not in (0, first)
    second = ssh.master_pid
    ssh.close()  # -O exit: the master ends on its own, a moment later
    wait_until(
        lambda: not psutil.pid_exists(second) or psutil.Process(second).status() == "zombie", 10, "exit"
    )
