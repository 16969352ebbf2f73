from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import nas  # noqa: E402


def test_layer_choice_runs_the_sampled_candidate() -> None:
    choice = nas.LayerChoice({"double": nn.Identity(), "zero": nn.ZeroPad2d(0)}, label="op")
    choice.candidates[0] = LambdaDouble()
    assert choice.choices() == ["double", "zero"]
    x = torch.ones(2, 3)
    assert torch.equal(choice(x), 2 * x)
    choice.sampled = "zero"
    assert torch.equal(choice(x), x)


class LambdaDouble(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * x


def test_list_candidates_are_chosen_by_index_and_auto_labelled() -> None:
    a = nas.LayerChoice([nn.Identity(), LambdaDouble()])
    b = nas.LayerChoice([nn.Identity(), LambdaDouble()])
    assert a.choices() == [0, 1]
    assert a.label != b.label and a.label.startswith("layerchoice_")


def test_input_choice_picks_and_reduces() -> None:
    choice = nas.InputChoice(3, 2, reduction="sum", label="in")
    assert choice.choices() == [[0, 1], [0, 2], [1, 2]]
    xs = [torch.full((1,), float(v)) for v in (1, 10, 100)]
    choice.sampled = [0, 2]
    assert float(choice(xs)) == 101.0
    with pytest.raises(nas.NasError, match="expects 3 inputs"):
        choice(xs[:2])


def test_darts_relaxation_is_a_softmax_mixture() -> None:
    choice = nas.LayerChoice([nn.Identity(), LambdaDouble()], label="op")
    choice.set_arch_weights(torch.tensor([0.0, 0.0]))
    assert torch.allclose(choice(torch.ones(1)), torch.tensor([1.5]))
    assert "_arch_weights" not in dict(choice.named_parameters())


@pytest.mark.parametrize("bad", [[], [1, 1], [True, 2], "abc"])
def test_value_choice_rejects_bad_values(bad: object) -> None:
    with pytest.raises(nas.NasError, match="ValueChoice"):
        nas.ValueChoice(bad)  # type: ignore[arg-type]


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(nas.NasError, match="n_chosen"):
        nas.InputChoice(2, 3)
    with pytest.raises(nas.NasError, match="not an nn.Module"):
        nas.LayerChoice([nn.Identity(), 3])  # type: ignore[list-item]
    with pytest.raises(nas.NasError, match="odd"):
        nas.MutableConv2d(1, 4, nas.ValueChoice([2, 3]))


def test_mutable_layers_without_choices_are_plain_torch_layers() -> None:
    assert type(nas.MutableConv2d(1, 4, 3)) is nn.Conv2d
    assert type(nas.MutableLinear(4, 2)) is nn.Linear
    assert type(nas.MutableBatchNorm2d(4)) is nn.BatchNorm2d


def test_sliced_conv_matches_a_plain_conv_with_those_weights() -> None:
    torch.manual_seed(0)
    width, kernel = nas.ValueChoice([2, 4]), nas.ValueChoice([1, 3, 5])
    conv = nas.MutableConv2d(3, width, kernel)
    width.sampled, kernel.sampled = 2, 3
    x = torch.randn(2, 3, 7, 7)
    plain = conv.to_fixed({width.label: 2, kernel.label: 3})
    assert plain.weight.shape == (2, 3, 3, 3)
    assert torch.allclose(conv(x), plain(x), atol=1e-6)


def test_relaxed_layer_with_a_one_hot_weight_equals_the_sliced_layer() -> None:
    torch.manual_seed(0)
    width, kernel = nas.ValueChoice([2, 4]), nas.ValueChoice([1, 3])
    conv = nas.MutableConv2d(3, width, kernel)
    x = torch.randn(2, 3, 5, 5)
    width.sampled, kernel.sampled = 2, 1
    sliced = conv(x)
    width.set_arch_weights(torch.tensor([50.0, -50.0]))
    kernel.set_arch_weights(torch.tensor([50.0, -50.0]))
    relaxed = conv(x)
    assert relaxed.shape[1] == 4
    assert torch.allclose(relaxed[:, :2], sliced, atol=1e-5)
    assert float(relaxed[:, 2:].detach().abs().max()) < 1e-5


def test_sliced_batchnorm_updates_only_its_channels() -> None:
    width = nas.ValueChoice([2, 4])
    bn = nas.MutableBatchNorm2d(width)
    bn(torch.randn(8, 2, 3, 3) + 5.0)
    assert bn.running_mean is not None
    assert float(bn.running_mean[:2].min()) > 0.3
    assert torch.equal(bn.running_mean[2:], torch.zeros(2))


class AutoLabelled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nas.LayerChoice([nn.Identity(), LambdaDouble()])
        self.b = nas.LayerChoice([nn.Identity(), LambdaDouble()])
        self.scale = nas.ValueChoice([1, 2])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.a(x))


def test_automatic_labels_are_stable_per_model() -> None:
    AutoLabelled()
    second = AutoLabelled()
    assert [second.a.label, second.b.label, second.scale.label] == [
        "layerchoice_1",
        "layerchoice_2",
        "valuechoice_1",
    ]
    arch = nas.export(second)
    with nas.fixed_arch({**arch, "layerchoice_2": 1}):
        fixed = AutoLabelled()
    assert not nas.has_choices(fixed)
    assert torch.equal(fixed(torch.ones(1)), torch.full((1,), 2.0))
