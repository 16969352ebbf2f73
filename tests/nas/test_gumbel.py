"""GumbelDARTS against a hand-computed Gumbel-softmax mixture and its gradient."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.gumbel import gumbel_noise  # noqa: E402

from .supernets import TinyNet  # noqa: E402


class TwoOps(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.op = nas.LayerChoice([nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2), nn.Tanh())], label="op")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


def test_mixture_is_a_gumbel_softmax_sample_with_its_exact_gradient() -> None:
    torch.manual_seed(0)
    net = TwoOps()
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    trainer = nas.GumbelDartsTrainer(
        net,
        F.cross_entropy,
        torch.optim.SGD(net.parameters(), 0.1),
        TensorDataset(x, y),
        num_epochs=3,
        device="cpu",
    )
    alpha = trainer.alphas["op"]
    with torch.no_grad():
        alpha.copy_(torch.tensor([0.4, -0.1]))
    trainer.on_epoch_start(1)
    assert trainer.tau == pytest.approx(0.1**0.5)  # geometric from 1.0 (epoch 0) to 0.1 (epoch 2)
    replay = torch.Generator()
    replay.set_state(trainer.noise.get_state())
    trainer.relax()
    loss = F.cross_entropy(net(x), y)
    grad = torch.autograd.grad(loss, alpha)[0]
    # by hand: softmax((alpha + g) / tau) weighting the two candidates' outputs
    ref_alpha = alpha.detach().clone().requires_grad_(True)
    probs = torch.softmax((ref_alpha + gumbel_noise(alpha.shape, replay)) / trainer.tau, -1)
    outs = [m(x) for m in net.op.candidates]
    ref_loss = F.cross_entropy(probs[0] * outs[0] + probs[1] * outs[1], y)
    assert torch.allclose(loss, ref_loss)
    assert torch.allclose(grad, torch.autograd.grad(ref_loss, ref_alpha)[0])
    trainer.relax()  # fresh noise every forward
    assert not torch.allclose(F.cross_entropy(net(x), y), loss)


def test_gumbel_darts_searches_every_kind_of_choice(tiny_net: TinyNet, data: TensorDataset) -> None:
    opt = torch.optim.SGD(tiny_net.parameters(), lr=0.05, momentum=0.9)
    trainer = nas.GumbelDartsTrainer(
        tiny_net, F.cross_entropy, opt, data, num_epochs=2, batch_size=16, arch_lr=0.05, device="cpu"
    )
    start = {k: a.detach().clone() for k, a in trainer.alphas.items()}
    trainer.fit()
    assert trainer.tau == pytest.approx(0.1)
    assert all(not torch.equal(a, start[k]) for k, a in trainer.alphas.items())
    arch = nas.export(trainer)
    assert nas.validate_arch(tiny_net, arch) == arch
    assert arch["op"] == ["conv", "pool"][int(torch.argmax(trainer.alphas["op"]))]
    with pytest.raises(nas.NasError, match="temperature"):
        nas.GumbelDartsTrainer(tiny_net, F.cross_entropy, opt, data, num_epochs=1, temperature=(0.1, 1.0))
