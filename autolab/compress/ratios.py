"""How many channels each group loses: uniform, global (ranked across groups, with a per-group
cap), given per layer, or searched for a FLOPs target."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from .graph import ChannelGraph, Group
from .plan import Plan
from .trace import CompressError


def _check_ratio(ratio: float, what: str) -> float:
    """A fraction in [0, 1) as a float (numpy scalars included; bools are not numbers here)."""
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0.0 <= float(ratio) < 1.0:
        raise CompressError(f"{what} must be a number in [0, 1), got {ratio!r}")
    return float(ratio)


def _keep(group: Group, scores: np.ndarray, n_keep: int) -> np.ndarray:
    """The n_keep best channels (at least one; a grouped conv's groups each keep as many)."""
    if group.blocks is None:
        n_keep = max(1, min(group.size, n_keep))
        return np.sort(np.argsort(-scores, kind="stable")[:n_keep])
    n_blocks = group.n_blocks
    per_block = max(
        1, min(group.size // n_blocks, int(np.floor(n_keep / n_blocks + 0.5)))
    )  # nearest multiple
    kept = []
    for b in range(n_blocks):
        members = np.flatnonzero(group.blocks == b)
        kept.append(members[np.argsort(-scores[members], kind="stable")[:per_block]])
    return np.sort(np.concatenate(kept))


def layer_plan(graph: ChannelGraph, scores: Mapping[int, np.ndarray], ratios: Mapping[str, float]) -> Plan:
    """Each group named by its leader (`graph.leaders()`) loses its given fraction; others none."""
    leaders = set(graph.leaders())
    for name in ratios:
        if name not in leaders:
            shown = ", ".join(sorted(leaders)[:8]) + (" ..." if len(leaders) > 8 else "")
            raise CompressError(f"ratio given for '{name}', which leads no prunable group; groups: {shown}")
    keep = {}
    for g in graph.groups:
        if g.leader in ratios:
            ratio = _check_ratio(ratios[g.leader], f"ratio of '{g.leader}'")
            keep[g.index] = _keep(g, scores[g.index], round(g.size * (1.0 - ratio)))
    return Plan(graph, keep)


def uniform_plan(graph: ChannelGraph, scores: Mapping[int, np.ndarray], ratio: float) -> Plan:
    """Every group loses the same fraction of its channels."""
    ratio = _check_ratio(ratio, "ratio")
    return layer_plan(graph, scores, {g.leader: ratio for g in graph.groups})


def global_plan(
    graph: ChannelGraph, scores: Mapping[int, np.ndarray], ratio: float, max_layer_ratio: float = 0.9
) -> Plan:
    """The lowest-scoring `ratio` of all prunable channels go, wherever they are, but no group loses
    more than max_layer_ratio of its channels (the per-layer floor)."""
    ratio = _check_ratio(ratio, "ratio")
    cap = _check_ratio(max_layer_ratio, "max_layer_ratio")
    sizes = [g.size for g in graph.groups]
    budget = int(round(ratio * sum(sizes)))
    if not budget:
        return Plan(graph, {})
    # every channel ranked once by score; ties go by the channel's rank within its group as a share
    # of the group (so tied groups lose alike), then by group: a deterministic order. The lowest
    # `budget` go; a group at its cap passes its share on to the next channels in the ranking.
    ranked = [np.asarray(scores[g.index], dtype=np.float64) for g in graph.groups]
    shares = [np.argsort(np.argsort(r, kind="stable"), kind="stable") / len(r) for r in ranked]
    owner = np.repeat(np.arange(len(sizes)), sizes)
    owner = owner[np.lexsort((owner, np.concatenate(shares), np.concatenate(ranked)))]
    room = [int(np.floor(cap * size)) for size in sizes]
    n_prune = [0] * len(sizes)
    taken = 0
    for i in owner.tolist():
        if taken == budget:
            break
        if n_prune[i] < room[i]:
            n_prune[i] += 1
            taken += 1
    keep = {}
    for g, n in zip(graph.groups, n_prune, strict=True):
        if n:
            keep[g.index] = _keep(g, scores[g.index], g.size - n)
    return Plan(graph, keep)


def flops_plan(
    graph: ChannelGraph,
    scores: Mapping[int, np.ndarray],
    flops_fraction: float,
    mode: str = "uniform",
    max_layer_ratio: float = 0.9,
    layer_ratios: Mapping[str, float] | None = None,
) -> Plan:
    """The smallest ratio whose plan keeps at most flops_fraction of the FLOPs, found by bisection on
    the plan's FLOPs count. mode "uniform" / "global" as their plans; "layer": layer_ratios (by group
    leader) are relative, each group loses min(max_layer_ratio, s x its ratio) for the smallest s
    that meets the target (how a searched set of per-layer ratios is compared at equal FLOPs)."""
    if (
        isinstance(flops_fraction, bool)
        or not isinstance(flops_fraction, numbers.Real)
        or not 0.0 < float(flops_fraction) <= 1.0
    ):
        raise CompressError(f"flops target must be a fraction in (0, 1], got {flops_fraction!r}")
    if mode not in ("uniform", "global", "layer"):
        raise CompressError(f"mode must be 'uniform', 'global' or 'layer', got {mode!r}")
    if (mode == "layer") != (layer_ratios is not None):
        raise CompressError("layer_ratios go with mode 'layer', and only with it")
    cap = _check_ratio(max_layer_ratio, "max_layer_ratio")
    weights = {k: _check_ratio(v, f"ratio of '{k}'") for k, v in (layer_ratios or {}).items()}
    smallest = min((w for w in weights.values() if w > 0), default=0.0)

    def plan_at(r: float) -> Plan:
        if mode == "uniform":
            return uniform_plan(graph, scores, r)
        if mode == "global":
            return global_plan(graph, scores, r, max_layer_ratio)
        # r in [0, 0.99] stretched so that at r = 0.99 every group given a ratio is at the cap
        scale = r / 0.99 * cap / smallest if smallest else 0.0
        return layer_plan(graph, scores, {k: min(cap, w * scale) for k, w in weights.items()})

    full = Plan(graph, {}).flops()
    target = flops_fraction * full
    lo, hi = 0.0, 0.99
    best = plan_at(hi)
    if best.flops() > target:
        raise CompressError(
            f"no {mode} ratio reaches {_share(float(flops_fraction))} of the FLOPs "
            f"(the most pruning keeps {_share(best.flops() / full)}; the rest is in unprunable layers)"
        )
    for _ in range(20):
        mid = (lo + hi) / 2
        plan = plan_at(mid)
        if plan.flops() <= target:
            hi, best = mid, plan
        else:
            lo = mid
    return best


def _share(fraction: float) -> str:
    """A fraction as a percentage with the digits it needs (0.1%, 0.05%, 12%), never a bare 0%."""
    percent = 100.0 * fraction
    if percent == 0.0 or percent >= 10.0:
        return f"{percent:.0f}%"
    return f"{percent:.2g}%"
