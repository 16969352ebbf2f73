"""Saving and loading a pruned model: the layer sizes are stored with the weights, and a freshly
built (unpruned) model is cut to those sizes before load_state_dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .trace import CompressError

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def architecture(model: nn.Module) -> dict[str, dict[str, int]]:
    """The channel sizes of every conv, linear and batch norm: {name: {"in", "out", "groups"}}."""
    arch = {}
    for name, m in model.named_modules():
        if isinstance(m, _CONV):
            arch[name] = {"in": m.in_channels, "out": m.out_channels, "groups": m.groups}
        elif isinstance(m, nn.Linear):
            arch[name] = {"in": m.in_features, "out": m.out_features, "groups": 1}
        elif isinstance(m, _BN):
            arch[name] = {"in": m.num_features, "out": m.num_features, "groups": 1}
    return arch


def apply_architecture(model: nn.Module, arch: dict[str, dict[str, int]]) -> nn.Module:
    """Resize the model's layers in place to the stored sizes (weights left uninitialised)."""
    modules = dict(model.named_modules())
    for name, size in arch.items():
        m = modules.get(name)
        if m is None:
            raise CompressError(f"the stored architecture has layer '{name}', which the model lacks")
        if isinstance(m, _CONV):
            m.in_channels, m.out_channels, m.groups = size["in"], size["out"], size["groups"]
            shape = (size["out"], size["in"] // size["groups"], *m.weight.shape[2:])
        elif isinstance(m, nn.Linear):
            m.in_features, m.out_features = size["in"], size["out"]
            shape = (size["out"], size["in"])
        elif isinstance(m, _BN):
            m.num_features = size["out"]
            shape = (size["out"],)
            for buf in ("running_mean", "running_var"):
                if getattr(m, buf) is not None:
                    setattr(m, buf, torch.empty(shape))
        else:
            raise CompressError(f"layer '{name}' is a {type(m).__name__}, not a conv, linear or norm")
        if getattr(m, "weight", None) is not None:
            m.weight = nn.Parameter(torch.empty(shape))
        if getattr(m, "bias", None) is not None:
            m.bias = nn.Parameter(torch.empty(size["out"]))
    return model


def save_pruned(model: nn.Module, path: str | Path) -> None:
    """torch.save of {"architecture": ..., "state_dict": ...}."""
    torch.save({"architecture": architecture(model), "state_dict": model.state_dict()}, path)


def load_pruned(model: nn.Module, path: str | Path) -> nn.Module:
    """Cut a freshly built model to the saved architecture and load the saved weights into it."""
    try:
        saved: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CompressError(f"cannot read pruned model {path}: {e}") from None
    if not isinstance(saved, dict) or "architecture" not in saved or "state_dict" not in saved:
        raise CompressError(f"{path} is not a file written by save_pruned (no architecture / state_dict)")
    apply_architecture(model, saved["architecture"])
    try:
        model.load_state_dict(saved["state_dict"])
    except RuntimeError as e:
        raise CompressError(f"{path} does not fit {type(model).__name__}: {_misfit(e)}") from None
    return model


def _misfit(error: RuntimeError) -> str:
    """The first useful line of load_state_dict's error (first key named; counts of the rest)."""
    lines = [line.strip() for line in str(error).strip().splitlines()[1:] if line.strip()]
    if not lines:
        return str(error).strip()
    head, _, keys = lines[0].partition(": ")
    if head.endswith("key(s) in state_dict"):
        names = [k.strip().strip('"') for k in keys.rstrip(". ").split(", ")]
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        head = f"{head.split(' key')[0].lower()} key '{names[0]}'{more}"
    else:
        head = lines[0]
    others = f"; {len(lines) - 1} more problem(s)" if len(lines) > 1 else ""
    return head + others
