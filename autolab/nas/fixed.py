"""From a supernet to a plain model: export the chosen architecture; build or convert a fixed one.

Two ways to get the plain model for retraining:
- `with fixed_arch(arch): model = Net()` builds it from scratch: every LayerChoice is its chosen
  module, every InputChoice a ChosenInputs, every ValueChoice its value, every mutable layer a plain
  torch layer. Model code can also skip building what the architecture leaves unused.
- `apply_fixed_architecture(model, arch)` converts a model in place, keeping the (sliced) weights.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from .mutables import (
    ChosenInputs,
    InputChoice,
    LayerChoice,
    Mutable,
    NasError,
    pop_fixed,
    push_fixed,
    reset_auto_labels,
)
from .space import choice_groups, validate_arch
from .values import ValueChoice


def load_arch(arch: dict[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    """An architecture from a dict or a JSON file."""
    if isinstance(arch, dict):
        return arch
    path = os.fspath(arch)
    try:
        with open(path, encoding="utf-8") as fh:
            loaded = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise NasError(f"{path}: cannot read the architecture ({exc})") from None
    if not isinstance(loaded, dict):
        raise NasError(f"{path}: an architecture is a JSON object label -> choice")
    return loaded


@contextmanager
def fixed_arch(arch: dict[str, Any] | str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Within the block, model constructors build the fixed architecture (see module doc).

    A label the model never asks for is refused when the block ends (a typo), unless it is one of
    a family the model does use (`node3_edge1` beside `node2_edge0`: an edge the model code skipped
    building). A trial's parameters, which leave out choices that do not matter, go through
    `arch_from_parameters(supernet, params)` first."""
    fixed = load_arch(arch)
    reset_auto_labels()
    push_fixed(fixed)
    completed = False
    try:
        yield fixed
        completed = True
    finally:
        used = pop_fixed()
    if completed and used:
        _refuse_unknown(fixed, used)


def _family(label: str) -> str:
    return re.sub(r"\d+", "#", label)


def _refuse_unknown(arch: dict[str, Any], used: set[str]) -> None:
    families = {_family(label) for label in used}
    unknown = sorted(k for k in arch if k not in used and _family(k) not in families)
    if unknown:
        raise NasError(
            f"architecture has label(s) {', '.join(map(repr, unknown))} that the model built in fixed_arch "
            f"does not have; its labels: {', '.join(sorted(used))}"
        )


def _fixed_child(child: nn.Module, arch: dict[str, Any]) -> nn.Module | None:
    if isinstance(child, LayerChoice):
        return child.candidates[child.names.index(arch[child.label])]
    if isinstance(child, InputChoice):
        return ChosenInputs(arch[child.label], child.reduction)
    to_fixed = getattr(child, "to_fixed", None)
    if callable(to_fixed):
        fixed = to_fixed(arch)
        assert isinstance(fixed, nn.Module)
        return fixed
    return None


def _convert(module: nn.Module, arch: dict[str, Any]) -> nn.Module:
    replacement = _fixed_child(module, arch)
    if replacement is not None:
        # a chosen candidate may hold choices of its own
        return _convert(replacement, arch) if replacement is not module else module
    for name, child in list(module.named_children()):
        new = _convert(child, arch)
        if new is not child:
            setattr(module, name, new)
    for value in vars(module).values():
        if isinstance(value, ValueChoice):
            value.root.sampled = arch[value.label]
            value.root.set_arch_weights(None)
    return module


def apply_fixed_architecture(model: nn.Module, arch: dict[str, Any] | str | os.PathLike[str]) -> nn.Module:
    """Convert the model to the architecture: choices replaced by what they chose, layers plain.

    Returns the converted model (a new object only when the model itself is a LayerChoice).
    Edges the architecture leaves unused stay in the model; build with fixed_arch to drop them.
    """
    checked = validate_arch(model, load_arch(arch))
    return _convert(model, checked)


def _decision(member: Any, group_kind: str, n_chosen: int | None) -> Any:
    weights = member.arch_weights
    if weights is None:
        return member.sampled
    choices = member.choices()
    if group_kind == "input":
        probs = torch.softmax(weights.detach(), -1)
        if n_chosen is None:  # any number: every input weighing at least a uniform share
            keep = [i for i, p in enumerate(probs.tolist()) if p >= 1.0 / len(probs)]
            return keep or [int(torch.argmax(probs))]
        top = torch.topk(probs, n_chosen).indices.tolist()
        return sorted(int(i) for i in top)
    return choices[int(torch.argmax(weights.detach()))]


def export(model_or_trainer: Any) -> dict[str, Any]:
    """The chosen architecture as a JSON-serialisable dict label -> decision.

    A trainer exports its result (DARTS: argmax of the architecture weights, top-k inputs; SPOS:
    the best architecture found by the search). A model exports its current decisions.
    """
    if not isinstance(model_or_trainer, nn.Module):
        exporter = getattr(model_or_trainer, "export", None)
        if not callable(exporter):
            raise NasError(f"cannot export a {type(model_or_trainer).__name__}: pass a model or a trainer")
        result = exporter()
        assert isinstance(result, dict)
        return result
    arch: dict[str, Any] = {}
    for label, group in choice_groups(model_or_trainer).items():
        arch[label] = _decision(group.members[0], group.kind, group.n_chosen)
    return json.loads(json.dumps(arch))


def save_arch(arch: dict[str, Any], path: str | os.PathLike[str]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(arch, fh, indent=2)
        fh.write("\n")


def has_choices(model: nn.Module) -> bool:
    """True while any choice or mutable layer is left in the model."""
    for module in model.modules():
        if isinstance(module, Mutable) or callable(getattr(module, "to_fixed", None)):
            return True
    return False
