"""The sandwich step (one optimizer step, every subnet's gradient, distillation targets from the max
subnet, detached), mimic, fit with validation, and BN calibration against a static model."""

from __future__ import annotations

import random
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab.nas.bignas import (  # noqa: E402
    BigNASError,
    BigNASSpace,
    SandwichTrainer,
    build_supernet,
    calibrate_bn,
    soft_cross_entropy,
)

from .helpers import TINY  # noqa: E402


class CountingSGD(torch.optim.SGD):
    """SGD that counts its steps and keeps the gradients it stepped with."""

    def __init__(self, params: Any, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.steps = 0
        self.seen: list[dict[int, torch.Tensor]] = []

    def step(self, closure: Any = None) -> Any:
        self.steps += 1
        self.seen.append(
            {id(p): p.grad.clone() for g in self.param_groups for p in g["params"] if p.grad is not None}
        )
        return super().step(closure)


def _setup(**kwargs: Any) -> tuple[Any, Any, CountingSGD, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=4, in_channels=1, strides=[1, 2, 1])
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,))
    opt = CountingSGD(net.parameters(), lr=0.1)
    return space, net, opt, x, y


def _grads(net: nn.Module) -> dict[int, torch.Tensor]:
    return {id(p): p.grad.clone() for p in net.parameters() if p.grad is not None}


@pytest.mark.parametrize("distill", [True, False])
def test_one_step_sums_every_subnets_gradient_with_targets_from_the_max_subnet(distill: bool) -> None:
    space, net, opt, x, y = _setup()
    rng = random.Random(5)
    middle = [space.random(rng), space.random(rng)]
    data = TensorDataset(x, y)
    trainer = SandwichTrainer(
        net,
        F.cross_entropy,
        opt,
        data,
        num_epochs=1,
        sandwich=["max", *middle, "min"],
        distill=distill,
        temperature=2.0,
    )
    before = {id(p): p.detach().clone() for p in net.parameters()}
    out = trainer.train_step(x, y)
    assert opt.steps == 1
    assert out["settings"] == [space.max(), *middle, space.min()]
    stepped = opt.seen[0]

    # the reference: each subnet alone from the same weights, its targets the max subnet's output
    after = {id(p): p.detach().clone() for p in net.parameters()}
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(before[id(p)])
    net.train()
    net.set_active(space.max())
    teacher = net(x).detach()
    per_subnet = []
    for s in out["settings"]:
        net.zero_grad(set_to_none=True)
        net.set_active(s)
        logits = net(x)
        first = s == space.max() and not per_subnet
        loss = (
            F.cross_entropy(logits, y) if first or not distill else soft_cross_entropy(logits, teacher, 2.0)
        )
        loss.backward()
        per_subnet.append(_grads(net))
    for i, grads in enumerate(per_subnet):
        assert any(g.abs().sum() > 0 for g in grads.values()), f"subnet {i} gave no gradient"
    for key, g in stepped.items():
        expected = sum(grads.get(key, torch.zeros_like(g)) for grads in per_subnet)
        assert torch.allclose(g, expected, atol=1e-5, rtol=1e-4)
    # the min subnet's gradient reaches only the first channels: the sum is not the max's alone
    assert any(not torch.allclose(stepped[k], per_subnet[0][k]) for k in stepped)
    # and SGD moved the weights by lr x that sum, once
    for p in net.parameters():
        if id(p) in stepped:
            assert torch.allclose(after[id(p)], before[id(p)] - 0.1 * stepped[id(p)], atol=1e-6)


def test_distillation_targets_are_detached() -> None:
    """Sandwich [max, max]: the second pass learns from the first's soft labels, which equal its own
    predictions, so with the targets detached its gradient is softmax(z) - softmax(z) = 0 and the step
    is the max subnet's label gradient alone; targets with a graph would add a gradient through them."""
    space, net, opt, x, y = _setup()
    trainer = SandwichTrainer(
        net, F.cross_entropy, opt, TensorDataset(x, y), num_epochs=1, sandwich=["max", "max"]
    )
    out = trainer.train_step(x, y)
    _, fresh, _, _, _ = _setup()
    fresh.train()
    F.cross_entropy(fresh(x), y).backward()
    for (name, p), g in zip(fresh.named_parameters(), opt.seen[0].values(), strict=True):
        assert torch.allclose(g, p.grad, atol=1e-6), name
    probs = F.softmax(fresh(x).detach(), dim=-1)
    entropy = -(probs * probs.log()).sum(dim=-1).mean()
    assert out["losses"][1] == pytest.approx(float(entropy), rel=1e-5)


def test_mimic_adds_the_feature_distance_to_the_other_subnets() -> None:
    space, net, opt, x, y = _setup()
    trainer = SandwichTrainer(
        net,
        F.cross_entropy,
        opt,
        TensorDataset(x, y),
        num_epochs=1,
        sandwich=["max", "min"],
        mimic=["stages.1"],
        mimic_weight=3.0,
    )
    out = trainer.train_step(x, y)
    # recompute the min subnet's loss from the same starting weights
    _, fresh, _, _, _ = _setup()
    fresh.train()
    feats: dict[str, torch.Tensor] = {}
    fresh.stages[1].register_forward_hook(lambda m, i, o: feats.__setitem__("f", o))
    fresh.set_active(space.max())
    teacher = fresh(x).detach()
    teacher_feature = feats["f"].detach()
    fresh.set_active(space.min())
    logits = fresh(x)
    expected = soft_cross_entropy(logits, teacher) + 3.0 * F.mse_loss(
        feats["f"], teacher_feature[:, : feats["f"].shape[1]]
    )
    assert out["losses"][1] == pytest.approx(float(expected.detach()), rel=1e-5)


