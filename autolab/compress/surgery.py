"""Physical pruning (new, smaller weight tensors) and its reference, the masked original."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from .plan import Plan
from .trace import CompressError

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def apply_plan(plan: Plan, verify: bool = True) -> nn.Module:
    """A physically smaller copy of the plan's model. With verify, it is run on the example input and
    compared with the masked original, so a model the graph misread fails here, not later."""
    model = copy.deepcopy(plan.graph.model)
    for name, (out_keep, in_keep) in plan.layer_keep().items():
        if out_keep is not None or in_keep is not None:
            _shrink(model.get_submodule(name), name, out_keep, in_keep)
    if verify:
        _verify(plan, model)
        model.train(plan.graph.model.training)  # checked in eval mode; handed back as the original was
    return model


def mask_plan(plan: Plan) -> nn.Module:
    """A copy of the model, same size, with the pruned channels switched off where they are made
    (the weights and biases of producers and depthwise convs, the scale and shift of norms) and where
    they are read (the consumers' input weights, so that a channel that is not zero after its last
    op, e.g. sigmoid(0) = 0.5, still counts for nothing): the reference a pruned model must equal."""
    model = copy.deepcopy(plan.graph.model)
    with torch.no_grad():
        for name, (out_keep, in_keep) in plan.layer_keep().items():
            module: Any = model.get_submodule(name)
            if out_keep is not None and module.weight is not None:  # a norm without affine: none
                dead = torch.from_numpy(np.setdiff1d(np.arange(module.weight.shape[0]), out_keep))
                for param in (module.weight, module.bias):
                    if param is not None:
                        param[dead] = 0
            if in_keep is not None and getattr(module, "groups", 1) == 1 and module.weight.dim() >= 2:
                module.weight[
                    :, torch.from_numpy(np.setdiff1d(np.arange(module.weight.shape[1]), in_keep))
                ] = 0
    return model


def _take(t: torch.Tensor | None, index: np.ndarray | None, dim: int) -> torch.Tensor | None:
    if t is None or index is None:
        return t
    return t.index_select(dim, torch.from_numpy(index).to(t.device)).clone()


def _param(old: Any, new: torch.Tensor | None) -> Any:
    return None if old is None or new is None else nn.Parameter(new, requires_grad=old.requires_grad)


def _shrink(module: Any, name: str, out_keep: np.ndarray | None, in_keep: np.ndarray | None) -> None:
    with torch.no_grad():
        if isinstance(module, _BN):
            module.num_features = len(out_keep) if out_keep is not None else module.num_features
            module.weight = _param(module.weight, _take(module.weight, out_keep, 0))
            module.bias = _param(module.bias, _take(module.bias, out_keep, 0))
            for buf in ("running_mean", "running_var"):
                if getattr(module, buf) is not None:
                    setattr(module, buf, _take(getattr(module, buf), out_keep, 0))
            return
        if isinstance(module, nn.Linear):
            weight = _take(_take(module.weight, out_keep, 0), in_keep, 1)
            assert weight is not None
            module.out_features, module.in_features = weight.shape
        elif isinstance(module, _CONV):
            weight = _conv_weight(module, name, out_keep, in_keep)
            in_per_group = weight.shape[1]
            depthwise = module.groups > 1 and module.groups == module.in_channels and in_per_group == 1
            module.out_channels = weight.shape[0]
            module.in_channels = weight.shape[0] if depthwise else in_per_group * module.groups
            module.groups = weight.shape[0] if depthwise else module.groups
        else:
            raise CompressError(f"cannot prune module '{name}' ({type(module).__name__})")
        module.weight = _param(module.weight, weight)
        module.bias = _param(module.bias, _take(module.bias, out_keep, 0))


def _conv_weight(
    module: Any, name: str, out_keep: np.ndarray | None, in_keep: np.ndarray | None
) -> torch.Tensor:
    weight: torch.Tensor = module.weight
    groups = int(module.groups)
    if groups == 1:
        result = _take(_take(weight, out_keep, 0), in_keep, 1)
        assert result is not None
        return result
    # grouped / depthwise: output channel o reads the input channels of its own group only
    n_out, per_in = weight.shape[0], weight.shape[1]
    per_out = n_out // groups
    outs = np.arange(n_out) if out_keep is None else out_keep
    ins = np.arange(per_in * groups) if in_keep is None else in_keep
    rows = []
    for b in range(groups):
        block_outs = outs[(outs // per_out) == b]
        block_ins = ins[(ins // per_in) == b] - b * per_in
        rows.append((block_outs, block_ins))
    sizes = {len(i) for o, i in rows if len(o)}
    if len(sizes) > 1 or any(len(o) and not len(i) for o, i in rows):
        raise CompressError(f"grouped conv '{name}' would keep unequal groups; leave it unpruned")
    if per_in == 1:  # depthwise: each kept output keeps its one input
        return weight[torch.from_numpy(outs)].clone()
    parts = [weight[torch.from_numpy(o)][:, torch.from_numpy(i)] for o, i in rows if len(o)]
    return torch.cat(parts, 0).clone()


def _verify(plan: Plan, pruned: nn.Module) -> None:
    inputs = plan.graph.example_inputs
    masked = mask_plan(plan)
    for m in (masked, pruned):
        m.eval()
    try:
        with torch.no_grad():
            want, got = masked(*inputs), pruned(*inputs)
    except Exception as e:
        raise CompressError(f"the pruned {type(pruned).__name__} fails on the example input: {e}") from None
    if not isinstance(want, torch.Tensor):
        return
    scale = float(want.abs().max()) + 1e-6
    if want.shape != got.shape or not torch.allclose(want, got, atol=1e-4 * scale, rtol=1e-3):
        raise CompressError(
            f"the pruned {type(pruned).__name__} does not match the masked original "
            f"(max difference {float((want - got).abs().max()):.3g}); please report this model"
        )
