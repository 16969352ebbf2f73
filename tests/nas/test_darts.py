from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.func import functional_call  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402

from .supernets import TinyNet  # noqa: E402


def _trainer(net: nn.Module, data: TensorDataset, **kwargs: object) -> nas.DartsTrainer:
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    return nas.DartsTrainer(
        net, F.cross_entropy, opt, data, num_epochs=2, batch_size=16, arch_lr=0.05, device="cpu", **kwargs
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("unrolled", [False, True])
def test_darts_trains_every_kind_of_choice(tiny_net: TinyNet, data: TensorDataset, unrolled: bool) -> None:
    before = copy.deepcopy(tiny_net.state_dict())
    # no weight decay on alphas: an alpha moves only if the loss reaches it
    trainer = _trainer(tiny_net, data, unrolled=unrolled, arch_weight_decay=0.0)
    assert set(trainer.alphas) == {"width", "kernel", "op", "skip"}
    xt, yt = data.tensors[0][:16], data.tensors[1][:16]
    xv, yv = data.tensors[0][16:32], data.tensors[1][16:32]
    trainer.arch_step(xt, yt, xv, yv)
    for label, alpha in trainer.alphas.items():
        assert alpha.grad is not None and float(alpha.grad.abs().max()) > 1e-4, (label, alpha.grad)
    start = {k: a.detach().clone() for k, a in trainer.alphas.items()}
    trainer.fit()
    assert len(trainer.history) == 2 and all(h["train_loss"] > 0 for h in trainer.history)
    for label, alpha in trainer.alphas.items():
        assert not torch.allclose(alpha, start[label]), label
    assert any(not torch.equal(v, before[k]) for k, v in tiny_net.state_dict().items())
    arch = nas.export(trainer)
    assert nas.validate_arch(tiny_net, arch) == arch
    probs = trainer.arch_probs()
    assert abs(sum(probs["op"]) - 1.0) < 1e-6
    assert arch["op"] == ["conv", "pool"][max(range(2), key=lambda i: probs["op"][i])]


def test_warmup_epochs_train_the_weights_only(tiny_net: TinyNet, data: TensorDataset) -> None:
    """warmup_epochs=1 of 2: epoch 1 takes no alpha step (alphas bit-identical, weights moved),
    epoch 2 takes one per training batch."""
    trainer = _trainer(tiny_net, data, warmup_epochs=1)
    start = {k: a.detach().clone() for k, a in trainer.alphas.items()}
    weights = copy.deepcopy(tiny_net.state_dict())
    calls: list[int] = []
    arch_step = trainer.arch_step

    def counted(*args: torch.Tensor) -> float:
        calls.append(len(trainer.history))  # the epoch it is called in (0-based)
        return arch_step(*args)

    after_warmup: dict[str, torch.Tensor] = {}

    def log(entry: dict[str, object]) -> None:
        if entry["epoch"] == 1:
            after_warmup.update({k: a.detach().clone() for k, a in trainer.alphas.items()})
            assert any(not torch.equal(v, weights[k]) for k, v in tiny_net.state_dict().items())

    trainer.arch_step = counted  # type: ignore[method-assign]
    trainer.log = log
    trainer.fit()
    assert all(torch.equal(after_warmup[k], start[k]) for k in start)
    assert calls == [1] * len(trainer.train_loader)
    assert trainer.history[0]["val_loss"] == 0.0 and trainer.history[1]["val_loss"] > 0.0
    assert any(not torch.equal(a, start[k]) for k, a in trainer.alphas.items())


@pytest.mark.parametrize("warmup", [-1, 2])
def test_warmup_epochs_out_of_range_are_refused(tiny_net: TinyNet, data: TensorDataset, warmup: int) -> None:
    with pytest.raises(nas.NasError, match="warmup_epochs"):
        _trainer(tiny_net, data, warmup_epochs=warmup)


class Unused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(36, 3)
        self.unused = nas.LayerChoice([nn.Identity(), nn.ReLU()], label="dead")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.flatten(1))


