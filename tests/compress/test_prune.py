"""Pruning models with the patterns of the torchvision classifiers: smaller, same as masked, saved."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from autolab import compress  # noqa: E402
from autolab.compress import count_macs as count_flops  # noqa: E402
from autolab.nas.cost import count_params  # noqa: E402

from .helpers import randomize_norms  # noqa: E402
from .models import ALL, ResNetLike, ShuffleLike, Untraceable  # noqa: E402


def _model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return randomize_norms(ALL[name]())


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("metric", ["l1", "l2", "fpgm", "bn"])
def test_pruned_half_is_smaller_and_equals_masked(name: str, metric: str) -> None:
    model = _model(name)
    x = torch.randn(2, 3, 32, 32)
    graph = compress.build_graph(model, x)
    plan = compress.uniform_plan(graph, compress.group_importance(graph, metric), 0.5)
    small = compress.apply_plan(plan, verify=False).eval()
    masked = compress.mask_plan(plan).eval()
    with torch.no_grad():
        got, want, original = small(x), masked(x), model(x)
    assert got.shape == original.shape == (2, 10)
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(got, original)  # channels really went
    assert count_params(small) < count_params(model)
    assert plan.flops() == count_flops(small, x) < count_flops(model, x)


def test_groups_follow_residuals_concats_and_depthwise() -> None:
    graph = compress.build_graph(_model("resnet"), torch.randn(1, 3, 32, 32))
    stage = graph.group("layers.1.down.0")  # the residual stream of the 32-channel stage
    assert stage.producers == ["layers.1.down.0", "layers.1.conv2.0", "layers.2.conv2.0"]
    assert "fc" not in [p for g in graph.groups for p in g.producers]  # the logits are never pruned
    mobile = compress.build_graph(_model("mobilenet"), torch.randn(1, 3, 32, 32))
    expand = mobile.group("blocks.1.expand.0")
    assert "blocks.1.dw.0" in expand.followers and "blocks.1.se.fc2" in expand.producers
    # regression: a wrapped function that hands its input back (stochastic depth) froze the residual
    assert mobile.group("stem.0").producers == ["stem.0", "blocks.0.project.0"]
    dense = compress.build_graph(_model("dense"), torch.randn(1, 3, 32, 32))
    assert dense.group("layers.0.2").followers == ["layers.1.0", "layers.2.0", "norm"]
    grouped = compress.build_graph(_model("grouped"), torch.randn(1, 3, 32, 32))
    assert grouped.group("a.0").n_blocks == 4


def test_channel_shuffle_and_chunk_are_frozen_not_misread() -> None:
    graph = compress.build_graph(ShuffleLike(), torch.randn(1, 3, 32, 32))
    # chunk and the shuffle's view depend on the channel count: only the branches' insides prune
    assert sorted(graph.leaders()) == ["conv5.0", "units.0.branch.0.0", "units.1.branch.0.0"]


def test_global_and_layer_ratios_and_flops_target() -> None:
    model = _model("resnet")
    x = torch.randn(1, 3, 32, 32)
    graph = compress.build_graph(model, x)
    scores = compress.group_importance(graph, "l2")
    plan = compress.global_plan(graph, scores, 0.5, max_layer_ratio=0.6)
    kept = sum(len(plan.keep.get(g.index, g.clusters)) for g in graph.groups)
    total = sum(g.size for g in graph.groups)
    assert kept <= total - int(0.5 * total) + len(graph.groups)  # ties at the threshold aside
    assert max(plan.ratios().values()) <= 0.6
    layer = compress.layer_plan(graph, scores, {"layers.3.conv1.0": 0.75})
    assert layer.ratios()["layers.3.conv1.0"] == 0.75 and sum(layer.ratios().values()) == 0.75
    full = compress.Plan(graph, {}).flops()
    for mode in ("uniform", "global"):
        target = compress.flops_plan(graph, scores, 0.5, mode=mode)
        assert 0.4 * full < target.flops() <= 0.5 * full
        assert count_flops(compress.apply_plan(target), x) == target.flops()


def test_bad_ratios_say_what() -> None:
    graph = compress.build_graph(_model("resnet"), torch.randn(1, 3, 32, 32))
    scores = compress.group_importance(graph)
    with pytest.raises(compress.CompressError, match="'nope', which leads no prunable group"):
        compress.layer_plan(graph, scores, {"nope": 0.5})
    with pytest.raises(compress.CompressError, match=r"ratio must be a number in \[0, 1\), got 1.5"):
        compress.uniform_plan(graph, scores, 1.5)
    with pytest.raises(compress.CompressError, match="unknown metric 'l3'"):
        compress.group_importance(graph, "l3")
    with pytest.raises(compress.CompressError, match="taylor' needs batches"):
        compress.group_importance(graph, "taylor")


def test_taylor_uses_gradients_and_leaves_grads_alone() -> None:
    model = _model("resnet")
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    graph = compress.build_graph(model, x)
    batches = [(x, y), (x.flip(0), y.flip(0))]
    scores = compress.group_importance(graph, "taylor", batches, torch.nn.functional.cross_entropy)
    assert all(
        s.shape == (g.size,) and (s >= 0).all() for g, s in zip(graph.groups, scores.values(), strict=True)
    )
    assert all(p.grad is None for p in model.parameters())
    l1 = compress.group_importance(graph, "l1")
    assert any(not torch.allclose(torch.tensor(scores[i]), torch.tensor(l1[i])) for i in scores)


def test_prune_saves_and_loads_into_a_fresh_model(tmp_path) -> None:
    model = _model("resnet")
    x = torch.randn(2, 3, 32, 32)
    small = compress.prune(model, x, flops=0.5, metric="fpgm").eval()
    compress.save_pruned(small, tmp_path / "small.pt")
    fresh = compress.load_pruned(ResNetLike(), tmp_path / "small.pt").eval()
    with torch.no_grad():
        torch.testing.assert_close(fresh(x), small(x))
    assert compress.architecture(fresh) == compress.architecture(small)
    (tmp_path / "junk.pt").write_text("not a model")
    with pytest.raises(compress.CompressError, match="cannot read pruned model .*junk.pt"):
        compress.load_pruned(ResNetLike(), tmp_path / "junk.pt")


def test_untraceable_model_is_one_line_naming_the_module() -> None:
    with pytest.raises(compress.CompressError) as err:
        compress.prune(Untraceable(), torch.randn(1, 4), ratio=0.5)
    message = str(err.value)
    assert "\n" not in message and "module 'body' (Gate)" in message


def test_one_channel_input_is_not_mistaken_for_depthwise() -> None:
    # regression: Conv2d(1, 16) has groups == in_channels == 1, and was shrunk as a depthwise conv
    torch.manual_seed(0)
    model = randomize_norms(ResNetLike(cin=1))
    small = compress.prune(model, torch.randn(2, 1, 8, 8), ratio=0.5)
    assert small.stem[0].in_channels == 1 and small.stem[0].groups == 1 and small.stem[0].out_channels == 8


def test_pruned_copy_keeps_the_originals_mode() -> None:
    model = ResNetLike().train()
    small = compress.prune(model, torch.randn(2, 3, 32, 32), ratio=0.3)
    assert small.training and model.training and all(m.training for m in small.modules())


class SigmoidBetween(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.sigmoid(self.a(x)))


def test_a_channel_that_is_not_zero_after_its_op_still_prunes() -> None:
    # regression: sigmoid(0) = 0.5 reached the consumer of a masked channel, so a correct pruned
    # model was refused as "not the masked original"
    torch.manual_seed(0)
    small = compress.prune(SigmoidBetween(), torch.randn(1, 3, 8, 8), ratio=0.5)
    assert small.a.out_channels == small.b.in_channels == 4
