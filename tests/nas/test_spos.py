from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.space import set_arch  # noqa: E402

from .supernets import TinyNet, make_data  # noqa: E402


def _trainer(net: TinyNet, data: TensorDataset, **kwargs: object) -> nas.SposTrainer:
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    return nas.SposTrainer(
        net,
        F.cross_entropy,
        opt,
        data,
        make_data(48, seed=1),
        num_epochs=2,
        batch_size=16,
        device="cpu",
        recalibrate_batches=3,
        **kwargs,
    )  # type: ignore[arg-type]


def test_spos_trains_the_supernet_and_searches(tiny_net: TinyNet, data: TensorDataset) -> None:
    head_before = tiny_net.head.weight.detach().clone()
    trainer = _trainer(tiny_net, data).fit()
    assert len(trainer.history) == 2
    assert not torch.equal(head_before, tiny_net.head.weight)
    best = trainer.search(population_size=4, generations=3, parents=2)
    assert trainer.result is not None
    scores = [s for _, s in trainer.result.history]
    assert trainer.result.best_score == max(scores)
    assert nas.export(trainer) == best == nas.validate_arch(tiny_net, best)
    assert len({str(a) for a, _ in trainer.result.history}) == len(trainer.result.history)  # each scored once


def test_search_respects_a_parameter_limit(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data).fit()
    limit = 60
    trainer.search(population_size=4, generations=2, max_params=limit)
    assert trainer.result is not None
    for arch, _ in trainer.result.history:
        assert nas.arch_cost(tiny_net, arch)["params"] <= limit


def test_search_respects_a_flops_limit(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data).fit()
    probe = torch.zeros(1, 1, 6, 6)
    trainer.search(population_size=3, generations=2, max_flops=6000, example_input=probe)
    assert trainer.result is not None
    assert all(nas.arch_cost(tiny_net, a, probe)["flops"] <= 6000 for a, _ in trainer.result.history)
    with pytest.raises(nas.NasError, match="example_input"):
        trainer.search(max_flops=10)


def test_export_before_search_is_an_error(tiny_net: TinyNet, data: TensorDataset) -> None:
    with pytest.raises(nas.NasError, match="search"):
        nas.export(_trainer(tiny_net, data))


def test_bn_recalibration_replaces_the_running_statistics() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2, momentum=0.1))
    bn = net[1]
    assert isinstance(bn, nn.BatchNorm2d) and bn.running_mean is not None
    net.train()
    net(torch.randn(16, 1, 4, 4))
    before = bn.running_mean.clone()
    batch = torch.randn(32, 1, 4, 4) + 3.0
    used = nas.recalibrate_bn(net, [(batch, torch.zeros(32))] * 5, num_batches=2)
    assert used == 2 and not net.training
    assert not torch.allclose(bn.running_mean, before)
    # a plain average over the batches (the same batch twice): exactly that batch's channel means
    with torch.no_grad():
        expected = net[0](batch).mean(dim=(0, 2, 3))
    assert torch.allclose(bn.running_mean, expected, atol=1e-5)
    assert bn.momentum == 0.1


def test_recalibration_of_a_sliced_batchnorm_follows_the_sampled_width(
    tiny_net: TinyNet, data: TensorDataset
) -> None:
    trainer = _trainer(tiny_net, data)
    trainer.evaluate({"width": 4, "kernel": 1, "op": "pool", "skip": [0]})
    assert tiny_net.bn.running_mean is not None
    assert torch.equal(tiny_net.bn.running_mean[4:], torch.zeros(4))  # reset, and only 4 channels measured
    assert float(tiny_net.bn.running_mean[:4].abs().sum()) > 0


class _Uneven(nn.Module):
    """Two decisions of 3 and 2 options; every option has its own weights."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nas.LayerChoice({f"a{i}": nn.Linear(4, 4) for i in range(3)}, label="a")
        self.b = nas.LayerChoice({f"b{i}": nn.Linear(4, 3) for i in range(2)}, label="b")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x)))


def test_fair_sampling_trains_every_option_on_every_step() -> None:
    """FairNAS: one step runs 3 paths (the largest decision's options), each option of `a` once and
    each of `b` at least once, and applies the sum of the paths' gradients (checked against a copy)."""
    import copy
    import random

    torch.manual_seed(0)
    net = _Uneven()
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    data = TensorDataset(x, y)
    reference = copy.deepcopy(net)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    trainer = nas.SposTrainer(
        net, F.cross_entropy, opt, data, data, num_epochs=1, batch_size=16, device="cpu",
        grad_clip=None, sampling="fair",
    )  # fmt: skip
    replay = random.Random()
    replay.setstate(trainer.rng.getstate())
    trainer.fit()  # one batch: one optimizer step
    trainer.rng = replay
    paths = trainer.paths()
    assert len(paths) == 3 and sorted(p["a"] for p in paths) == ["a0", "a1", "a2"]
    assert {p["b"] for p in paths} == {"b0", "b1"}
    for path in paths:  # by hand: the gradients of the three paths, summed
        set_arch(reference, path)
        F.cross_entropy(reference(x), y).backward()
    for (name, p), q in zip(net.named_parameters(), reference.parameters(), strict=True):
        assert q.grad is not None and q.grad.abs().sum() > 0, name  # every option was trained
        assert torch.allclose(p, q.detach() - q.grad, atol=1e-6), name
    assert trainer.history[0]["train_loss"] > 0


def test_uniform_sampling_runs_one_path_a_step() -> None:
    trainer = _trainer(TinyNet(), make_data())
    paths = trainer.paths()
    assert len(paths) == 1 and nas.validate_arch(trainer.model, paths[0]) == paths[0]


def test_unknown_sampling_is_refused() -> None:
    with pytest.raises(nas.NasError, match="sampling"):
        _trainer(TinyNet(), make_data(), sampling="fairest")
