"""`prune`: graph, scores, plan and surgery in one call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .graph import build_graph
from .metrics import group_importance
from .ratios import flops_plan, global_plan, layer_plan, uniform_plan
from .surgery import apply_plan
from .trace import CompressError


def prune(
    model: nn.Module,
    example_inputs: torch.Tensor | Sequence[Any],
    ratio: float | Mapping[str, float] | None = None,
    *,
    metric: str = "l1",
    mode: str = "uniform",
    flops: float | None = None,
    max_layer_ratio: float = 0.9,
    batches: Iterable[tuple[Any, Any]] | None = None,
    loss_fn: Callable[[Any, Any], torch.Tensor] | None = None,
) -> nn.Module:
    """A physically smaller copy of model (the original is left as it is).

    ratio: a fraction of channels to remove (mode "uniform": from every group; "global": ranked
    across groups, none losing more than max_layer_ratio), or {group leader: fraction}. flops instead
    of ratio: the fraction of the FLOPs to keep. The result is checked against the masked original.
    """
    if (ratio is None) == (flops is None):
        raise CompressError("give exactly one of ratio and flops")
    if mode not in ("uniform", "global"):
        raise CompressError(f"mode must be 'uniform' or 'global', got {mode!r}")
    if isinstance(ratio, Mapping) and mode != "uniform":
        raise CompressError(
            f"mode {mode!r} does not apply to per-layer ratios (a dict): give one ratio, or leave mode out"
        )
    graph = build_graph(model, example_inputs)
    if not graph.groups:
        raise CompressError(
            f"nothing to prune in {type(model).__name__}: no conv or linear has output channels that "
            "can be removed (each feeds the output, a reshape or a layer that needs its width)"
        )
    scores = group_importance(graph, metric, batches, loss_fn)
    if flops is not None:
        plan = flops_plan(graph, scores, flops, mode, max_layer_ratio)
    elif isinstance(ratio, Mapping):
        plan = layer_plan(graph, scores, ratio)
    elif mode == "global":
        plan = global_plan(graph, scores, ratio, max_layer_ratio)  # type: ignore[arg-type]
    else:
        plan = uniform_plan(graph, scores, ratio)  # type: ignore[arg-type]
    return apply_plan(plan)
