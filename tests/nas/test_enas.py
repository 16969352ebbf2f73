"""ENAS: the controller's probabilities by hand, REINFORCE by hand, and a search that runs."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.enas import Controller  # noqa: E402

from .supernets import SplitNet, TinyNet, make_data, param_copies, same_tensors, split_data  # noqa: E402


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
    trainer = _trainer(
        tiny_net, data, entropy_weight=0.0, baseline_decay=0.5, controller_lr=0.1, controller_aggregate=1
    )
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


def test_reinforce_averages_over_the_aggregated_samples(tiny_net: TinyNet, data: TensorDataset) -> None:
    """Three samples, one optimizer step: the gradient is the mean of -log p_i (r_i - b_i), with the
    baseline updated after every sample (the reference code's controller_num_aggregate)."""
    trainer = _trainer(
        tiny_net, data, entropy_weight=0.0, baseline_decay=0.5, controller_lr=0.1, controller_aggregate=3
    )
    trainer.baseline = 0.2
    ctrl = trainer.controller
    by_hand = Controller([len(g.choices) for g in trainer.groups.values()], hidden=64)
    by_hand.load_state_dict(ctrl.state_dict())  # the parameters before the step
    replay = torch.Generator()
    replay.set_state(trainer.generator.get_state())
    reward_of = {"conv": 1.0, "pool": 0.25}  # depends on the architecture: the advantages differ
    mean_reward, loss = trainer.controller_step(lambda arch: reward_of[arch["op"]])
    baseline, rewards, total = 0.2, [], torch.zeros(())
    for _ in range(3):
        indices, log_prob, _ = by_hand.sample(replay)
        reward = reward_of[trainer.to_arch(indices)["op"]]
        baseline = 0.5 * baseline + 0.5 * reward
        rewards.append(reward)
        total = total - log_prob * (reward - baseline) / 3
    total.backward()
    assert len(set(rewards)) == 2  # both kinds of sample occur, so the average is a real one
    assert mean_reward == pytest.approx(sum(rewards) / 3) and trainer.baseline == pytest.approx(baseline)
    assert loss == pytest.approx(float(total.detach()), rel=1e-5)
    for (name, p), q in zip(ctrl.named_parameters(), by_hand.parameters(), strict=True):
        if q.grad is None:
            assert p.grad is None or not p.grad.any(), name
        else:
            assert torch.allclose(p.grad, q.grad, atol=1e-7), name


def test_controller_learns_a_rewarded_architecture(tiny_net: TinyNet, data: TensorDataset) -> None:
    torch.manual_seed(0)
    trainer = _trainer(tiny_net, data, controller_lr=0.01, baseline_decay=0.9, controller_aggregate=1)
    target = {"width": 8, "kernel": 1, "op": "pool", "skip": [1]}
    for _ in range(300):
        trainer.controller_step(lambda arch: sum(arch[k] == v for k, v in target.items()) / 4)
    assert nas.export(trainer) == target


def test_history_records_the_policy_entropy(tiny_net: TinyNet, data: TensorDataset) -> None:
    """last_entropy is the mean entropy of the step's samples (replayed by hand); an epoch's history
    `entropy` is the mean of its steps' (a fresh policy: near the uniform maximum)."""
    trainer = _trainer(tiny_net, data, controller_steps=3, controller_aggregate=2)
    by_hand = Controller(trainer.controller.sizes, hidden=64)
    by_hand.load_state_dict(trainer.controller.state_dict())
    replay = torch.Generator()
    replay.set_state(trainer.generator.get_state())
    entropies = [float(by_hand.sample(replay)[2].detach()) for _ in range(2)]
    trainer.controller_step(lambda arch: 0.5)
    assert trainer.last_entropy == pytest.approx(sum(entropies) / 2, rel=1e-6)
    steps: list[float] = []
    step = trainer.controller_step

    def spy(reward_of: object) -> tuple[float, float]:
        out = step(reward_of)  # type: ignore[arg-type]
        steps.append(trainer.last_entropy)
        return out

    trainer.controller_step = spy  # type: ignore[method-assign]
    trainer.fit()
    uniform = sum(math.log(n) for n in trainer.controller.sizes)
    assert len(steps) == 3 and trainer.history[0]["entropy"] == pytest.approx(sum(steps) / 3)
    assert 0.9 * uniform < trainer.history[0]["entropy"] <= uniform + 1e-6


def test_enas_search_runs_and_exports(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data, controller_steps=5).fit()
    assert len(trainer.history) == 1 and 0.0 <= trainer.history[0]["reward"] <= 1.0 + 1e-3
    arch = nas.export(trainer)
    assert nas.validate_arch(tiny_net, arch) == arch


def test_export_keeps_the_best_of_several_sampled_architectures(
    tiny_net: TinyNet, data: TensorDataset
) -> None:
    """The paper's derivation: derive_samples controller samples, all scored on the same validation
    batch, the best kept, not the greedy decode (without the pick by short retrains, test_enas_options.py)."""
    trainer = _trainer(tiny_net, data, derive_samples=6, derive_batches=1, derive_retrain_epochs=0)
    greedy = trainer.to_arch(trainer.controller.sample(greedy=True)[0])
    replay = torch.Generator()
    replay.set_state(trainer.generator.get_state())
    with torch.no_grad():
        samples = [trainer.to_arch(trainer.controller.sample(replay)[0]) for _ in range(6)]
    best = next(arch for arch in samples if arch != greedy)  # scored 1, every other sample 0
    seen: list[torch.Tensor] = []

    def score(arch: dict[str, object], batches: list[tuple[torch.Tensor, torch.Tensor]], bn: str) -> float:
        assert len(batches) == 1 and bn == "train"  # the default scoring
        seen.append(batches[0][0])
        return 1.0 if arch == best else 0.0

    trainer._score = score  # type: ignore[method-assign]
    assert nas.export(trainer) == best != greedy
    assert len(seen) == 6 and all(torch.equal(x, seen[0]) for x in seen)  # the same batch for all
    assert nas.export(trainer) == best and len(seen) == 6  # derived once


def test_export_with_no_samples_is_the_greedy_decode(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data, derive_samples=0)
    assert nas.export(trainer) == trainer.to_arch(trainer.controller.sample(greedy=True)[0])


def _rows(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> list[tuple[float, ...]]:
    return sorted(map(tuple, torch.cat([x for x, _ in batches]).flatten(1).tolist()))


def test_derive_batches_none_scores_every_sample_on_the_whole_split(
    tiny_net: TinyNet, data: TensorDataset
) -> None:
    """derive_batches=None: each sample is scored on every validation example once (40 examples in
    batches of 16: 16, 16, 8), the same batches in the same order for every sample; the best is kept."""
    val = make_data(40, seed=1)
    opt = torch.optim.SGD(tiny_net.parameters(), lr=0.05)
    trainer = nas.EnasTrainer(
        tiny_net, F.cross_entropy, opt, data, val, num_epochs=1, batch_size=16, device="cpu",
        derive_samples=6, derive_batches=None, derive_retrain_epochs=0,
    )  # fmt: skip
    replay = torch.Generator()
    replay.set_state(trainer.generator.get_state())
    with torch.no_grad():
        samples = [trainer.to_arch(trainer.controller.sample(replay)[0]) for _ in range(6)]
    best = samples[3]  # scored 1, the others by their position below it
    seen: list[list[tuple[torch.Tensor, torch.Tensor]]] = []

    def score(arch: dict[str, object], batches: object, bn: str) -> float:
        assert bn == "train"  # the default
        seen.append(list(batches))  # type: ignore[call-overload]
        return 1.0 if arch == best else len(seen) / 10

    trainer._score = score  # type: ignore[method-assign]
    assert nas.export(trainer) == best
    assert len(seen) == 6 and [len(y) for _, y in seen[0]] == [16, 16, 8]
    assert _rows(seen[0]) == sorted(map(tuple, val.tensors[0].flatten(1).tolist()))  # all of it, once
    for batches in seen[1:]:
        assert all(torch.equal(x, x0) for (x, _), (x0, _) in zip(batches, seen[0], strict=True))


def test_train_mode_evaluate_is_the_batch_statistics_metric_on_the_whole_split(
    tiny_net: TinyNet, data: TensorDataset
) -> None:
    """One batch holds the whole split (40 < 64): the score is the accuracy of the path in training
    mode (BatchNorm on the batch's statistics) over all 40 examples, the same on every call."""
    val = make_data(40, seed=1)
    opt = torch.optim.SGD(tiny_net.parameters(), lr=0.05)
    trainer = nas.EnasTrainer(
        tiny_net, F.cross_entropy, opt, data, val, num_epochs=1, batch_size=64, device="cpu",
        derive_batches=None, derive_bn="train",
    )  # fmt: skip
    trainer.controller_steps = 0
    trainer.fit()  # the weights move: the accuracy is not the initial one
    arch = {"width": 8, "kernel": 3, "op": "conv", "skip": [1]}
    score = trainer.evaluate(arch)
    nas.set_arch(tiny_net, arch)
    tiny_net.train()
    with torch.no_grad():
        by_hand = float((tiny_net(val.tensors[0]).argmax(-1) == val.tensors[1]).float().mean())
    assert score == pytest.approx(by_hand) and trainer.evaluate(arch) == score
    assert round(score * 40) == pytest.approx(score * 40)  # a count of the 40 examples


def test_recalibrated_scoring_uses_running_statistics_of_the_calibration_batches(
    tiny_net: TinyNet, data: TensorDataset
) -> None:
    """derive_bn="recalibrate": the path's BatchNorm statistics are re-estimated as the plain average of
    the first recalibrate_batches training batches (in the order of randperm(seed + 7)), then the path
    is scored in eval mode on the whole split; every sample is drawn as with derive_bn="train", and
    the shared weights do not move."""
    val = make_data(40, seed=1)
    opt = torch.optim.SGD(tiny_net.parameters(), lr=0.05)
    make = lambda bn: nas.EnasTrainer(  # noqa: E731
        tiny_net, F.cross_entropy, opt, data, val, num_epochs=1, batch_size=16, device="cpu",
        derive_samples=5, derive_batches=None, derive_bn=bn, recalibrate_batches=2,
    )  # fmt: skip
    trainer = make("recalibrate")
    trainer.controller_steps = 0
    trainer.fit()  # the weights and the running statistics move
    arch = {"width": 8, "kernel": 3, "op": "pool", "skip": [1]}
    weights = param_copies(tiny_net)
    score = trainer.evaluate(arch)
    assert same_tensors(weights, param_copies(tiny_net))
    # by hand: the BatchNorm's input on training rows order[:16] and order[16:32], their mean and
    # unbiased variance averaged over the two batches, then eval mode on all 40 validation examples
    order = torch.randperm(96, generator=torch.Generator().manual_seed(7))
    nas.set_arch(tiny_net, arch)
    means, variances = [], []
    with torch.no_grad():
        for rows in (order[:16], order[16:32]):
            z = tiny_net.stem(data.tensors[0][rows])
            means.append(z.mean(dim=(0, 2, 3)))
            variances.append(z.var(dim=(0, 2, 3), unbiased=True))
        bn = tiny_net.bn
        z = (tiny_net.stem(val.tensors[0]) - sum(means)[None, :, None, None] / 2) / torch.sqrt(
            sum(variances)[None, :, None, None] / 2 + bn.eps
        )
        x = F.relu(z * bn.weight[None, :, None, None] + bn.bias[None, :, None, None])
        y = tiny_net.skip([x, tiny_net.op(x)])
        logits = tiny_net.head(y.mean(dim=(2, 3)))
    by_hand = float((logits.argmax(-1) == val.tensors[1]).float().mean())
    assert score == pytest.approx(by_hand) and trainer.evaluate(arch) == score
    train_mode = make("train")
    train_mode.controller.load_state_dict(trainer.controller.state_dict())
    train_mode.generator.set_state(trainer.generator.get_state())
    assert train_mode.evaluate(arch) != score  # batch statistics: another score here
    drawn = [a for a, _ in trainer.derive()]
    assert sorted(map(str, drawn)) == sorted(map(str, (a for a, _ in train_mode.derive())))


def test_recalibrated_scoring_runs_in_eval_mode_without_batchnorm() -> None:
    """SplitNet has no BatchNorm: recalibration has nothing to do, and the path is still scored in eval
    mode (a dropout layer would otherwise drop units at random); the default stays "train"."""
    assert _few_shot(few_shot_epochs=0).derive_bn == "train"
    trainer = _few_shot(few_shot_epochs=0, derive_bn="recalibrate")
    trainer.model.train()
    arch = trainer.sample_arch()
    trainer.evaluate(arch)
    assert not trainer.model.training


@pytest.mark.parametrize(
    ("per_batch", "expected"),
    [(0.5, 3), (50 / 390, 1), (0.05, 1), (1.25, 8)],  # x 6 batches: 3, round(0.77), round(0.3) -> 1, 7.5 -> 8
)
def test_controller_steps_follow_the_weight_batches(
    tiny_net: TinyNet, data: TensorDataset, per_batch: float, expected: int
) -> None:
    """96 examples in batches of 16 are 6 weight batches an epoch; the controller then takes
    round(per_batch x 6) steps (at least 1) of `controller_aggregate` rewards each, every epoch."""
    opt = torch.optim.SGD(tiny_net.parameters(), lr=0.05, momentum=0.9)
    trainer = nas.EnasTrainer(
        tiny_net,
        F.cross_entropy,
        opt,
        data,
        data,
        num_epochs=2,
        batch_size=16,
        device="cpu",
        controller_steps_per_batch=per_batch,
        controller_aggregate=2,
        derive_samples=0,
    )
    rewards = []
    trainer._reward = lambda arch: rewards.append(arch) or 0.5  # type: ignore[method-assign]
    trainer.fit()
    assert [entry["controller_steps"] for entry in trainer.history] == [expected, expected]
    assert len(rewards) == 2 * expected * 2  # epochs x steps x aggregate
    assert trainer.steps_for(390) == max(1, round(per_batch * 390))


def test_controller_steps_default_is_fifty_per_epoch(tiny_net: TinyNet, data: TensorDataset) -> None:
    trainer = _trainer(tiny_net, data)
    assert trainer.steps_for(6) == trainer.steps_for(390) == 50


@pytest.mark.parametrize(
    "kwargs",
    [
        {"controller_aggregate": 0},
        {"derive_samples": -1},
        {"derive_batches": 0},
        {"derive_batches": -2},
        {"derive_batches": True},
        {"controller_steps": -1},
        {"controller_steps_per_batch": 0.0},
        {"controller_steps": 5, "controller_steps_per_batch": 0.1},
        {"derive_bn": "eval"},
        {"recalibrate_batches": 0},
    ],
)
def test_bad_settings_are_refused(tiny_net: TinyNet, data: TensorDataset, kwargs: dict[str, object]) -> None:
    with pytest.raises(nas.NasError, match=next(iter(kwargs))):
        _trainer(tiny_net, data, **kwargs)


def _few_shot(batch_size: int = 16, **kwargs: object) -> nas.EnasTrainer:
    torch.manual_seed(0)
    net = SplitNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    data = split_data()
    return nas.EnasTrainer(
        net, F.cross_entropy, opt, data, data, num_epochs=2, batch_size=batch_size, device="cpu",
        **{"controller_steps": 2, "controller_aggregate": 2, "derive_samples": 4, **kwargs},
    )  # type: ignore[arg-type]  # fmt: skip


def test_a_forced_decision_conditions_the_later_ones() -> None:
    torch.manual_seed(0)
    ctrl = Controller([3, 2], hidden=4)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        indices, log_prob, _ = ctrl.sample(gen, forced={0: 2})
        assert indices[0] == 2
        h1, c1 = ctrl.lstm(ctrl.start)  # by hand: the second decision follows the embedding of 2
        p1 = torch.softmax(2.5 * torch.tanh(ctrl.heads[0](h1) / 5.0), -1)[0]
        h2, _ = ctrl.lstm(ctrl.embeddings[0](torch.tensor([2])), (h1, c1))
        p2 = torch.softmax(2.5 * torch.tanh(ctrl.heads[1](h2) / 5.0), -1)[0]
        assert torch.allclose(log_prob, torch.log(p1[2]) + torch.log(p2[indices[1]]))


def test_few_shot_enas_trains_each_sub_supernet_on_its_forced_option() -> None:
    plain, trainer = _few_shot(), _few_shot(few_shot_epochs=2)
    plain.fit()
    seen: list[dict[str, object]] = []
    sample = trainer.sample_arch
    trainer.sample_arch = lambda forced=None: seen.append(sample(forced)) or seen[-1]  # type: ignore[method-assign,func-returns-value]
    trainer.fit()
    assert trainer.split == "a" and [s.value for s in trainer.subs] == ["a0", "a1", "a2"]
    assert [h.get("fixed") for h in trainer.history] == [None] * 2 + [
        {"a": v} for v in ("a0", "a1", "a2") for _ in "12"
    ]
    # the one-shot phase is the plain run's; the controller is not trained by the split
    assert same_tensors(param_copies(trainer.model), param_copies(plain.model))
    assert same_tensors(param_copies(trainer.controller), param_copies(plain.controller))
    # 2 one-shot epochs + 3 options x 2 epochs, 3 batches each; the split's samples take their option
    assert len(seen) == 2 * 3 + 3 * 2 * 3
    assert [arch["a"] for arch in seen[6:]] == ["a0"] * 6 + ["a1"] * 6 + ["a2"] * 6
    for sub in trainer.subs:  # of `a`, only the forced option moved away from the one-shot weights
        for i, name in enumerate(("a0", "a1", "a2")):
            moved = not same_tensors(
                param_copies(sub.model.a.candidates[i]), param_copies(trainer.model.a.candidates[i])
            )
            assert moved == (name == sub.value), (sub.value, name)


def test_few_shot_derivation_scores_each_sample_on_its_sub_supernet() -> None:
    # one batch: the whole data set; the shared-weight export (the pick by retrains: test_enas_options.py)
    trainer = _few_shot(batch_size=48, few_shot_epochs=1, derive_retrain_epochs=0).fit()
    for sub in trainer.subs:
        assert trainer.supernet_for({"b": "b0", "a": sub.value})[0] is sub.model
    head = trainer.subs[1].model.a.candidates[1]  # blank a1's sub-supernet: its logits all 0 -> class 0
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    x, y = split_data().tensors
    scored = trainer.derive()
    assert len(scored) == 4 and any(arch["a"] == "a1" for arch, _ in scored)
    for arch, score in scored:
        sub = trainer.subs[["a0", "a1", "a2"].index(arch["a"])]
        nas.set_arch(sub.model, arch)
        expected = float((sub.model(x).argmax(1) == y).float().mean())
        assert score == pytest.approx(expected)
        if arch["a"] == "a1":
            assert score == pytest.approx(float((y == 0).float().mean()))
    assert nas.export(trainer) == scored[0][0]


def test_without_few_shot_enas_is_not_split() -> None:
    trainer = _few_shot().fit()
    assert trainer.subs == [] and trainer.split is None
    assert trainer.supernet_for({"b": "b0", "a": "a2"})[0] is trainer.model
    with pytest.raises(nas.NasError, match="few_shot_epochs > 0"):
        trainer.split_supernet()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"few_shot_epochs": -1}, "EnasTrainer few_shot_epochs must be an integer >= 0, got -1"),
        ({"few_shot_split": "a"}, "EnasTrainer few_shot_split='a' needs few_shot_epochs > 0"),
        (
            {"few_shot_epochs": 1, "few_shot_split": "z"},
            "EnasTrainer few_shot_split 'z' is not a choice.*b, a",
        ),
        ({"few_shot_epochs": 1, "derive_samples": 0}, "few_shot_epochs=1 needs derive_samples >= 1"),
    ],
)
def test_bad_few_shot_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(nas.NasError, match=message):
        _few_shot(**kwargs)
