"""The digits example end to end (a short run), then a command on the supernet it saved."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[3]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.timeout(900)  # 27 s of CPU in all (the example on one torch thread); 175 s wall at load ~7
def test_digits_example_trains_searches_and_exports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = [
        "--epochs",
        "2",
        "--samples",
        "30",
        "--population",
        "4",
        "--generations",
        "2",
        "--finetune-epochs",
        "1",
    ]
    argv += ["--out", str(out)]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples/nas/bignas_digits/search.py"), *argv],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("supernet.pt", "subnet.pt"):
        assert (out / name).stat().st_size > 0
    for name in ("flops.png", "search.png"):
        assert (out / name).read_bytes()[:8] == PNG
    result = json.loads((out / "search.json").read_text())
    high = result["flops_range"][1]
    assert all(r["flops"] <= high for r in result["history"]) and result["best"] in result["front"]
    straight = re.search(r"best subnet test accuracy: ([0-9.]+) straight", proc.stdout)
    assert straight is not None and float(straight.group(1)) > 0.4, proc.stdout  # 10 classes: chance 0.1
    evaluated = subprocess.run(
        [
            sys.executable,
            "-m",
            "autolab.nas.bignas",
            "evaluate",
            str(out / "supernet.pt"),
            "--data",
            "digits",
            "--settings",
            str(out / "search.json"),
            "--calib-batches",
            "3",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"{result['best']['flops'] / 1e6:.3f} MFLOPs" in evaluated.stdout


def test_cifar10_example_space_and_generated_data() -> None:
    """The CIFAR example's space builds at 3x32x32 and its generated data has CIFAR's shapes (the
    full run is for a GPU)."""
    import importlib.util

    import torch

    from autolab.nas.bignas import BigNASSpace, build_supernet

    path = ROOT / "examples/nas/bignas_cifar10/search.py"
    spec = importlib.util.spec_from_file_location("bignas_cifar10_search", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    train, test = example.generated(64)
    assert train.tensors[0].shape == (64, 3, 32, 32) and test.tensors[0].shape == (256, 3, 32, 32)
    assert set(train.tensors[1].tolist()) <= set(range(10))
    supernet = build_supernet(
        BigNASSpace.from_yaml(path.parent / "space.yml"), 10, 3, strides=[1, 2, 2]
    ).eval()
    for settings in (supernet.space.max(), supernet.space.min()):
        supernet.set_active(settings)
        with torch.no_grad():
            assert supernet(train.tensors[0][:2]).shape == (2, 10)