def test_mimic_skips_a_block_the_subnet_does_not_run() -> None:
    space, net, opt, x, y = _setup()
    trainer = SandwichTrainer(
        net,
        F.cross_entropy,
        opt,
        TensorDataset(x, y),
        num_epochs=1,
        sandwich=["max", "min"],
        mimic=["stages.0.blocks.2", "stages.1"],
    )
    out = trainer.train_step(x, y)  # min runs one block of stage 0: only stages.1 is matched
    assert opt.steps == 1 and len(out["losses"]) == 2


def test_bad_trainer_arguments_are_one_line_errors() -> None:
    space, net, opt, x, y = _setup()
    data = TensorDataset(x, y)
    for kwargs, message in [
        ({"sandwich": ["min", "max"]}, "the sandwich must start with 'max', got 'min'"),
        ({"sandwich": ["max", "biggest"]}, "subnet 'biggest' is not one of max, min, random"),
        ({"sandwich": []}, "give at least one subnet"),
        ({"mimic": ["stages.9"]}, "the supernet has no module 'stages.9'"),
        (
            {"sandwich": ["max", {**space.min(), "depth": [1, 9, 1]}]},
            "settings.depth\\[1\\]: 9 is not one of",
        ),
        ({"temperature": 0}, "temperature must be > 0"),
    ]:
        with pytest.raises(BigNASError, match=message):
            SandwichTrainer(net, F.cross_entropy, opt, data, num_epochs=1, **kwargs)
    SandwichTrainer(net, F.cross_entropy, opt, data, num_epochs=1, sandwich=["min", "max"], distill=False)


def test_fit_validates_before_and_after_each_epoch_and_learns() -> None:
    space, net, _, _, _ = _setup()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 8, 8, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()  # learnable from the input
    data = TensorDataset(x, y)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    logged: list[dict[str, Any]] = []
    trainer = SandwichTrainer(
        net,
        F.cross_entropy,
        opt,
        data,
        data,
        num_epochs=6,
        batch_size=16,
        valid_before_train=True,
        calib_batches=2,
        log=logged.append,
    )
    trainer.fit()
    assert [e["epoch"] for e in trainer.history] == list(range(7)) and logged == trainer.history
    assert set(trainer.history[0]) == {"epoch", "val_max", "val_min"}
    first, last = trainer.history[1], trainer.history[-1]
    assert len(first["train_losses"]) == 4
    assert last["train_loss"] < first["train_loss"]
    assert last["val_max"] > 0.7 and last["val_min"] > 0.6
    assert net.active_settings == space.max()


@pytest.mark.parametrize("bn_stats", ["shared", "per_width"])
def test_calibrated_statistics_equal_a_static_models_after_the_same_batches(bn_stats: str) -> None:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=4, in_channels=1, bn_stats=bn_stats)
    net.train()
    for _ in range(3):  # statistics of other subnets, which calibration must replace
        net.set_active(space.random(random.Random(_)))
        net(torch.randn(8, 1, 8, 8) + 2)
    settings = space.random(random.Random(9))
    batches = [(torch.randn(8, 1, 8, 8), torch.zeros(8)) for _ in range(4)]
    static = net.extract(settings)
    assert calibrate_bn(static, batches) == 4
    net.set_active(settings)
    assert calibrate_bn(net, iter(batches), num_batches=4) == 4
    assert not net.training
    calibrated = net.extract(settings)
    norms = [
        (a, b)
        for a, b in zip(static.modules(), calibrated.modules(), strict=True)
        if isinstance(a, nn.BatchNorm2d)
    ]
    assert norms
    for a, b in norms:
        assert torch.allclose(a.running_mean, b.running_mean, atol=1e-6)
        assert torch.allclose(a.running_var, b.running_var, atol=1e-5)
    x = torch.randn(4, 1, 8, 8)
    assert torch.allclose(net(x), static.eval()(x), atol=1e-5)


def test_calibrating_one_width_keeps_the_other_widths_statistics() -> None:
    torch.manual_seed(0)
    space = BigNASSpace.from_dict(TINY)
    net = build_supernet(space, num_classes=4, in_channels=1, bn_stats="per_width")
    batches = [(torch.randn(8, 1, 8, 8), torch.zeros(8)) for _ in range(2)]
    net.set_active(space.min())
    calibrate_bn(net, batches)
    small = net.stem.bn.running_mean_8.clone()
    assert small.abs().sum() > 0
    net.set_active(space.max())
    calibrate_bn(net, [(x * 3 + 1, y) for x, y in batches])
    assert torch.equal(net.stem.bn.running_mean_8, small)
    assert not torch.allclose(net.stem.bn.running_mean[:8], small)


def test_dropout_acts_on_the_max_subnet_only() -> None:
    """BigNAS regularises only the largest child: dropout is on for "max", off for the others."""
    torch.manual_seed(0)
    net = build_supernet(
        BigNASSpace.from_dict(TINY), num_classes=4, in_channels=1, strides=[1, 2, 1], dropout=0.5
    )
    seen: list[bool] = []
    net.dropout.register_forward_hook(lambda m, i, o: seen.append(m.training))
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    trainer = SandwichTrainer(net, F.cross_entropy, opt, TensorDataset(x, y), num_epochs=1, device="cpu")
    trainer.train_step(x, y)
    assert seen == [True, False, False, False]
    assert net.training  # the rest of the model still trains (batch statistics)