@pytest.mark.parametrize("unrolled", [False, True])
def test_a_choice_that_does_not_reach_the_loss_is_an_error(data: TensorDataset, unrolled: bool) -> None:
    net = Unused()
    with pytest.raises(nas.NasError, match="'dead'.*no gradient path"):
        _trainer(net, data, unrolled=unrolled).fit()


class CurrentReader(nn.Module):
    """A ValueChoice read through `.current`: no layer mixes it, so DARTS cannot learn it."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nas.ValueChoice([1, 2], label="scale")
        self.op = nas.LayerChoice([nn.Identity(), nn.Tanh()], label="op")
        self.head = nn.Linear(36, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.op(x.flatten(1)) * self.scale.current)


def test_value_choice_read_through_current_is_refused_by_name(data: TensorDataset) -> None:
    with pytest.raises(nas.NasError, match="ValueChoice 'scale' has no continuous relaxation"):
        _trainer(CurrentReader(), data)


class WidthBehindNorm(nn.Module):
    """conv -> BatchNorm -> ReLU with a width choice: 1 channel cannot carry 4 independent cues."""

    def __init__(self) -> None:
        super().__init__()
        width = nas.ValueChoice([1, 8], label="width")
        self.conv = nas.MutableConv2d(4, width, 1, bias=False)
        self.bn = nas.MutableBatchNorm2d(width)
        self.head = nas.MutableLinear(width, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


def test_width_behind_batchnorm_learns_the_clearly_better_width() -> None:
    gen = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (256,), generator=gen)
    x = 0.3 * torch.randn(256, 4, 3, 3, generator=gen)
    x[torch.arange(256), y] += 1.0  # class k lights channel k
    torch.manual_seed(0)
    net = WidthBehindNorm()
    trainer = _trainer(net, TensorDataset(x, y), arch_weight_decay=0.0)
    trainer.arch_step(x[:64], y[:64], x[64:128], y[64:128])
    # a mask only before the norm is divided back out: a gradient of ~4e-5 instead of ~2e-2
    grad = trainer.alphas["width"].grad
    assert grad is not None and float(grad.abs().max()) > 5e-3, grad
    trainer.num_epochs = 4
    trainer.fit()
    p_narrow, p_wide = trainer.arch_probs()["width"]
    assert p_wide - p_narrow > 0.2, (p_narrow, p_wide)
    assert nas.export(trainer)["width"] == 8


def test_alphas_are_not_model_parameters(tiny_net: TinyNet, data: TensorDataset) -> None:
    n_params = len(list(tiny_net.parameters()))
    _trainer(tiny_net, data)
    assert len(list(tiny_net.parameters())) == n_params


def test_concat_input_choice_cannot_be_relaxed(data: TensorDataset) -> None:
    net = nn.Sequential(nn.Linear(2, 2), nas.LayerChoice([nn.Identity(), nn.ReLU()]))
    net.add_module("pick", nas.InputChoice(2, 1, reduction="concat", label="cat"))
    with pytest.raises(nas.NasError, match="concat"):
        _trainer(net, data)


class Tiny(nn.Module):
    """Two candidate linear maps mixed by an alpha, in float64 for a finite-difference check."""

    def __init__(self) -> None:
        super().__init__()
        self.choice = nas.LayerChoice(
            [nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2), nn.Tanh())], label="op"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.choice(x)


def exact_unrolled_gradient(
    net: nn.Module, opt: torch.optim.SGD, alpha: torch.Tensor, batches: tuple[torch.Tensor, ...]
) -> torch.Tensor:
    """d L_val(w'(alpha), alpha) / d alpha by autograd through the virtual step itself, with
    w' = w - lr * (dL_train/dw + weight_decay * w + momentum * buf), torch's SGD step."""
    xt, yt, xv, yv = batches
    group = opt.param_groups[0]
    params = {n: p.detach().requires_grad_(True) for n, p in net.named_parameters()}
    train_loss = F.cross_entropy(functional_call(net, params, (xt,)), yt)
    grads = torch.autograd.grad(train_loss, list(params.values()), create_graph=True)
    virtual = {}
    for (name, w), g in zip(params.items(), grads, strict=True):
        buf = opt.state[dict(net.named_parameters())[name]]["momentum_buffer"]
        virtual[name] = w - group["lr"] * (g + group["weight_decay"] * w + group["momentum"] * buf)
    val_loss = F.cross_entropy(functional_call(net, virtual, (xv,)), yv)
    return torch.autograd.grad(val_loss, alpha)[0]


def test_second_order_gradient_matches_the_exact_unrolled_gradient() -> None:
    torch.manual_seed(0)
    net = Tiny().double()
    x = torch.randn(16, 3, dtype=torch.float64)
    y = torch.randint(0, 2, (16,))
    opt = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9, weight_decay=0.01)
    trainer = nas.DartsTrainer(
        net, F.cross_entropy, opt, TensorDataset(x, y), num_epochs=1, unrolled=True, device="cpu", amp=False
    )
    # give the momentum buffers a value so that the virtual step uses them
    F.cross_entropy(net(x), y).backward()
    opt.step()
    batches = (x[:8], y[:8], x[8:], y[8:])
    alpha = trainer.alphas["op"]
    with torch.no_grad():
        alpha.copy_(torch.tensor([0.3, -0.2], dtype=alpha.dtype))
    _, (grad,) = trainer.unrolled_gradient(*batches)
    exact = exact_unrolled_gradient(net, opt, alpha, batches)
    # the paper's finite-difference Hessian-vector product is accurate to ~1e-6 in float64
    assert torch.allclose(grad.double(), exact, rtol=1e-4, atol=1e-8), (grad, exact)
    # and differs from the first-order gradient, so the check means something
    first = torch.autograd.grad(F.cross_entropy(net(batches[2]), batches[3]), alpha)[0]
    assert not torch.allclose(first, exact, rtol=1e-2)


def test_export_can_exclude_an_option(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data, export_exclude=["pool"])
    with torch.no_grad():
        trainer.alphas["op"].copy_(torch.tensor([0.0, 5.0]))
    assert nas.export(tiny_net)["op"] == "pool"
    assert nas.export(trainer)["op"] == "conv"


def test_paper_edge_rule_keeps_the_inputs_with_the_strongest_operations(data: TensorDataset) -> None:
    from .test_effective import Cell

    cell = Cell()
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)  # the cell has no weights
    trainer = nas.DartsTrainer(
        cell, F.cross_entropy, opt, data, num_epochs=1, export_exclude=["none"], device="cpu"
    )
    assert set(trainer.alphas) == {"e0", "e1", "e2"}  # the node has no input weights of its own
    with torch.no_grad():
        trainer.alphas["e0"].copy_(torch.tensor([5.0, 0.0, 0.0]))  # mostly "none": weak, 0.0066
        trainer.alphas["e1"].copy_(torch.tensor([0.0, 1.0, 0.0]))  # "a" at 0.576
        trainer.alphas["e2"].copy_(torch.tensor([0.0, 0.5, 0.4]))  # "a" at 0.383
    xs = [torch.full((1,), v) for v in (1.0, 10.0, 100.0)]
    # during search the node sums every edge's mixture: 1*(w_a + 2 w_b) for each input
    expected = sum(
        float(x) * float(p[1] + 2 * p[2])
        for x, p in zip(xs, (torch.softmax(a.detach(), -1) for a in trainer.alphas.values()), strict=True)
    )
    assert float(cell(xs).detach()) == pytest.approx(expected)
    arch = nas.export(trainer)
    assert arch == {"in": [1, 2], "e0": "a", "e1": "a", "e2": "a"}
    # the other rule: the InputChoice gets an alpha of its own, and export follows it
    other = nas.DartsTrainer(
        Cell(), F.cross_entropy, opt, data, num_epochs=1, edge_rule="input_alpha", device="cpu"
    )
    assert set(other.alphas) == {"in", "e0", "e1", "e2"}
