"""Findings of a user walk: SPOS's BatchNorm statistics after search and its deterministic scores,
trial parameters into fixed_arch, unknown labels, and inputs that must give one clear line."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.training import evaluate  # noqa: E402

from .supernets import TinyNet, make_data  # noqa: E402


def _trainer(net: TinyNet, data: TensorDataset, **kwargs: object) -> nas.SposTrainer:
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    options: dict[str, object] = {
        "num_epochs": 2,
        "batch_size": 16,
        "device": "cpu",
        "recalibrate_batches": 2,
    }
    return nas.SposTrainer(net, F.cross_entropy, opt, data, make_data(48, seed=1), **{**options, **kwargs})  # type: ignore[arg-type]


def test_spos_scores_a_candidate_the_same_on_every_call(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data).fit()
    arch = {"width": 8, "kernel": 3, "op": "conv", "skip": [1]}
    scores = [trainer.evaluate(arch) for _ in range(3)]
    means = []
    for _ in range(2):
        trainer.evaluate(arch)
        means.append(tiny_net.bn.running_mean.clone())
    assert scores[0] == scores[1] == scores[2]
    assert torch.equal(means[0], means[1])


def test_spos_search_leaves_the_best_architectures_statistics(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data).fit()
    best = trainer.search(population_size=4, generations=2, parents=2)
    assert trainer.result is not None
    fixed = nas.apply_fixed_architecture(copy.deepcopy(trainer.model), best)
    score = evaluate(fixed, trainer.val_loader, device=torch.device("cpu"), amp=False)
    assert score == pytest.approx(trainer.result.best_score)
    after_search = tiny_net.bn.running_mean.clone()
    trainer.evaluate(best)
    assert torch.equal(tiny_net.bn.running_mean, after_search)


@pytest.mark.parametrize("epochs", [0, -1])
def test_spos_refuses_no_epochs(tiny_net: TinyNet, data: TensorDataset, epochs: int) -> None:
    with pytest.raises(nas.NasError, match=f"SposTrainer num_epochs must be >= 1, got {epochs}"):
        _trainer(tiny_net, data, num_epochs=epochs)
