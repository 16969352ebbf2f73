"""The remote service's GPU scheduling: nvidia-smi asked over SSH (a fake one on a machine's PATH)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autolab import protocol
from autolab.services.base import ServiceError

from .remote_helpers import launch, reached, remote, started, trial_dir_on, where
from .sshd import SshMachine, make_machine
from .test_contract import events_until, exited

pytestmark = pytest.mark.slow


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
