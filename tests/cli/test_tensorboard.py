"""`autolab tensorboard start|stop` (nnictl's) against a real TensorBoard: each trial that wrote logs
is a run named `<sequence>-<trial id>`, served in the background until `stop`."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolab.cli import main
from autolab.cli.tensorboard import RECORD
from autolab.protocol import process_alive
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.cli.admin_helpers import stored_experiment

pytest.importorskip("tensorboard", reason="TensorBoard is not installed (pip install tensorboard)")
summary = pytest.importorskip("torch.utils.tensorboard", reason="torch is not installed")


def write_losses(folder: Path, scale: float) -> None:
    writer = summary.SummaryWriter(str(folder))
    for step in range(5):
        writer.add_scalar("loss", scale * (5 - step), step)
    writer.close()


@pytest.fixture
def exp(autolab_home: Path) -> Iterator[Path]:
    directory = stored_experiment(autolab_home, "tb1")
    with Store(directory) as store:
        for trial_id in ("a", "b", "c"):
            store.add_trial(trial_id, {"x": 0.5})
            store.update_trial(trial_id, status=TrialStatus.SUCCEEDED, value=0.5, raw_value=0.5)
    trials = directory / "trials"
    write_losses(trials / "a" / "tensorboard", 1.0)  # NNI 2.x: NNI_OUTPUT_DIR/tensorboard
    write_losses(trials / "b", 2.0)  # NNI 1.x: event files in the output folder itself
    (trials / "c").mkdir()  # wrote none
    yield directory
    main(["tensorboard", "stop", "tb1"])  # never leave a TensorBoard behind, even when a test fails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def loaded(url: str, runs: int) -> list[str]:
    """The run names once TensorBoard has read `runs` of them (it reads logs in the background)."""
    deadline = time.monotonic() + 60
    while True:
        names = [str(r) for r in get(url + "/data/runs")]  # type: ignore[union-attr]
        if len(names) >= runs or time.monotonic() > deadline:
            return sorted(names)
        time.sleep(0.2)


def test_start_serves_each_trial_with_logs_then_stop_ends_it(
    exp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    assert main(["tensorboard", "start", "tb1", "--port", str(port)]) == 0
    out = capsys.readouterr().out
    assert f"TensorBoard serves 2 trial(s) of experiment tb1: http://127.0.0.1:{port}" in out
    url = f"http://127.0.0.1:{port}"
    assert loaded(url, 2) == ["0-a/.", "1-b/."]
    points = get(url + "/data/plugin/scalars/scalars?run=0-a/.&tag=loss")
    assert [p[1:] for p in points] == [[0, 5.0], [1, 4.0], [2, 3.0], [3, 2.0], [4, 1.0]]  # type: ignore[union-attr]
    record = json.loads((exp / RECORD).read_text())
    # a second start is refused while it serves, naming where
    assert main(["tensorboard", "start", "tb1", "--port", str(free_port())]) == 2
    assert f"already serves experiment tb1 at {url}" in capsys.readouterr().err
    assert main(["tensorboard", "stop", "tb1"]) == 0
    assert not process_alive(record["pid"], record["created"]) and not (exp / RECORD).exists()
    assert "stopped" in capsys.readouterr().out


def test_one_trial_by_id(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    assert main(["tensorboard", "start", "tb1", "-T", "b", "--port", str(port)]) == 0
    assert loaded(f"http://127.0.0.1:{port}", 1) == ["1-b/."]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["-T", "c"], "trial c wrote no TensorBoard logs"),
        (["-T", "zz"], "--trial_id zz: no trial zz in experiment tb1"),
        (["--port", "70000"], "--port 70000: expected 1 to 65535"),
    ],
)
def test_bad_requests_say_why_in_one_line(
    exp: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main(["tensorboard", "start", "tb1", *argv]) == 2
    captured = capsys.readouterr()
    assert said in captured.out + captured.err
    assert not (exp / RECORD).exists()


def test_without_tensorboard_installed(
    exp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert main(["tensorboard", "start", "tb1", "--port", str(free_port())]) == 2
    assert (
        "tensorboard is not installed in this environment (pip install tensorboard)"
        in capsys.readouterr().err
    )


def test_a_port_in_use(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["tensorboard", "start", "tb1", "--port", str(port)]) == 2
    assert f"--port {port}: the port is in use" in capsys.readouterr().err


def test_deleting_the_experiment_stops_its_tensorboard(exp: Path) -> None:
    assert main(["tensorboard", "start", "tb1", "--port", str(free_port())]) == 0
    record = json.loads((exp / RECORD).read_text())
    assert process_alive(record["pid"], record["created"])
    assert main(["experiment", "delete", "tb1", "--yes"]) == 0
    assert not process_alive(record["pid"], record["created"]) and not exp.exists()
