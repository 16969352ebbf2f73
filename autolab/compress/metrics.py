"""How much each channel of a group matters: L1 / L2 norm of the weights, FPGM (distance to the
geometric median), BN scale, and first-order Taylor on a few batches. Low means prune first."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from .graph import ChannelGraph, Group
from .trace import CompressError

METRICS = ("l1", "l2", "fpgm", "bn", "taylor")


def _rows(module: Any) -> torch.Tensor:
    return module.weight.detach().reshape(module.weight.shape[0], -1).float()


def _layer_score(module: Any, metric: str, grads: dict[str, torch.Tensor], name: str) -> np.ndarray:
    if metric == "l1":
        return _rows(module).abs().sum(1).numpy()
    if metric == "l2":
        return _rows(module).norm(dim=1).numpy()
    if metric == "fpgm":  # a filter close to all the others is replaceable by them (He et al. 2019)
        rows = _rows(module)
        return torch.cdist(rows, rows).sum(1).numpy()
    if metric == "bn":
        return module.weight.detach().abs().float().numpy()
    # taylor: |sum over the filter of weight x gradient|, the loss change when the filter is removed
    grad = grads[name].reshape(grads[name].shape[0], -1)
    return (_rows(module) * grad).sum(1).abs().numpy()


def group_importance(
    graph: ChannelGraph,
    metric: str = "l1",
    batches: Iterable[tuple[Any, Any]] | None = None,
    loss_fn: Callable[[Any, Any], torch.Tensor] | None = None,
) -> dict[int, np.ndarray]:
    """group index -> one score per channel of the group: the mean, over the group's layers, of each
    layer's score divided by that layer's mean (so layers of different scales weigh the same and
    groups can be ranked against each other). "bn" scores the norms' scales (groups without an
    affine norm fall back to l1); "taylor" needs batches of (input, target) and a loss_fn(output, target)."""
    if metric not in METRICS:
        raise CompressError(f"unknown metric '{metric}'; choose from {', '.join(METRICS)}")
    grads = _taylor_grads(graph, batches, loss_fn) if metric == "taylor" else {}
    return {g.index: _score_group(graph, g, metric, grads) for g in graph.groups}


def _score_group(
    graph: ChannelGraph, group: Group, metric: str, grads: dict[str, torch.Tensor]
) -> np.ndarray:
    names = [n for n in group.channels if _has_scale(graph, n)] if metric == "bn" else []
    if not names:  # "bn" without a norm that has a scale (affine=False) scores the weights
        metric = "l1" if metric == "bn" else metric
        names = [n for n in group.channels if graph.layers[n].kind != "bn"]
    total = np.zeros(group.size)
    count = np.zeros(group.size)
    for name in names:
        score = _layer_score(graph.model.get_submodule(name), metric, grads, name).astype(np.float64)
        score = score / (score.mean() + 1e-12)
        mapping = group.channels[name]
        has = mapping >= 0
        total[has] += score[mapping[has]]
        count[has] += 1
    return total / np.maximum(count, 1)


def _has_scale(graph: ChannelGraph, name: str) -> bool:
    return (
        graph.layers[name].kind == "bn"
        and getattr(graph.model.get_submodule(name), "weight", None) is not None
    )


def _taylor_grads(
    graph: ChannelGraph,
    batches: Iterable[tuple[Any, Any]] | None,
    loss_fn: Callable[[Any, Any], torch.Tensor] | None,
) -> dict[str, torch.Tensor]:
    if batches is None or loss_fn is None:
        raise CompressError(
            "metric 'taylor' needs batches=[(input, target), ...] and loss_fn(output, target)"
        )
    model = graph.model
    names = [n for n, layer in graph.layers.items() if layer.kind != "bn"]
    weights: dict[str, Any] = {n: model.get_submodule(n).weight for n in names}
    params = list(model.parameters())
    saved = [p.grad for p in params]  # the caller's gradients come back untouched
    for p in params:
        p.grad = None
    was_training = model.training
    model.eval()  # the statistics of the norms stay as they are
    seen = 0
    try:
        for x, y in batches:
            loss_fn(model(x), y).backward()
            seen += 1
        if not seen:
            raise CompressError("metric 'taylor' got no batches")
        return {
            n: (w.grad.detach().clone() if w.grad is not None else torch.zeros_like(w))
            for n, w in weights.items()
        }
    finally:
        for p, grad in zip(params, saved, strict=True):
            p.grad = grad
        model.train(was_training)
