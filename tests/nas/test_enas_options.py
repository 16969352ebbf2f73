"""ENAS's pick by short standalone retrains and its uniform-path weight training (enas_options.py)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas import enas as enas_module  # noqa: E402
from autolab.nas.enas_options import candidates, fresh_model, pick, uniform_path  # noqa: E402
from autolab.nas.training import evaluate, loader, train_model  # noqa: E402

from .supernets import TinyNet, make_data, param_copies, same_tensors  # noqa: E402
from .test_effective import Nested  # noqa: E402


class Zero(nn.Module):
    """A head that cannot learn: constant logits (its one parameter gets a zero gradient), so its
    accuracy is the share of class 0."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(x), 3) + 0.0 * self.w


class PickNet(nn.Module):
    """One choice: a linear head that learns the (separable) task, or a constant one."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nas.LayerChoice({"zero": Zero(), "linear": nn.Linear(4, 3)}, label="head")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)


def separable(n: int, seed: int, relabel: int = 0) -> TensorDataset:
    """Inputs that show their class; `relabel`: the labels are (class + relabel) mod 3."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=gen)
    x = torch.randn(n, 4, generator=gen) * 0.3 + F.one_hot(y, 4).float() * 3
    return TensorDataset(x, (y + relabel) % 3)


def _trainer(train: Any, val: Any, **kwargs: Any) -> nas.EnasTrainer:
    torch.manual_seed(0)
    model = kwargs.pop("model", None) or PickNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return nas.EnasTrainer(
        model, F.cross_entropy, opt, train, val, num_epochs=1, batch_size=16, device="cpu", **kwargs
    )


def by_hand(arch: dict[str, Any], train: Any, val: Any, epochs: int, seed: int) -> float:
    """What the scorer should compute for PickNet: built under fixed_arch after seeding, trained with
    train_model on `train`, accuracy on `val` in eval mode."""
    torch.manual_seed(seed)
    with nas.fixed_arch(arch):
        model = PickNet()
    train_model(model, train, epochs=epochs, batch_size=16, lr=0.05, device="cpu", seed=seed)
    return evaluate(model, loader(val, 512, shuffle=False), device=torch.device("cpu"))


def test_the_pick_is_the_candidate_whose_short_retrain_scores_best() -> None:
    """The shared weights rank the constant head first; its short retrain cannot learn, the linear one
    can, so the export is the linear head; every candidate's score is the by-hand retrain's."""
    train, val = separable(96, 0), separable(48, 1)
    trainer = _trainer(train, val, model_fn=PickNet, derive_retrain_epochs=2, derive_retrain_seed=5)
    trainer.derive = lambda: [({"head": "zero"}, 0.9), ({"head": "zero"}, 0.9), ({"head": "linear"}, 0.4)]  # type: ignore[method-assign]
    assert nas.export(trainer) == {"head": "linear"}
    rows = trainer.retrained
    assert [r["arch"] for r in rows] == [{"head": "linear"}, {"head": "zero"}]  # duplicates retrained once
    assert [r["shared"] for r in rows] == [0.4, 0.9]
    for r in rows:
        assert r["retrain"] == by_hand(r["arch"], train, val, 2, 5)
    assert (
        rows[0]["retrain"] > rows[1]["retrain"] == pytest.approx(float((val.tensors[1] == 0).float().mean()))
    )


def test_the_retrain_scores_on_the_validation_split_and_trains_on_the_training_split() -> None:
    """Validation labels shifted by one class: a network trained on the training split scores low there,
    one trained on (or scored on) the training labels would score high."""
    train, val = separable(96, 0), separable(48, 1, relabel=1)
    trainer = _trainer(train, val, model_fn=PickNet, derive_retrain_epochs=3, derive_retrain_seed=5)
    score = trainer.retrain_score({"head": "linear"})
    assert score == by_hand({"head": "linear"}, train, val, 3, 5) < 0.3
    assert by_hand({"head": "linear"}, train, train, 3, 5) > 0.7
    assert by_hand({"head": "linear"}, val, val, 3, 5) > 0.7


def test_the_retrain_is_deterministic_by_seed() -> None:
    train, val = separable(96, 0), separable(48, 1)
    arch = {"head": "linear"}
    scores = [
        _trainer(train, val, model_fn=PickNet, derive_retrain_epochs=1, derive_retrain_seed=s).retrain_score(
            arch
        )
        for s in (3, 3, 4)
    ]
    assert scores[0] == scores[1]
    default = _trainer(train, val, model_fn=PickNet, derive_retrain_epochs=1, seed=7)
    assert default.derive_retrain_seed == 10  # the trainer's seed + 3
    assert default.retrain_score(arch) == by_hand(arch, train, val, 1, 10)


def test_ties_go_to_the_higher_shared_score_then_the_earlier_entry() -> None:
    scored = [
        ({"a": 1}, 0.5),
        ({"a": 2}, 0.7),
        ({"a": 3}, 0.7),
        ({"a": 1}, 0.2),
        ({"a": 4}, 0.1),
        ({"a": 5}, 0.9),
    ]
    key = str  # every label matters here
    assert candidates(scored, 5, key) == [({"a": 1}, 0.5), ({"a": 2}, 0.7), ({"a": 3}, 0.7), ({"a": 4}, 0.1)]
    rows = pick(scored, 5, lambda arch: 1.0 if arch["a"] != 4 else 0.0, key)
    assert [r["arch"]["a"] for r in rows] == [2, 3, 1, 4]  # {"a": 5} is the 6th entry: not a candidate
    assert pick(scored, 2, lambda arch: 0.5, key)[0]["arch"] == {"a": 2}


