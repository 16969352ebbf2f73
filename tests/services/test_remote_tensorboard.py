"""`autolab tensorboard start` over remote trials: their logs are copied from their machines (sshd on
loopback) into their local trial folders first, as nnictl did; a machine that does not answer is
named. They were only named ("its logs are on that machine")."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from autolab import experiments
from autolab.cli import main
from autolab.statuses import TrialStatus
from autolab.store import Store

from .sshd import SshMachine
from .test_remote_manager import experiment, v2_config

pytest.importorskip("tensorboard", reason="TensorBoard is not installed (pip install tensorboard)")
summary = pytest.importorskip("torch.utils.tensorboard", reason="torch is not installed")
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_remote_trials_logs_are_copied_then_served(
    tmp_path: Path, two_machines: list[SshMachine], autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = experiment(tmp_path, v2_config(tmp_path, two_machines))
    experiments.register("exp1", "t", directory)
    up, down = two_machines
    with Store(directory) as store:
        for trial_id, machine in (("a", up), ("b", down)):
            store.add_trial(trial_id, {"x": 0.5})
            handle = {"machine": machine.config().name, "pid": 1, "gpus": [], "started": time.time()}
            store.update_trial(
                trial_id, status=TrialStatus.SUCCEEDED, value=0.5, raw_value=0.5, handle=handle
            )
    writer = summary.SummaryWriter(str(up.root / "exp1" / "trials" / "a" / "tensorboard"))
    for step in range(3):
        writer.add_scalar("loss", 3.0 - step, step)
    writer.close()
    down.stop()
    port = free_port()
    try:
        assert main(["tensorboard", "start", "exp1", "--port", str(port)]) == 0
        out = capsys.readouterr().out
        assert f"trial b: its logs not copied: machine {down.config().name} unreachable since" in out
        assert "TensorBoard serves 1 trial(s) of experiment exp1" in out
        copied = list((directory / "trials" / "a" / "tensorboard").glob("events.out.tfevents*"))
        assert len(copied) == 1
        url = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=0-a/.&tag=loss"
        deadline = time.monotonic() + 60
        while True:  # TensorBoard reads the logs in the background
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    points = json.loads(response.read())
                break
            except urllib.error.HTTPError:
                assert time.monotonic() < deadline, "TensorBoard never read the copied logs"
                time.sleep(0.2)
        assert [p[1:] for p in points] == [[0, 3.0], [1, 2.0], [2, 1.0]]
    finally:
        main(["tensorboard", "stop", "exp1"])
