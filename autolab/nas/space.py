"""The architecture space of a model: its choices grouped by label; NNI search_space.json; samples.

An architecture is a dict label -> decision, in the export format (see mutables.py). The same dict
is a tuner's parameters for the search space written by `to_search_space`, so an autolab
experiment can propose architectures directly.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from .mutables import InputChoice, LayerChoice, Mutable, NasError, ValueChoice

Choice = Mutable | ValueChoice


@dataclass
class ChoiceGroup:
    """All choices that share one label (one decision)."""

    label: str
    kind: str  # "layer", "input" or "value"
    choices: list[Any]
    arch_size: int
    n_chosen: int = 1
    members: list[Choice] = field(default_factory=list)


def _kind(choice: Choice) -> str:
    if isinstance(choice, LayerChoice):
        return "layer"
    if isinstance(choice, InputChoice):
        return "input"
    if isinstance(choice, ValueChoice):
        return "value"
    return type(choice).__name__


def iter_choices(model: nn.Module) -> list[Choice]:
    """Every choice in the model, in module order: mutable modules and ValueChoice attributes."""
    found: list[Choice] = []
    seen: set[int] = set()
    for module in model.modules():
        items: list[Any] = [module] if isinstance(module, Mutable) else []
        items += [v for v in vars(module).values() if isinstance(v, ValueChoice)]
        for item in items:
            if id(item) not in seen:
                seen.add(id(item))
                found.append(item)
    return found


def choice_groups(model: nn.Module) -> dict[str, ChoiceGroup]:
    """The model's choices by label; choices sharing a label must offer the same options."""
    groups: dict[str, ChoiceGroup] = {}
    for choice in iter_choices(model):
        kind, options = _kind(choice), choice.choices()
        group = groups.get(choice.label)
        if group is None:
            n_chosen = choice.n_chosen if isinstance(choice, InputChoice) else 1
            group = groups[choice.label] = ChoiceGroup(
                choice.label, kind, options, choice.arch_size(), n_chosen
            )
        elif group.kind != kind or group.choices != options:
            raise NasError(
                f"choices labelled {choice.label!r} differ: a {group.kind} choice of {group.choices!r} "
                f"and a {kind} choice of {options!r}"
            )
        group.members.append(choice)
    return groups


def to_search_space(model: nn.Module) -> dict[str, Any]:
    """The model's space as an NNI search space: {label: {"_type": "choice", "_value": [...]}}."""
    return {label: {"_type": "choice", "_value": g.choices} for label, g in choice_groups(model).items()}


def write_search_space(model: nn.Module, path: str) -> dict[str, Any]:
    space = to_search_space(model)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(space, fh, indent=2)
        fh.write("\n")
    return space


def _normal(value: Any) -> Any:
    if isinstance(value, tuple):
        value = list(value)
    return sorted(value) if isinstance(value, list) else value


def validate_arch(
    model_or_groups: nn.Module | dict[str, ChoiceGroup], arch: dict[str, Any], ignore_extra: bool = False
) -> dict[str, Any]:
    """The architecture checked against the space (every label, valid values), normalised."""
    groups = model_or_groups if isinstance(model_or_groups, dict) else choice_groups(model_or_groups)
    if not isinstance(arch, dict):
        raise NasError(f"an architecture is a dict label -> choice, got {type(arch).__name__}")
    extra = sorted(set(arch) - set(groups))
    if extra and not ignore_extra:
        raise NasError(f"architecture has labels the model does not: {extra} (model: {sorted(groups)})")
    result: dict[str, Any] = {}
    for label, group in groups.items():
        if label not in arch:
            raise NasError(f"architecture has no value for choice {label!r}")
        value = _normal(arch[label])
        if value not in group.choices:
            raise NasError(f"architecture key {label!r}: {arch[label]!r} is not one of {group.choices!r}")
        result[label] = value
    return result


def set_arch(model: nn.Module, arch: dict[str, Any], groups: dict[str, ChoiceGroup] | None = None) -> None:
    """Make every choice take the architecture's decision (single-path mode)."""
    groups = groups if groups is not None else choice_groups(model)
    for label, group in groups.items():
        for member in group.members:
            member.sampled = arch[label]


def random_arch(
    model_or_groups: nn.Module | dict[str, ChoiceGroup], rng: random.Random | None = None
) -> dict[str, Any]:
    """A uniformly random architecture."""
    groups = model_or_groups if isinstance(model_or_groups, dict) else choice_groups(model_or_groups)
    rng = rng or random.Random()
    return {label: rng.choice(g.choices) for label, g in groups.items()}


def space_size(model_or_groups: nn.Module | dict[str, ChoiceGroup]) -> int:
    groups = model_or_groups if isinstance(model_or_groups, dict) else choice_groups(model_or_groups)
    size = 1
    for g in groups.values():
        size *= len(g.choices)
    return size
