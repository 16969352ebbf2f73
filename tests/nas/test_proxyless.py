"""ProxylessNAS against the hand-computed BinaryConnect gradient and expected FLOPs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402

from .supernets import TinyNet  # noqa: E402


class TwoOps(nn.Module):
    """A cheap candidate (3x2 multiply-adds a sample) and a dear one (3x8 + 8x2)."""

    def __init__(self) -> None:
        super().__init__()
        self.op = nas.LayerChoice(
            {"small": nn.Linear(3, 2), "large": nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))},
            label="op",
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


def _trainer(net: nn.Module, **kwargs: object) -> nas.ProxylessTrainer:
    x, y = torch.randn(16, 3), torch.randint(0, 2, (16,))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    return nas.ProxylessTrainer(
        net, F.cross_entropy, opt, TensorDataset(x, y), num_epochs=1, batch_size=8, device="cpu", **kwargs
    )  # type: ignore[arg-type]


def test_binary_path_gradient_is_binaryconnect() -> None:
    torch.manual_seed(0)
    net = TwoOps()
    trainer = _trainer(net)
    alpha = trainer.alphas["op"]
    with torch.no_grad():
        alpha.copy_(torch.tensor([0.3, -0.2]))
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    net.op.sampled = "large"
    out = net(x)
    outs = [m(x) for m in net.op.candidates]
    assert torch.allclose(out, outs[1])  # only the sampled path's output
    loss = F.cross_entropy(out, y)
    grad = torch.autograd.grad(loss, alpha, retain_graph=True)[0]
    # by hand: g_j = <dL/dy, o_j>, dalpha_i = sum_j g_j p_j (delta_ij - p_i)
    y_leaf = outs[1].detach().requires_grad_(True)
    dl_dy = torch.autograd.grad(F.cross_entropy(y_leaf, y), y_leaf)[0]
    g = torch.stack([(dl_dy * o.detach()).sum() for o in outs])
    p = torch.softmax(alpha.detach(), -1)
    expected = torch.stack([sum(g[j] * p[j] * (float(i == j) - p[i]) for j in range(2)) for i in range(2)])
    assert torch.allclose(grad, expected, atol=1e-6)
    # the weights: only the sampled candidate gets gradients
    small, large = net.op.candidates
    grads = torch.autograd.grad(loss, [small.weight, large[0].weight], allow_unused=True)
    assert grads[0] is None and grads[1] is not None


def test_expected_flops_penalty_by_hand() -> None:
    torch.manual_seed(0)
    net = TwoOps()
    trainer = _trainer(net, cost_penalty=0.5, example_input=torch.zeros(1, 3))
    alpha = trainer.alphas["op"]
    with torch.no_grad():
        alpha.copy_(torch.tensor([1.0, 0.0]))
    p = torch.softmax(alpha.detach(), -1)
    assert float(trainer.expected_flops().detach()) == pytest.approx(float(p[0] * 6 + p[1] * (24 + 16)))
    assert trainer.uniform_flops == pytest.approx((6 + 40) / 2)
    penalty = trainer.arch_penalty()
    assert isinstance(penalty, torch.Tensor)
    assert float(penalty.detach()) == pytest.approx(0.5 * float(p[0] * 6 + p[1] * 40) / 23)
    # the penalty pushes toward the cheap candidate
    assert float(torch.autograd.grad(penalty, alpha)[0][1]) > 0


def test_penalty_steers_the_search_to_the_cheap_candidate() -> None:
    torch.manual_seed(0)
    trainer = _trainer(TwoOps(), cost_penalty=5.0, example_input=torch.zeros(1, 3), arch_lr=0.05)
    trainer.num_epochs = 30
    trainer.fit()
    assert nas.export(trainer)["op"] == "small"
    assert trainer.arch_probs()["op"][0] > 0.6


def test_proxyless_refuses_what_it_cannot_sample(tiny_net: TinyNet, data: TensorDataset) -> None:
    with pytest.raises(nas.NasError, match="ProxylessTrainer samples LayerChoices"):
        nas.ProxylessTrainer(
            tiny_net, F.cross_entropy, torch.optim.SGD(tiny_net.parameters(), 0.1), data, num_epochs=1
        )