def test_candidates_differing_only_in_a_choice_that_does_not_matter_are_one_network() -> None:
    """With op "skip", the kernel nested in op's candidate "k" is unused: the two samples are one network,
    retrained once (the export's key is effective.arch_key, as the space's dedupe)."""
    trainer = _trainer(separable(96, 0), separable(48, 1), model=Nested(), derive_retrain_epochs=1)
    skip1 = {"width": 2, "op": "skip", "kernel": 1, "inner": 0}
    skip3 = {**skip1, "kernel": 3}
    conv = {**skip1, "op": "k"}
    trainer.derive = lambda: [(skip1, 0.9), (skip3, 0.8), (conv, 0.7)]  # type: ignore[method-assign]
    seen: list[dict[str, Any]] = []
    trainer.retrain_score = lambda arch: seen.append(arch) or 0.5  # type: ignore[method-assign]
    nas.export(trainer)
    assert seen == [skip1, conv] and [r["arch"] for r in trainer.retrained] == [skip1, conv]


def test_without_retrain_epochs_the_export_is_the_shared_weight_best() -> None:
    train, val = separable(96, 0), separable(48, 1)
    trainer = _trainer(train, val, derive_retrain_epochs=0)
    trainer.derive = lambda: [({"head": "zero"}, 0.9), ({"head": "linear"}, 0.4)]  # type: ignore[method-assign]
    assert nas.export(trainer) == {"head": "zero"} and trainer.retrained == []


def test_without_model_fn_the_candidate_is_a_reinitialised_copy_of_the_supernet() -> None:
    data = make_data()
    torch.manual_seed(0)
    net = TinyNet()
    before = param_copies(net)
    trainer = _trainer(data, data, model=net, derive_retrain_epochs=1, controller_steps=1).fit()
    trained = param_copies(net)
    arch = {"width": 8, "kernel": 3, "op": "conv", "skip": [1]}
    fresh = fresh_model(arch, net, None, 11)
    assert not nas.has_choices(fresh)
    shared = dict(net.named_parameters())
    pairs = [
        (p, shared[n]) for n, p in fresh.named_parameters() if n in shared and shared[n].shape == p.shape
    ]
    assert pairs and not any(torch.equal(p, q) for p, q in pairs)  # re-initialised, not the shared values
    again = fresh_model(arch, net, None, 11)
    assert same_tensors(param_copies(fresh), param_copies(again))
    score = trainer.retrain_score(arch)
    assert 0.0 <= score <= 1.0 and same_tensors(param_copies(net), trained)  # the supernet is untouched
    assert not same_tensors(trained, before)
    assert nas.validate_arch(net, nas.export(trainer)) == nas.export(trainer)


def test_uniform_prob_one_trains_every_weight_batch_on_a_uniform_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """p = 1: each weight batch's path is the replayed uniform draw of the seed + 23 generator (a coin,
    then one index per label), and the controller's generator is not drawn from by the weight phase."""
    data = make_data()
    torch.manual_seed(0)
    trainer = _trainer(data, data, model=TinyNet(), uniform_prob=1.0, controller_steps=0, seed=4)
    seen: list[dict[str, Any]] = []
    real = enas_module.set_arch

    def spy(model: nn.Module, arch: dict[str, Any], groups: Any = None) -> None:
        seen.append(dict(arch))
        real(model, arch, groups)

    monkeypatch.setattr(enas_module, "set_arch", spy)
    controller_state = trainer.generator.get_state()
    trainer._train_weights()
    replay = torch.Generator().manual_seed(4 + 23)
    expected = []
    for _ in range(len(trainer.train_loader)):
        assert float(torch.rand((), generator=replay)) < 1.0
        expected.append(trainer.to_arch(uniform_path(trainer.controller.sizes, replay)))
    assert seen == expected and trainer.uniform_batches == len(seen) == 6
    assert torch.equal(trainer.generator.get_state(), controller_state)


def test_uniform_prob_zero_is_plain_enas_bit_for_bit() -> None:
    data = make_data()
    runs = []
    for kwargs in ({}, {"uniform_prob": 0.0}):
        torch.manual_seed(0)
        net = TinyNet()
        trainer = _trainer(data, data, model=net, controller_steps=2, derive_retrain_epochs=0, **kwargs).fit()
        runs.append(param_copies(net))
        untouched = torch.Generator().manual_seed(0 + 23).get_state()
        assert torch.equal(trainer.mix_generator.get_state(), untouched) and trainer.uniform_batches == 0
    assert same_tensors(runs[0], runs[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"uniform_prob": 1.5}, "uniform_prob must be in \\[0, 1\\], got 1.5"),
        ({"uniform_prob": -0.1}, "uniform_prob must be in"),
        ({"uniform_prob": True}, "uniform_prob must be in"),
        ({"derive_retrain_epochs": -1}, "derive_retrain_epochs must be an integer >= 0, got -1"),
        ({"derive_retrain_epochs": 1.5}, "derive_retrain_epochs must be an integer >= 0"),
        ({"derive_retrain_top": 0}, "derive_retrain_top must be an integer >= 1, got 0"),
        ({"derive_retrain_lr": 0.0}, "derive_retrain_lr must be > 0"),
    ],
)
def test_bad_pick_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(nas.NasError, match=message):
        _trainer(separable(16, 0), separable(16, 1), **kwargs)
