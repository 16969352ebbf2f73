"""`python -m autolab.nas.bignas ...` on a saved supernet: outputs, files, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from autolab.nas.bignas.commands import main, parse_range  # noqa: E402
from autolab.nas.bignas.evaluate import load_subnet  # noqa: E402
from autolab.nas.bignas.supernet import save_supernet  # noqa: E402

from .subnets import small_supernet  # noqa: E402

DATA = """
import torch
from torch.utils.data import TensorDataset

def make():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 1, 8, 8, generator=g), torch.randint(0, 3, (64,), generator=g)
    return TensorDataset(x[:48], y[:48]), TensorDataset(x[48:], y[48:])
"""


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "supernet.pt"
    save_supernet(str(path), small_supernet())
    data = tmp_path / "data.py"
    data.write_text(DATA)
    return path, f"{data}:make"


def fail(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code not in (0, None)
    message = str(exc.value.code)
    assert "\n" not in message and "Traceback" not in capsys.readouterr().err
    return message


def test_parse_range() -> None:
    assert parse_range("2M:6.5M") == (2e6, 6.5e6)
    assert parse_range(":300k") == (None, 3e5)
    assert parse_range("1e9:") == (1e9, None)


def test_evaluate_search_export_and_finetune(saved: tuple[Path, str], tmp_path: Path, capsys) -> None:
    supernet, data = saved
    common = ["--data", data, "--calib-batches", "2", "--batch-size", "16", "--device", "cpu"]
    main(["evaluate", str(supernet), *common, "--settings", "min", "--output", str(tmp_path / "min.json")])
    record = json.loads((tmp_path / "min.json").read_text())
    assert record["settings"] == small_supernet().space.min() and 0 <= record["accuracy"] <= 1
    assert record["latency_ms"] > 0
    out, png = tmp_path / "front.json", tmp_path / "front.png"
    argv = ["search", str(supernet), *common, "--population", "3", "--generations", "2", "--parents", "2"]
    main([*argv, "--output", str(out), "--plot", str(png)])
    result = json.loads(out.read_text())
    assert result["best"] in result["front"] and len(result["history"]) >= 3
    assert png.stat().st_size > 0
    main(["export", str(supernet), "--settings", str(out), "--output", str(tmp_path / "best.pt")])
    model, settings = load_subnet(str(tmp_path / "best.pt"), small_supernet())
    assert settings == result["best"]["settings"]
    main(
        [
            "finetune",
            str(supernet),
            *common,
            "--settings",
            "min",
            "--epochs",
            "1",
            "--output",
            str(tmp_path / "ft.pt"),
        ]
    )
    assert load_subnet(str(tmp_path / "ft.pt"), small_supernet())[1] == record["settings"]
    assert "validation accuracy" in capsys.readouterr().out


def test_sample_flops_without_data(saved: tuple[Path, str], tmp_path: Path) -> None:
    supernet, _ = saved
    out, png = tmp_path / "flops.json", tmp_path / "flops.png"
    argv = ["sample-flops", str(supernet), "-n", "6", "--input-shape", "1,8,8", "--baseline", "ref=20K"]
    main([*argv, "--output", str(out), "--plot", str(png), "--mode", "traverse"])
    assert len(json.loads(out.read_text())) == 6 and png.stat().st_size > 0


def test_user_mistakes_are_one_line_errors(saved: tuple[Path, str], tmp_path: Path, capsys) -> None:
    supernet, data = saved
    assert "no such supernet file" in fail(["evaluate", str(tmp_path / "nope.pt"), "--data", data], capsys)
    junk = tmp_path / "junk.pt"
    junk.write_text("hello")
    assert "not a supernet file" in fail(["evaluate", str(junk), "--data", data], capsys)
    assert "low is above high" in fail(
        ["search", str(supernet), "--data", data, "--flops-range", "6M:2M"], capsys
    )
    assert "not a number" in fail(["search", str(supernet), "--data", data, "--flops-range", "2X:"], capsys)
    assert "no subnet has FLOPs" in fail(
        ["search", str(supernet), "--data", data, "--flops-range", "1G:", "--device", "cpu"], capsys
    )
    assert "--data 'mnist'" in fail(["evaluate", str(supernet), "--data", "mnist"], capsys)
    assert "has no function nope" in fail(
        ["evaluate", str(supernet), "--data", data.replace("make", "nope")], capsys
    )
    assert "--settings" in fail(["evaluate", str(supernet), "--data", data, "--settings", "{oops"], capsys)
    assert "not a subnet of this supernet" in fail(
        ["evaluate", str(supernet), "--data", data, "--settings", '{"depth": [9]}'], capsys
    )
    assert "--input-shape" in fail(["sample-flops", str(supernet), "-n", "2"], capsys)


def test_module_entry_point_exits_1_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autolab.nas.bignas",
            "sample-flops",
            str(tmp_path / "x.pt"),
            "--input-shape",
            "1,8,8",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"bignas sample-flops: {tmp_path / 'x.pt'}: no such supernet file"


def test_a_wrong_input_shape_is_one_line(saved: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    supernet, _ = saved  # 1 input channel
    argv = ["sample-flops", str(supernet), "-n", "2", "--device", "cpu", "--input-shape"]
    assert "write C,H,W (3 positive numbers)" in fail([*argv, "1,8"], capsys)
    assert "write C,H,W (3 positive numbers)" in fail([*argv, "1,8,0"], capsys)
    assert "the supernet takes 1 input channel(s), got 3" in fail([*argv, "3,8,8"], capsys)
