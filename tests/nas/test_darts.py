from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
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
    trainer = _trainer(tiny_net, data, unrolled=unrolled)
    start = {k: a.detach().clone() for k, a in trainer.alphas.items()}
    trainer.fit()
    assert len(trainer.history) == 2 and all(h["train_loss"] > 0 for h in trainer.history)
    assert set(trainer.alphas) == {"width", "kernel", "op", "skip"}
    for label, alpha in trainer.alphas.items():
        assert not torch.allclose(alpha, start[label]), label
    assert any(not torch.equal(v, before[k]) for k, v in tiny_net.state_dict().items())
    arch = nas.export(trainer)
    assert nas.validate_arch(tiny_net, arch) == arch
    probs = trainer.arch_probs()
    assert abs(sum(probs["op"]) - 1.0) < 1e-6
    assert arch["op"] == ["conv", "pool"][max(range(2), key=lambda i: probs["op"][i])]


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


def test_second_order_gradient_matches_finite_differences() -> None:
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
    xt, yt, xv, yv = x[:8], y[:8], x[8:], y[8:]
    alpha = trainer.alphas["op"]
    with torch.no_grad():
        alpha.copy_(torch.tensor([0.3, -0.2], dtype=alpha.dtype))
    _, (grad,) = trainer.unrolled_gradient(xt, yt, xv, yv)

    def unrolled_val_loss() -> float:
        weights = trainer.virtual_weights(xt, yt)
        return float(trainer._loss_at(weights, xv, yv).detach())

    h = 1e-5
    numeric = torch.zeros(2, dtype=torch.float64)
    for i in range(2):
        with torch.no_grad():
            alpha[i] += h
        up = unrolled_val_loss()
        with torch.no_grad():
            alpha[i] -= 2 * h
        down = unrolled_val_loss()
        with torch.no_grad():
            alpha[i] += h
        numeric[i] = (up - down) / (2 * h)
    assert torch.allclose(grad.double(), numeric, rtol=1e-3, atol=1e-6), (grad, numeric)
    # and differs from the first-order gradient, so the check means something
    alpha.grad = None
    first = torch.autograd.grad(F.cross_entropy(net(xv), yv), alpha)[0]
    assert not torch.allclose(first, numeric, rtol=1e-2)


def test_export_can_exclude_an_option(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data, export_exclude=["pool"])
    with torch.no_grad():
        trainer.alphas["op"].copy_(torch.tensor([0.0, 5.0]))
    assert nas.export(tiny_net)["op"] == "pool"
    assert nas.export(trainer)["op"] == "conv"
