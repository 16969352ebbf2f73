"""Findings of a user walk: tied scores in global pruning, grouped-conv rounding, count_macs' mode,
and inputs that must give one clear line."""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autolab import compress  # noqa: E402
from autolab.nas.cost import count_params  # noqa: E402

from .models import ResNetLike, VGGLike  # noqa: E402


def _removed(graph: compress.ChannelGraph, plan: compress.Plan) -> float:
    total = sum(g.size for g in graph.groups)
    kept = sum(len(plan.keep.get(g.index, g.clusters)) for g in graph.groups)
    return (total - kept) / total


def test_global_plan_with_tied_scores_removes_the_requested_share() -> None:
    torch.manual_seed(0)
    model, x = ResNetLike().eval(), torch.randn(1, 3, 32, 32)  # fresh norms: every BN score is 1
    graph = compress.build_graph(model, x)
    scores = compress.group_importance(graph, "bn")
    assert all(np.allclose(s, 1.0) for s in scores.values())
    plan = compress.global_plan(graph, scores, 0.3)
    total = sum(g.size for g in graph.groups)
    assert _removed(graph, plan) == pytest.approx(round(0.3 * total) / total)
    ratios = plan.ratios().values()
    assert max(ratios) - min(ratios) <= 1 / 16 + 1e-9  # tied groups lose alike (within a channel)
    capped = compress.global_plan(graph, scores, 0.5, max_layer_ratio=0.6)  # caps pass the share on
    assert _removed(graph, capped) == pytest.approx(round(0.5 * total) / total)
    assert max(capped.ratios().values()) <= 0.6
    small = compress.prune(model, x, ratio=0.3, mode="global", metric="bn")
    assert 0.3 < count_params(small) / count_params(model) < 0.9
    small = compress.prune(model, x, flops=0.5, mode="global", metric="bn")
    assert 0.4 < compress.count_macs(small, x) / compress.count_macs(model, x) <= 0.5


class _Grouped(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1, self.bn = nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1, groups=4)
        self.fc = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.c2(self.bn(self.c1(x)).relu()).mean((2, 3)))


@pytest.mark.parametrize(("ratio", "removed"), [(0.1, 0.0), (0.2, 0.25), (0.3, 0.25), (0.5, 0.5)])
def test_grouped_conv_keeps_the_nearest_multiple(ratio: float, removed: float) -> None:
    torch.manual_seed(0)
    graph = compress.build_graph(_Grouped().eval(), torch.randn(1, 3, 8, 8))
    plan = compress.uniform_plan(graph, compress.group_importance(graph), ratio)
    assert plan.ratios()["c1"] == removed


def test_count_macs_runs_in_eval_mode_and_restores_it() -> None:
    model = ResNetLike().train()
    bn = model.stem[1]
    before = bn.running_mean.clone()
    macs = compress.count_macs(model, torch.randn(1, 3, 32, 32))  # batch 1 in train mode used to fail
    assert macs == compress.count_macs(model.eval(), torch.randn(1, 3, 32, 32))
    model.train()
    compress.count_macs(model, torch.randn(1, 3, 32, 32))
    assert model.training and torch.equal(bn.running_mean, before)


def test_numpy_ratio_accepted_and_mode_with_per_layer_ratios_refused() -> None:
    torch.manual_seed(0)
    model, x = ResNetLike().eval(), torch.randn(1, 3, 32, 32)
    small = compress.prune(model, x, ratio=np.float32(0.5))
    assert small.stem[0].out_channels == 8
    with pytest.raises(compress.CompressError, match="mode 'global' does not apply to per-layer ratios"):
        compress.prune(model, x, ratio={"stem.0": 0.5}, mode="global")
    with pytest.raises(compress.CompressError, match=r"got True"):
        compress.prune(model, x, ratio=True)


def test_unreachable_flops_target_names_real_percentages() -> None:
    torch.manual_seed(0)
    model, x = ResNetLike().eval(), torch.randn(1, 3, 32, 32)
    with pytest.raises(compress.CompressError) as err:
        compress.prune(model, x, flops=0.001)
    message = str(err.value)
    assert "reaches 0.1% of the FLOPs" in message and "keeps 0%" not in message


def test_nothing_prunable_is_an_error_not_a_silent_copy() -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.Linear(16, 4))
    with pytest.raises(compress.CompressError, match="nothing to prune in Sequential"):
        compress.prune(model, torch.randn(2, 8), ratio=0.5)


def test_bn_metric_on_norms_without_affine_falls_back_to_l1() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8, affine=False), nn.ReLU(), nn.Conv2d(8, 4, 3))
    x = torch.randn(1, 3, 8, 8)
    graph = compress.build_graph(model.eval(), x)
    bn, l1 = compress.group_importance(graph, "bn"), compress.group_importance(graph, "l1")
    assert bn.keys() == l1.keys() and all(np.allclose(bn[k], l1[k]) for k in bn)
    assert compress.prune(model, x, ratio=0.5, metric="bn")[0].out_channels == 4


def test_load_pruned_into_the_wrong_model_names_the_key(tmp_path) -> None:
    torch.manual_seed(0)
    small = compress.prune(ResNetLike().eval(), torch.randn(1, 3, 32, 32), ratio=0.5)
    compress.save_pruned(small, tmp_path / "small.pt")
    other = ResNetLike()
    other.extra = nn.Linear(2, 2)  # a layer the file has no weights for
    with pytest.raises(compress.CompressError) as err:
        compress.load_pruned(other, tmp_path / "small.pt")
    message = str(err.value)
    assert "\n" not in message and message.endswith("ResNetLike: missing key 'extra.weight' and 1 more")


def _features_distiller() -> tuple[compress.Distiller, nn.Module, nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    teacher, student = ResNetLike().eval(), ResNetLike()
    x = torch.randn(2, 3, 32, 32)
    feature = compress.Feature("layers.2", "layers.3", "mse")
    return compress.Distiller(teacher, student, features=[feature], example_input=x), teacher, student, x


def test_distiller_hooks_live_only_during_its_own_steps() -> None:
    d, teacher, student, x = _features_distiller()
    out = d(x)
    assert "feature:layers.2" in out.parts and out.parts["feature:layers.2"] > 0
    hooks = [m for net in (teacher, student) for m in net.modules() if m._forward_hooks]
    assert hooks == []
    student(x)
    assert d._captured == {}  # a plain forward stores nothing
    torch.save(student, io.BytesIO())  # a local hook used to make this fail
    with d:
        assert d(x).parts["feature:layers.2"] == pytest.approx(out.parts["feature:layers.2"], rel=1e-5)
    assert d._captured == {}


def test_distiller_with_mismatched_outputs_says_so() -> None:
    d = compress.Distiller(ResNetLike(num_classes=10).eval(), VGGLike(num_classes=5))
    with pytest.raises(
        compress.CompressError, match=r"student's output \(2, 5\) and the teacher's \(2, 10\)"
    ):
        d(torch.randn(2, 3, 32, 32))
