"""The paper's evaluation network and retraining recipe for a found DARTS cell (CIFAR example)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402

from .test_examples import EXAMPLES  # noqa: E402


@pytest.fixture(scope="module")
def example() -> object:
    directory = EXAMPLES / "darts_cifar10"
    sys.path.insert(0, str(directory))
    sys.modules.pop("model", None)
    spec = importlib.util.spec_from_file_location("darts_cifar10_retrain", directory / "retrain.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop("model", None)
        sys.modules.pop(spec.name, None)


def test_darts_v2_evaluation_network_has_the_reference_size(example: object) -> None:
    model = sys.modules["model"]
    with nas.fixed_arch(model.DARTS_V2):
        net = model.EvalNetwork()  # 20 cells, 36 channels, auxiliary head
    # the reference code prints "param size = 3.349342MB" for DARTS_V2 (auxiliary head excluded)
    assert sum(p.numel() for n, p in net.named_parameters() if "auxiliary" not in n) == 3_349_342
    assert not nas.has_choices(net)
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.affine for m in norms)
    assert nas.count_params(model.SearchNetwork()) == 1_930_618  # the search network is unchanged


def test_evaluation_network_auxiliary_head_and_drop_path(example: object) -> None:
    model = sys.modules["model"]
    torch.manual_seed(0)
    with nas.fixed_arch(model.DARTS_V2):
        net = model.EvalNetwork(channels=4, layers=5)
    x = torch.randn(2, 3, 32, 32)
    logits, aux = net.train()(x)
    assert logits.shape == aux.shape == (2, 10)
    assert net.eval()(x).shape == (2, 10)
    out = model.drop_path(torch.ones(1000, 1, 1, 1), 0.5)
    assert set(out.flatten().tolist()) == {0.0, 2.0} and 400 < int(out.sum()) / 2 < 600
    net.set_drop_path(0.3)
    nodes = [m for m in net.modules() if isinstance(m, model.Node)]
    assert len(nodes) == 5 * 4 and all(n.drop_prob == 0.3 for n in nodes)


def test_augment_crops_flips_and_cuts_out(example: object) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, 3, 32, 32, generator=gen) + 1.0  # no zeros, unlike the black padding
    out = example.augment(x, cutout=0, gen=gen)
    black = example.augment(torch.zeros(1, 3, 32, 32), 0, gen).amin()  # padding value (negative)
    for i in range(8):
        padded = torch.full((3, 40, 40), float("nan"))
        padded[:, 4:36, 4:36] = x[i]
        crops = [padded[:, dy : dy + 32, dx : dx + 32] for dy in range(9) for dx in range(9)]
        # padding positions (nan here) take whatever value; every other pixel must match
        found = any(torch.equal(torch.where(c.isnan(), out[i], c), out[i]) for c in crops) or any(
            torch.equal(torch.where(c.flip(2).isnan(), out[i], c.flip(2)), out[i]) for c in crops
        )
        assert found, i
    assert black < 0
    cut = example.augment(x, cutout=16, gen=gen)
    zeros = (cut[:, 0] == 0).flatten(1).sum(1)
    assert all(64 <= int(z) <= 256 for z in zeros), zeros


@pytest.mark.slow
def test_retrain_runs_the_recipe(example: object) -> None:
    model = sys.modules["model"]
    data = TensorDataset(torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,)))
    recipe = example.Recipe(epochs=2, batch_size=4, channels=4, layers=5)
    logs: list[str] = []
    net = example.retrain(model.DARTS_V2, data, recipe, device="cpu", workers=0, log=logs.append)
    assert len(logs) == 2 and all("loss" in line for line in logs)
    assert net.cells[0].nodes[0].drop_prob == pytest.approx(0.1)  # 0.2 * epoch 1 / 2
