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


class _Nested(torch.nn.Module):
    """A kernel choice that exists only inside the "conv_k" option of block1."""

    def __init__(self) -> None:
        super().__init__()
        conv = nas.MutableConv2d(1, 4, nas.ValueChoice([1, 3], label="block1_kernel"))
        self.block1 = nas.LayerChoice({"conv_k": conv, "pool": torch.nn.Conv2d(1, 4, 1)}, label="block1")
        self.head = torch.nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block1(x).mean((2, 3)))


def test_trial_parameters_retrain_through_arch_from_parameters() -> None:
    params = {"block1": "pool"}  # as a trial records it: block1_kernel does not matter, left out
    with pytest.raises(nas.NasError, match=r"'block1_kernel' .*arch_from_parameters\(supernet, params\)"):
        with nas.fixed_arch(params):
            _Nested()
    arch = nas.arch_from_parameters(_Nested(), params)
    with nas.fixed_arch(arch):
        model = _Nested()
    assert isinstance(model.block1, torch.nn.Conv2d) and model.block1.kernel_size == (1, 1)
    nested = {"block1": {"_name": "conv_k", "block1_kernel": 3}}  # the nested form of a search space
    with nas.fixed_arch(nas.arch_from_parameters(_Nested(), nested)):
        model = _Nested()
    assert model.block1.kernel_size == (3, 3) and model(torch.randn(2, 1, 6, 6)).shape == (2, 2)


def test_fixed_arch_refuses_an_unknown_label_but_not_a_skipped_edge() -> None:
    arch = {"width": 8, "kernel": 3, "op": "conv", "skip": [1]}
    with pytest.raises(
        nas.NasError, match="label\\(s\\) 'widht' that the model built in fixed_arch does not have"
    ):
        with nas.fixed_arch({**arch, "widht": 32}):
            TinyNet()
    skipped = {**arch, "node0_edge0": "conv", "node1_edge0": "conv"}
    with nas.fixed_arch(skipped):  # model code that builds node0's edge and skips node1's
        edge = nas.LayerChoice({"conv": torch.nn.Identity()}, label="node0_edge0")
        TinyNet()
    assert isinstance(edge, torch.nn.Identity)


def test_layers_without_a_mutable_form_refuse_a_value_choice() -> None:
    from autolab.nas import nn as nas_nn

    with pytest.raises(nas.NasError, match="autolab.nas.nn.Conv1d takes no ValueChoice"):
        nas_nn.Conv1d(3, nas.ValueChoice([8, 16], label="c1"), 3)
    with pytest.raises(nas.NasError, match="autolab.nas.nn.BatchNorm1d takes no ValueChoice"):
        nas_nn.BatchNorm1d(num_features=nas.ValueChoice([8, 16], label="b1"))
    conv = nas_nn.Conv1d(3, 8, 3)
    assert isinstance(conv, torch.nn.Conv1d) and conv(torch.randn(2, 3, 10)).shape == (2, 8, 8)
