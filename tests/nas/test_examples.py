"""The example search spaces build, run, and fix into plain models (no training here)."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch")

from autolab import nas  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "nas"


def load(relative: str) -> ModuleType:
    path = EXAMPLES / relative
    spec = importlib.util.spec_from_file_location(f"example_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "relative, cls, kwargs, shape",
    [
        ("darts_digits/model.py", "DigitsNet", {}, (2, 1, 8, 8)),
        ("spos_digits/model.py", "DigitsSupernet", {}, (2, 1, 8, 8)),
        ("darts_cifar10/model.py", "SearchNetwork", {"channels": 4, "layers": 3}, (2, 3, 16, 16)),
        ("spos_cifar10/search.py", "CifarSupernet", {}, (2, 3, 16, 16)),
    ],
)
def test_example_space_runs_and_fixes(relative: str, cls: str, kwargs: dict, shape: tuple) -> None:
    factory = getattr(load(relative), cls)
    supernet = factory(**kwargs)
    x = torch.randn(*shape)
    arch = nas.random_arch(supernet, random.Random(0))
    nas.set_arch(supernet, arch)
    assert supernet(x).shape == (2, 10)
    with nas.fixed_arch(arch):
        fixed = factory(**kwargs)
    assert not nas.has_choices(fixed)
    assert fixed(x).shape == (2, 10)
    assert nas.count_params(fixed) < nas.count_params(supernet)


def test_darts_cells_build_only_the_chosen_edges() -> None:
    model = load("darts_digits/model.py")
    arch = nas.random_arch(model.DigitsNet(), random.Random(1))
    with nas.fixed_arch(arch):
        net = model.DigitsNet()
    node3 = net.cell1.nodes[2]
    assert sorted(int(k) for k in node3.edges) == arch["node3_inputs"]
