from __future__ import annotations

import copy
import json
import random

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import nas  # noqa: E402

from .supernets import TinyNet  # noqa: E402

ARCH = {"width": 8, "kernel": 3, "op": "conv", "skip": [1]}


def test_fixed_arch_builds_a_plain_model() -> None:
    with nas.fixed_arch(ARCH):
        model = TinyNet()
    assert not nas.has_choices(model)
    assert (
        isinstance(model.stem, nn.Conv2d)
        and model.stem.out_channels == 8
        and model.stem.kernel_size == (3, 3)
    )
    assert isinstance(model.op, nn.Sequential)
    assert isinstance(model.skip, nas.ChosenInputs) and model.skip.chosen == [1]
    assert model(torch.randn(2, 1, 6, 6)).shape == (2, 3)
    assert nas.choice_groups(model) == {}


def test_fixed_arch_reads_a_json_file(tmp_path: object) -> None:
    path = f"{tmp_path}/arch.json"
    nas.save_arch({**ARCH, "width": 4, "op": "pool"}, path)
    with nas.fixed_arch(path):
        model = TinyNet()
    assert model.stem.out_channels == 4 and isinstance(model.op, nn.AvgPool2d)


def test_export_and_fixed_arch_round_trip(tiny_net: TinyNet) -> None:
    arch = nas.random_arch(tiny_net, random.Random(3))
    nas.set_arch(tiny_net, arch)
    exported = nas.export(tiny_net)
    assert exported == arch
    assert json.loads(json.dumps(exported)) == exported
    with nas.fixed_arch(exported):
        model = TinyNet()
    assert nas.count_params(model) == nas.arch_cost(tiny_net, exported)["params"]


def test_apply_fixed_architecture_keeps_the_supernet_function(tiny_net: TinyNet) -> None:
    x = torch.randn(4, 1, 6, 6)
    for arch in (
        {"width": 4, "kernel": 3, "op": "conv", "skip": [1]},
        {"width": 8, "kernel": 1, "op": "pool", "skip": [0]},
    ):
        nas.set_arch(tiny_net, arch)
        tiny_net.eval()
        expected = tiny_net(x)
        fixed = nas.apply_fixed_architecture(copy.deepcopy(tiny_net), arch)
        assert not nas.has_choices(fixed)
        fixed.eval()
        assert torch.allclose(fixed(x), expected, atol=1e-5)


@pytest.mark.parametrize(
    "arch, message",
    [
        ({"width": 8, "kernel": 3, "op": "conv"}, "no value for choice 'skip'"),
        ({**ARCH, "width": 5}, "'width': 5 is not one of"),
        ({**ARCH, "extra": 1}, "labels the model does not"),
    ],
)
def test_bad_architectures_name_the_label(tiny_net: TinyNet, arch: dict, message: str) -> None:
    with pytest.raises(nas.NasError, match=message):
        nas.apply_fixed_architecture(tiny_net, arch)


def test_fixed_arch_with_a_missing_label_fails_clearly() -> None:
    with (
        pytest.raises(nas.NasError, match="no value for choice 'op'"),
        nas.fixed_arch({"width": 4, "kernel": 1}),
    ):
        TinyNet()


def test_unreadable_architecture_file(tmp_path: object) -> None:
    with (
        pytest.raises(nas.NasError, match="cannot read the architecture"),
        nas.fixed_arch(f"{tmp_path}/none.json"),
    ):
        pass


def test_export_of_a_darts_relaxation_uses_argmax_and_top_k() -> None:
    choice = nas.InputChoice(4, 2, label="edges")
    op = nas.LayerChoice([nn.Identity(), nn.Identity(), nn.Identity()], label="op")
    holder = nn.ModuleDict({"a": choice, "b": op})
    choice.set_arch_weights(torch.tensor([0.1, 3.0, -1.0, 2.0]))
    op.set_arch_weights(torch.tensor([0.0, 0.5, 0.2]))
    assert nas.export(holder) == {"edges": [1, 3], "op": 1}
