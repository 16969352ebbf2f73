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
    early = nas.DartsTrainer(
        cell,
        F.cross_entropy,
        opt,
        data,
        num_epochs=1,
        export_exclude=["none"],
        early_stop_ops=["a"],
        device="cpu",
    )
    with torch.no_grad():
        for label, alpha in early.alphas.items():
            alpha.copy_(trainer.alphas[label])
    assert early.early_stop_hits() == 2  # e0 exports "a" too, but its edge is dropped
    # the other rule: the InputChoice gets an alpha of its own, and export follows it
    other = nas.DartsTrainer(
        Cell(), F.cross_entropy, opt, data, num_epochs=1, edge_rule="input_alpha", device="cpu"
    )
    assert set(other.alphas) == {"in", "e0", "e1", "e2"}


class Chain(nn.Module):
    """Three blocks, each a conv or one of two parameter-free ops (as bench/nas_hard.py's space)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.blocks = nn.ModuleList(
            nas.LayerChoice(
                {"conv": nn.Conv2d(4, 4, 3, padding=1), "pool": nn.MaxPool2d(3, 1, 1), "skip": nn.Identity()},
                label=f"b{i}",
            )
            for i in range(3)
        )
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=(2, 3)))


def _scripted(trainer: nas.DartsTrainer, plan: list[dict[str, list[float]]]) -> None:
    """The alpha step sets the alphas to plan[epoch] (labels not named keep theirs): a constructed
    search trajectory."""

    def step(*args: torch.Tensor) -> float:
        with torch.no_grad():
            for label, values in plan[len(trainer.history)].items():
                trainer.alphas[label].copy_(torch.tensor(values))
        return 0.0

    trainer.arch_step = step  # type: ignore[method-assign]


def _chain_trainer(data: TensorDataset, epochs: int, **kwargs: object) -> nas.DartsTrainer:
    torch.manual_seed(0)
    net = Chain()
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    return nas.DartsTrainer(
        net, F.cross_entropy, opt, data, num_epochs=epochs, batch_size=16, device="cpu", **kwargs
    )  # type: ignore[arg-type]


CONV, POOL, SKIP = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]
# epoch by epoch, the parameter-free choices of the derived architecture: 0, 1, 2, 3, 3
COLLAPSE = [
    {"b0": CONV, "b1": CONV, "b2": CONV},
    {"b0": POOL},
    {"b2": SKIP},
    {"b1": SKIP},
    {},
]


@pytest.mark.parametrize(("count", "stop_epoch"), [(2, 3), (3, 4)])
def test_early_stop_fires_when_the_parameter_free_count_reaches_the_threshold(
    data: TensorDataset, count: int, stop_epoch: int
) -> None:
    trainer = _chain_trainer(data, 5, early_stop_ops=["pool", "skip"], early_stop_count=count)
    _scripted(trainer, COLLAPSE)
    trainer.fit()
    assert [h["early_stop_count"] for h in trainer.history] == [0, 1, 2, 3][:stop_epoch]
    assert trainer.stopped == {"epoch": stop_epoch, "criterion": "early_stop_count"}
    at_stop = {"b0": "pool", "b1": "conv" if stop_epoch == 3 else "skip", "b2": "skip"}
    assert nas.export(trainer) == at_stop  # the architecture at the stop, not a later one


def test_early_stop_is_off_by_default_and_waits_for_the_warmup(data: TensorDataset) -> None:
    trainer = _chain_trainer(data, 5)
    _scripted(trainer, COLLAPSE)
    trainer.fit()
    assert len(trainer.history) == 5 and trainer.stopped is None
    assert nas.export(trainer) == {"b0": "pool", "b1": "skip", "b2": "skip"}
    # alphas whose initial argmax already has 2 parameter-free ops: the warm-up epoch does not stop
    warm = _chain_trainer(data, 3, warmup_epochs=1, early_stop_ops=["pool", "skip"])
    with torch.no_grad():
        for label, values in {"b0": SKIP, "b1": SKIP, "b2": CONV}.items():
            warm.alphas[label].copy_(torch.tensor(values))
    _scripted(warm, [{}, {"b0": CONV}, {"b0": CONV, "b1": CONV}])
    warm.fit()
    assert "early_stop_count" not in warm.history[0] and [
        h["early_stop_count"] for h in warm.history[1:]
    ] == [1, 0]
    assert warm.stopped is None


def test_early_stop_on_a_stable_ranking_leaves_the_early_stop_ops_out(data: TensorDataset) -> None:
    """Options ordered conv, pool, skip. Epoch 3 moves only skip (to the top), epochs 4-5 nothing."""
    vectors = [[3.0, 2.0, 1.0], [2.0, 3.0, 1.0], [2.0, 3.0, 4.0], [2.0, 3.0, 5.0], [2.0, 3.0, 6.0], [0.0] * 3]
    plan = [{f"b{i}": v for i in range(3)} for v in vectors]
    # 4 of 3 blocks never fires the count criterion: only the ranking's is under test
    skip_out = _chain_trainer(
        data, 6, early_stop_ops=["skip"], early_stop_count=4, early_stop_stable_epochs=2
    )
    _scripted(skip_out, plan)
    skip_out.fit()
    assert skip_out.stopped == {"epoch": 4, "criterion": "early_stop_stable_epochs"}
    every_op = _chain_trainer(data, 6, early_stop_stable_epochs=2)
    _scripted(every_op, plan)
    every_op.fit()
    assert every_op.stopped == {"epoch": 5, "criterion": "early_stop_stable_epochs"}


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"early_stop_ops": ["skip_connect"]}, "early_stop_ops: \\['skip_connect'\\]"),
        ({"early_stop_ops": ["skip"], "early_stop_count": 0}, "early_stop_count"),
        ({"early_stop_stable_epochs": 0}, "early_stop_stable_epochs"),
        ({"early_stop_stable_epochs": 1.5}, "early_stop_stable_epochs"),
    ],
)
def test_bad_early_stop_settings_are_refused_by_name(
    data: TensorDataset, kwargs: dict[str, object], named: str
) -> None:
    with pytest.raises(nas.NasError, match=named):
        _chain_trainer(data, 2, **kwargs)
