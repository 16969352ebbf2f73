"""Conv + BN (and Linear + BN1d) fusion for inference: the norm folded into the layer before it."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from torch import fx, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from .trace import trace

_PAIRS = (
    (nn.Conv1d, nn.BatchNorm1d),
    (nn.Conv2d, nn.BatchNorm2d),
    (nn.Conv3d, nn.BatchNorm3d),
    (nn.Linear, nn.BatchNorm1d),
)


def fusable_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """(layer, norm) names where the norm is the only user of the layer's output and each is called
    once, so folding changes nothing else."""
    graph = trace(model)
    modules = dict(model.named_modules())
    calls = Counter(str(n.target) for n in graph.nodes if n.op == "call_module")
    pairs = []
    for node in graph.nodes:
        if node.op != "call_module" or not isinstance(node.args[0], fx.Node):
            continue
        prev = node.args[0]
        if prev.op != "call_module" or len(prev.users) != 1:
            continue
        layer, norm = modules[str(prev.target)], modules[str(node.target)]
        if calls[str(prev.target)] != 1 or calls[str(node.target)] != 1:
            continue
        if any(type(layer) is a and type(norm) is b for a, b in _PAIRS) and norm.track_running_stats:
            pairs.append((str(prev.target), str(node.target)))
    return pairs


def fuse_conv_bn(model: nn.Module) -> nn.Module:
    """An eval-mode copy with every fusable norm folded into its conv / linear (the norm becomes
    nn.Identity); the original is left as it is."""
    fused = copy.deepcopy(model).eval()
    for layer_name, norm_name in fusable_pairs(fused):
        layer: Any = fused.get_submodule(layer_name)
        norm: Any = fused.get_submodule(norm_name)
        if isinstance(layer, nn.Linear):
            new: nn.Module = fuse_linear_bn_eval(layer, norm)
        else:
            new = fuse_conv_bn_eval(layer, norm)
        _set(fused, layer_name, new)
        _set(fused, norm_name, nn.Identity())
    return fused


def _set(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, module)
