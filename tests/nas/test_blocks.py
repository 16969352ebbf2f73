"""NNI's building blocks: n_chosen=None, reduction='none', ValueChoice arithmetic, Repeat,
MutableConv2d groups / dilation, MutableLayerNorm; each against a hand-computed or plain-torch
reference."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils.data import TensorDataset  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.budget import SpaceCost  # noqa: E402
from autolab.nas.layers import width_mask  # noqa: E402


class AddOne(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 1


def test_input_choice_of_any_number() -> None:
    choice = nas.InputChoice(3, None, label="any")
    assert choice.choices() == [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]
    xs = [torch.full((1,), float(v)) for v in (1, 10, 100)]
    choice.sampled = [0, 1, 2]
    assert float(choice(xs)) == 111.0
    with nas.fixed_arch({"any": [0, 2]}):
        fixed = nas.InputChoice(3, None, label="any")
    assert float(fixed(xs)) == 101.0
    # DARTS export: every input weighing at least a uniform share
    choice.set_arch_weights(torch.tensor([1.0, 0.9, -3.0]))
    assert nas.export(nn.ModuleList([choice]))["any"] == [0, 1]


def test_reduction_none_returns_the_chosen_inputs(data: TensorDataset) -> None:
    choice = nas.InputChoice(3, 2, reduction="none", label="pick")
    xs = [torch.full((1,), float(v)) for v in (1, 10, 100)]
    choice.sampled = [0, 2]
    assert [float(t) for t in choice(xs)] == [1.0, 100.0]
    net = nn.Sequential(nn.Flatten(), nn.Linear(36, 3))
    net.add_module("pick", choice)
    with pytest.raises(nas.NasError, match="'pick' uses reduction 'none'"):
        nas.DartsTrainer(net, F.cross_entropy, torch.optim.SGD(net.parameters(), 0.1), data, num_epochs=1)


def test_value_choice_arithmetic_sizes_layers_with_one_decision() -> None:
    width = nas.ValueChoice([2, 4], label="w")
    lin = nas.MutableLinear(3, width * 2 + 1)
    assert (
        (width * 2 + 1).values == [5, 9] and (10 - width).values == [8, 6] and (width // 2).values == [1, 2]
    )
    net = nn.Sequential(lin)
    assert nas.to_search_space(net) == {"w": {"_type": "choice", "_value": [2, 4]}}
    nas.set_arch(net, {"w": 4})
    assert lin(torch.ones(1, 3)).shape == (1, 9)
    with nas.fixed_arch({"w": 2}):
        fixed = nas.MutableLinear(3, nas.ValueChoice([2, 4], label="w") * 2 + 1)
    assert isinstance(fixed, nn.Linear) and fixed.out_features == 5
    assert nas.apply_fixed_architecture(net, {"w": 2})[0].out_features == 5
    # DARTS: the one alpha of "w" mixes masks of the derived widths 5 and 9
    width.set_arch_weights(torch.tensor([0.0, 0.0]))
    mask = width_mask(width * 2 + 1, 9)
    assert mask is not None and mask.tolist() == [1.0] * 5 + [0.5] * 4
    with pytest.raises(nas.NasError, match="combines a choice with numbers"):
        _ = width * nas.ValueChoice([1, 2], label="other")


def test_repeat_runs_the_chosen_depth() -> None:
    rep = nas.Repeat(AddOne(), (1, 3), label="depth")
    assert rep.choices() == [1, 2, 3] and len(rep.blocks) == 3
    x = torch.zeros(1)
    for depth in (1, 2, 3):
        rep.sampled = depth
        assert float(rep(x)) == depth
    rep.set_arch_weights(torch.tensor([0.0, 0.0, 0.0]))
    assert float(rep(x)) == pytest.approx(2.0)  # (1 + 2 + 3) / 3
    with nas.fixed_arch({"depth": 2}):
        fixed = nas.Repeat(AddOne(), (1, 3), label="depth")
    assert isinstance(fixed, nn.Sequential) and len(fixed) == 2


def test_choices_inside_repeated_blocks_count_only_when_built() -> None:
    rep = nas.Repeat(
        lambda i: nas.LayerChoice([nn.Identity(), AddOne()], label=f"b{i}"), (1, 3), label="depth"
    )
    # depth 1: 2 networks, 2: 4, 3: 8 (the raw product is 3 * 2^3 = 24)
    assert nas.space_size(rep) == 14
    assert nas.canonical(rep, {"depth": 1, "b0": 1, "b1": 1, "b2": 1}) == {
        "depth": 1,
        "b0": 1,
        "b1": 0,
        "b2": 0,
    }
    with nas.fixed_arch({"depth": 2, "b0": 1, "b1": 1}):
        fixed = nas.Repeat(
            lambda i: nas.LayerChoice([nn.Identity(), AddOne()], label=f"b{i}"), (1, 3), label="depth"
        )
    assert float(fixed(torch.zeros(1))) == 2.0


@pytest.mark.parametrize("dilation", [1, 2])
def test_depthwise_dilated_mutable_conv_matches_plain_torch(dilation: int) -> None:
    torch.manual_seed(0)
    width = nas.ValueChoice([2, 4], label="w")
    conv = nas.MutableConv2d(
        width, width, nas.ValueChoice([3, 5], label="k"), groups=width, dilation=dilation
    )
    assert conv.weight.shape == (4, 1, 5, 5)
    x = torch.randn(2, 4, 9, 9)
    for arch in ({"w": 4, "k": 3}, {"w": 4, "k": 5}):
        nas.set_arch(nn.Sequential(conv), arch)
        plain = conv.to_fixed(arch)
        assert plain.groups == 4 and plain.dilation == (dilation, dilation)
        assert plain.padding == (dilation * (arch["k"] // 2),) * 2
        assert torch.allclose(conv(x), plain(x), atol=1e-6)
        assert conv(x).shape == (2, 4, 9, 9)
    net = nn.Sequential(nas.MutableConv2d(1, width, 1), conv)
    cost = SpaceCost(net, torch.zeros(1, 1, 9, 9))
    # stem: 9x9 x 2 channels x 1 tap; depthwise: 9x9 x 2 channels x 1 input channel x 3x3 taps
    arch = {"w": 2, "k": 3}
    assert cost.flops(arch) == cost.flops_estimate(arch) == 81 * 2 + 81 * 2 * 9
    assert nas.arch_cost(net, arch, torch.zeros(1, 1, 9, 9))["flops"] == 81 * 2 + 81 * 2 * 9
    assert cost.params(arch) == nas.arch_cost(net, arch)["params"] == (2 + 2) + (2 * 9 + 2)


def test_mutable_layer_norm() -> None:
    torch.manual_seed(0)
    width = nas.ValueChoice([3, 6], label="w")
    norm = nas.MutableLayerNorm(width)
    with torch.no_grad():
        norm.weight.uniform_()
    x = torch.randn(2, 3)
    expected = F.layer_norm(x, (3,), norm.weight[:3], norm.bias[:3])
    assert torch.allclose(norm(x), expected)
    fixed = norm.to_fixed({"w": 3})
    assert isinstance(fixed, nn.LayerNorm) and torch.allclose(fixed(x), expected)
    assert isinstance(nas.MutableLayerNorm(4), nn.LayerNorm) and type(nas.MutableLayerNorm(4)) is nn.LayerNorm
    width.set_arch_weights(torch.tensor([0.0, 0.0], requires_grad=True))
    out = norm(torch.randn(2, 6))
    assert torch.isfinite(out).all()
    grad = torch.autograd.grad(out.pow(2).sum(), width.arch_weights)[0]
    assert float(grad.abs().max()) > 1e-3


def test_nni_code_moves_with_an_import_change() -> None:
    import autolab.nas.nn as nn_  # where NNI code has: import nni.retiarii.nn.pytorch as nn

    class Net(nn_.Module):
        def __init__(self) -> None:
            super().__init__()
            width = nn_.ValueChoice([4, 8], label="width")
            self.conv = nn_.Conv2d(1, width, 3, padding=1)
            self.bn = nn_.BatchNorm2d(width)
            self.act = nn_.LayerChoice([nn_.ReLU(), nn_.Tanh()], label="act")
            self.blocks = nn_.Repeat(nn_.Identity(), (1, 2), label="depth")
            self.head = nn_.Linear(width, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.blocks(self.act(self.bn(self.conv(x)))).mean((2, 3)))

    net = Net()
    assert set(nas.to_search_space(net)) == {"width", "act", "depth"}
    assert isinstance(net.conv, nas.MutableConv2d) and type(nn_.Conv2d(1, 2, 3)) is nn.Conv2d
    assert nn_.Conv2d(1, 2, 3).padding == (0, 0) and nn_.Conv2d(1, nn_.ValueChoice([2, 4]), 3).padding == 0
    with nas.fixed_arch({"width": 8, "act": 1, "depth": 2}):
        fixed = Net()
    assert not nas.has_choices(fixed) and fixed(torch.zeros(1, 1, 5, 5)).shape == (1, 2)
    assert nn_.choice("k", [3, 5]).label == "k"  # NNI 3's nni.choice(label, values)
