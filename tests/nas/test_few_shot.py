from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.few_shot import clone_supernet, split_label  # noqa: E402
from autolab.nas.space import choice_groups  # noqa: E402

from .supernets import SplitNet, param_copies, same_tensors, split_data  # noqa: E402


def _trainer(**kwargs: object) -> nas.SposTrainer:
    torch.manual_seed(0)
    net = SplitNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    return nas.SposTrainer(
        net, F.cross_entropy, opt, split_data(0), split_data(1), num_epochs=2, batch_size=16, device="cpu",
        recalibrate_batches=0, **kwargs,
    )  # type: ignore[arg-type]  # fmt: skip


def _option(net: nn.Module, choice: str, name: str) -> list[torch.Tensor]:
    layer = getattr(net, choice)
    return param_copies(layer.candidates[layer.names.index(name)])


def test_default_split_is_the_choice_with_most_options() -> None:
    groups = choice_groups(SplitNet())
    assert split_label(groups, None, "SposTrainer") == "a"  # 3 options, though `b` comes first
    assert split_label(groups, "b", "SposTrainer") == "b"


def test_each_sub_supernet_trains_with_its_option_fixed() -> None:
    trainer = _trainer(few_shot_epochs=2).fit()
    assert trainer.split == "a" and [s.value for s in trainer.subs] == ["a0", "a1", "a2"]
    fixed = [h["fixed"] for h in trainer.history if "fixed" in h]
    assert fixed == [{"a": "a0"}] * 2 + [{"a": "a1"}] * 2 + [{"a": "a2"}] * 2
    assert sum("fixed" not in h for h in trainer.history) == 2  # the one-shot epochs
    one_shot = trainer.model  # the trained supernet itself is kept, not trained further
    assert isinstance(one_shot, SplitNet)
    for sub in trainer.subs:
        assert isinstance(sub.model, SplitNet) and sub.model is not one_shot
        for name in ("a0", "a1", "a2"):  # only the fixed option of `a` moved away from the supernet
            moved = not same_tensors(_option(sub.model, "a", name), _option(one_shot, "a", name))
            assert moved == (name == sub.value), (sub.value, name)
        for name in ("b0", "b1"):  # `b` is still sampled, both options trained
            assert not same_tensors(_option(sub.model, "b", name), _option(one_shot, "b", name))


def test_the_scorer_routes_an_architecture_to_its_sub_supernet() -> None:
    trainer = _trainer(few_shot_epochs=1).fit()
    for sub in trainer.subs:
        model, groups = trainer.supernet_for({"b": "b1", "a": sub.value})
        assert model is sub.model and groups is sub.groups
    val = split_data(1)
    share_of_class_0 = float((val.tensors[1] == 0).float().mean())
    before = {v: trainer.evaluate({"b": "b0", "a": v}) for v in ("a0", "a1", "a2")}
    layer = trainer.subs[1].model.a
    head = layer.candidates[layer.names.index("a1")]  # blank a1's sub-supernet: its logits all 0 -> class 0
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    assert trainer.evaluate({"b": "b0", "a": "a1"}) == pytest.approx(share_of_class_0)
    assert trainer.evaluate({"b": "b0", "a": "a0"}) == before["a0"]  # the others are untouched
    assert trainer.evaluate({"b": "b0", "a": "a2"}) == before["a2"]
    trainer.search(population_size=3, generations=2, parents=2)
    assert trainer.result is not None and len(trainer.result.history) == 6


def test_without_few_shot_nothing_is_split() -> None:
    trainer = _trainer().fit()
    assert trainer.subs == [] and trainer.split is None
    assert trainer.supernet_for({"b": "b0", "a": "a2"})[0] is trainer.model
    with pytest.raises(nas.NasError, match="few_shot_epochs > 0"):
        trainer.split_supernet()


def test_the_one_shot_phase_is_the_same_with_or_without_the_split() -> None:
    plain, split = _trainer().fit(), _trainer(few_shot_epochs=1).fit()
    assert same_tensors(param_copies(plain.model), param_copies(split.model))
    assert plain.history == [
        {**h, "seconds": plain.history[i]["seconds"]} for i, h in enumerate(split.history[:2])
    ]


def test_bad_few_shot_settings_are_refused_with_their_value() -> None:
    with pytest.raises(nas.NasError, match="few_shot_split 'block9' is not a choice of the model.*b, a"):
        _trainer(few_shot_epochs=1, few_shot_split="block9")
    with pytest.raises(nas.NasError, match="few_shot_epochs must be an integer >= 0, got -1"):
        _trainer(few_shot_epochs=-1)
    with pytest.raises(nas.NasError, match="few_shot_split='a' needs few_shot_epochs > 0"):
        _trainer(few_shot_split="a")


def test_the_clone_has_the_optimizer_state_but_its_own_buffers() -> None:
    net = nn.Linear(3, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    net(torch.randn(4, 3)).sum().backward()
    opt.step()
    clone, clone_opt = clone_supernet(net, opt, "SposTrainer")
    assert clone_opt.param_groups[0]["params"][0] is clone.weight
    assert clone_opt.param_groups[0]["momentum"] == 0.9 and clone_opt.param_groups[0]["weight_decay"] == 1e-3
    buffer = opt.state[net.weight]["momentum_buffer"].clone()
    assert torch.equal(clone_opt.state[clone.weight]["momentum_buffer"], buffer)
    before = param_copies(net)
    clone(torch.randn(4, 3)).sum().backward()
    clone_opt.step()
    assert same_tensors(param_copies(net), before) and torch.equal(
        opt.state[net.weight]["momentum_buffer"], buffer
    )
    assert not same_tensors(param_copies(clone), before)
    with pytest.raises(nas.NasError, match="not the model's"):
        clone_supernet(nn.Linear(3, 2), opt, "SposTrainer")
