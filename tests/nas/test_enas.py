"""ENAS: the controller's probabilities by hand, REINFORCE by hand, and a search that runs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.enas import Controller  # noqa: E402

from .supernets import TinyNet  # noqa: E402


def test_controller_log_prob_and_entropy_by_hand() -> None:
    torch.manual_seed(0)
    ctrl = Controller([3, 2], hidden=4)
    indices, log_prob, entropy = ctrl.sample(torch.Generator().manual_seed(0))
    # replay the LSTM by hand
    h1, c1 = ctrl.lstm(ctrl.start)
    p1 = torch.softmax(2.5 * torch.tanh(ctrl.heads[0](h1) / 5.0), -1)[0]
    h2, _ = ctrl.lstm(ctrl.embeddings[0](torch.tensor([indices[0]])), (h1, c1))
    p2 = torch.softmax(2.5 * torch.tanh(ctrl.heads[1](h2) / 5.0), -1)[0]
    assert torch.allclose(log_prob, torch.log(p1[indices[0]]) + torch.log(p2[indices[1]]))
    by_hand = -(p1 * p1.log()).sum() - (p2 * p2.log()).sum()
    assert torch.allclose(entropy, by_hand)
    greedy, _, _ = ctrl.sample(greedy=True)
    assert greedy[0] == int(torch.argmax(p1))


def _trainer(net: nn.Module, data: TensorDataset, **kwargs: object) -> nas.EnasTrainer:
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    return nas.EnasTrainer(
        net, F.cross_entropy, opt, data, data, num_epochs=1, batch_size=16, device="cpu", **kwargs
    )  # type: ignore[arg-type]


def test_reinforce_step_by_hand(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data, entropy_weight=0.0, baseline_decay=0.5, controller_lr=0.1)
    trainer.baseline = 0.2
    ctrl = trainer.controller
    before = {n: p.detach().clone() for n, p in ctrl.named_parameters()}
    replay = torch.Generator()
    replay.set_state(trainer.generator.get_state())
    reward, loss = trainer.controller_step(lambda arch: 1.0)
    assert reward == 1.0 and trainer.baseline == pytest.approx(0.6)  # 0.5 * 0.2 + 0.5 * 1.0
    # the same sample, replayed on the parameters before the step: loss = -log p * (1.0 - 0.6)
    saved = {n: p.detach().clone() for n, p in ctrl.named_parameters()}
    with torch.no_grad():
        for n, p in ctrl.named_parameters():
            p.copy_(before[n])
    _, log_prob, _ = ctrl.sample(replay)
    assert loss == pytest.approx(float(-log_prob.detach() * 0.4), rel=1e-5)
    with torch.no_grad():
        for n, p in ctrl.named_parameters():
            p.copy_(saved[n])


def test_controller_learns_a_rewarded_architecture(tiny_net: TinyNet, data: TensorDataset) -> None:
    torch.manual_seed(0)
    trainer = _trainer(tiny_net, data, controller_lr=0.01, baseline_decay=0.9)
    target = {"width": 8, "kernel": 1, "op": "pool", "skip": [1]}
    for _ in range(300):
        trainer.controller_step(lambda arch: sum(arch[k] == v for k, v in target.items()) / 4)
    assert nas.export(trainer) == target


def test_enas_search_runs_and_exports(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data, controller_steps=5).fit()
    assert len(trainer.history) == 1 and 0.0 <= trainer.history[0]["reward"] <= 1.0 + 1e-3
    arch = nas.export(trainer)
    assert nas.validate_arch(tiny_net, arch) == arch
