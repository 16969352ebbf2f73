"""The FLOPs / parameter counter against hand-computed counts; the space's cost model against the
counter; sampling inside a FLOPs range directly."""

from __future__ import annotations

import random

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.budget import RangeSampler, SpaceCost  # noqa: E402

from .supernets import TinyNet  # noqa: E402
from .test_examples import load  # noqa: E402

X = torch.zeros(1, 4, 6, 6)  # 144 elements


@pytest.mark.parametrize(
    "layer, flops",
    [
        # output 8x6x6 = 288 elements, each 4/2 input channels x 3x3 taps (dilation keeps the size)
        (nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=2), 288 * 2 * 9),
        (nn.Conv2d(4, 4, 3, padding=1, groups=4), 144 * 9),  # depthwise
        (nn.Conv2d(4, 2, 1, stride=2), 2 * 3 * 3 * 4),
        (nn.BatchNorm2d(4), 144 * 2),
        (nn.BatchNorm2d(4, affine=False), 144),
        (nn.LayerNorm([4, 6, 6]), 144 * 2),
        (nn.GroupNorm(2, 4), 144 * 2),
        (nn.InstanceNorm2d(4), 144),
        (nn.MaxPool2d(2), 36 * 4),
        (nn.AvgPool2d(3, 1, 1), 144 * 9),
        (nn.AdaptiveAvgPool2d(1), 144),
        (nn.ReLU(), 0),
    ],
)
def test_layer_flops_by_hand(layer: nn.Module, flops: int) -> None:
    assert nas.count_flops(layer, X) == flops


def test_linear_and_a_whole_model_by_hand() -> None:
    assert nas.count_flops(nn.Linear(10, 5), torch.zeros(3, 10)) == 3 * 5 * 10
    model = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4), nn.BatchNorm2d(4), nn.MaxPool2d(2))
    assert nas.count_flops(model, X) == 144 * 9 + 288 + 36 * 4
    assert nas.count_params(model) == 4 * 9 + 4 + 8


def test_space_cost_matches_the_counter_on_fixed_architectures() -> None:
    rng = random.Random(0)
    for model, x in (
        (TinyNet(), torch.zeros(1, 1, 6, 6)),
        (load("spos_digits/model.py").DigitsSupernet(), torch.zeros(1, 1, 8, 8)),
    ):
        cost = SpaceCost(model, x)
        for _ in range(4):
            arch = nas.random_arch(model, rng)
            exact = nas.arch_cost(model, arch, x)
            assert cost.params(arch) == exact["params"]
            assert cost.flops(arch) == exact["flops"]
            assert cost.flops_estimate(arch) >= exact["flops"]  # exact but for plain pooling after a width


def test_sampling_inside_a_flops_range_directly() -> None:
    model = load("spos_cifar10/search.py").CifarSupernet()
    x = torch.zeros(1, 3, 8, 8)
    cost = SpaceCost(model, x)
    assert cost.flops_estimate_is_exact
    rng = random.Random(0)
    uniform = [cost.flops_estimate(nas.random_arch(model, rng)) for _ in range(20)]
    low, high = 0.9 * min(uniform), min(uniform)
    sampler = RangeSampler(cost.groups, cost.flops_estimate, low, high, "FLOPs")
    samples = [sampler(rng) for _ in range(10)]
    assert all(low <= cost.flops_estimate(a) <= high for a in samples)
    assert all(low <= cost.flops(a) <= high for a in samples[:3])
    assert len({str(sorted(a.items())) for a in samples}) > 5  # not one architecture over and over
    with pytest.raises(nas.NasError, match="no architecture has FLOPs in"):
        RangeSampler(cost.groups, cost.flops_estimate, None, 10, "FLOPs")


@pytest.mark.slow
def test_spos_cifar10_example_range_finds_architectures() -> None:
    """The documented range holds none of 2,000 uniform random architectures (median ~300M);
    rejection sampling gave up, the direct sampler fills every generation."""
    from torch.nn import functional as F
    from torch.utils.data import TensorDataset

    torch.manual_seed(0)
    model = load("spos_cifar10/search.py").CifarSupernet()
    data = TensorDataset(torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = nas.SposTrainer(
        model,
        F.cross_entropy,
        opt,
        data,
        data,
        num_epochs=1,
        batch_size=8,
        device="cpu",
        recalibrate_batches=1,
    )
    probe = torch.zeros(1, 3, 32, 32)
    trainer.search(
        population_size=4,
        generations=2,
        parents=2,
        min_flops=30_000_000,
        max_flops=60_000_000,
        example_input=probe,
    )
    assert trainer.result is not None and len(trainer.result.history) == 8
    cost = SpaceCost(model, probe)
    assert all(30_000_000 <= cost.flops(arch) <= 60_000_000 for arch, _ in trainer.result.history)
    assert 30_000_000 <= nas.arch_cost(model, trainer.export(), probe)["flops"] <= 60_000_000
