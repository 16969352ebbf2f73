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

from .effective import Context, canonical_arch, effective_size, is_active
from .mutables import InputChoice, LayerChoice, Mutable, NasError
from .repeat import Repeat
from .values import ValueChoice

Choice = Mutable | ValueChoice


@dataclass
class ChoiceGroup:
    """All choices that share one label (one decision)."""

    label: str
    kind: str  # "layer", "input" or "value"
    choices: list[Any]
    arch_size: int
    n_chosen: int | None = 1
    members: list[Choice] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)  # one a member: when it is in the network


def _kind(choice: Choice) -> str:
    if isinstance(choice, LayerChoice):
        return "layer"
    if isinstance(choice, InputChoice):
        return "input"
    if isinstance(choice, ValueChoice):
        return "value"
    if isinstance(choice, Repeat):
        return "repeat"
    return type(choice).__name__


def iter_choices(model: nn.Module) -> list[Choice]:
    """Every choice in the model, in module order: mutable modules and ValueChoice attributes."""
    return [choice for choice, _ in iter_choices_in_context(model)]


def _edge_conditions(model: nn.Module) -> dict[str, tuple[str, int]]:
    """LayerChoice label -> (InputChoice label, input index) for InputChoices declaring `edges`."""
    found: dict[str, tuple[str, int]] = {}
    for module in model.modules():
        if isinstance(module, InputChoice) and module.edges is not None:
            for i, edge in enumerate(module.edges):
                if edge is not None:
                    found[edge] = (module.label, i)
    return found


def module_contexts(model: nn.Module) -> list[tuple[nn.Module, Context]]:
    """Every module with its context (see effective.py): when it is part of the network."""
    found: list[tuple[nn.Module, Context]] = []
    seen: set[int] = set()
    edges = _edge_conditions(model)

    def walk(module: nn.Module, context: Context) -> None:
        if id(module) in seen:
            return
        seen.add(id(module))
        if isinstance(module, LayerChoice) and module.label in edges:
            context = context + (("input", *edges[module.label]),)
        found.append((module, context))
        if isinstance(module, LayerChoice):
            for name, candidate in zip(module.names, module.candidates, strict=True):
                walk(candidate, context + (("layer", module.label, name),))
        elif isinstance(module, Repeat):
            for j, block in enumerate(module.blocks):
                walk(block, context + (("depth", module.label, j),) if j >= module.depths[0] else context)
        else:
            for child in module.children():
                walk(child, context)

    walk(model, ())
    return found


def iter_choices_in_context(model: nn.Module) -> list[tuple[Choice, Context]]:
    """Every choice with its context (see effective.py), in module order."""
    found: list[tuple[Choice, Context]] = []
    seen: set[int] = set()
    for module, context in module_contexts(model):
        items: list[Choice] = [module] if isinstance(module, Mutable) else []
        items += [v.root for v in vars(module).values() if isinstance(v, ValueChoice)]
        for item in items:
            if id(item) not in seen:
                seen.add(id(item))
                found.append((item, context))
    return found


def choice_groups(model: nn.Module) -> dict[str, ChoiceGroup]:
    """The model's choices by label; choices sharing a label must offer the same options."""
    groups: dict[str, ChoiceGroup] = {}
    for choice, context in iter_choices_in_context(model):
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
        group.contexts.append(context)
    return groups


def _nesting(groups: dict[str, ChoiceGroup]) -> dict[str, tuple[str, Any]]:
    """label -> (LayerChoice label, candidate name) for choices that exist only inside one
    candidate (every member in the same context, the innermost condition a LayerChoice's)."""
    nested: dict[str, tuple[str, Any]] = {}
    for label, group in groups.items():
        contexts = set(group.contexts)
        if len(contexts) == 1:
            (context,) = contexts
            if context and context[-1][0] == "layer" and len(set(groups[context[-1][1]].contexts)) == 1:
                nested[label] = (context[-1][1], context[-1][2])
    return nested


def to_search_space(model: nn.Module) -> dict[str, Any]:
    """The model's space as an NNI search space: {label: {"_type": "choice", "_value": [...]}}.

    A choice that exists only inside one LayerChoice candidate is written nested in that option
    (NNI's `{"_name": candidate, label: {...}}`), so a tuner never varies a choice that does not
    matter; `arch_from_parameters` flattens such parameters back into an architecture."""
    groups = choice_groups(model)
    nested = _nesting(groups)

    def spec(label: str) -> dict[str, Any]:
        group = groups[label]
        if group.kind != "layer":
            return {"_type": "choice", "_value": group.choices}
        inner = {
            name: [m for m, (o, n) in nested.items() if o == label and n == name] for name in group.choices
        }
        if not any(inner.values()):
            return {"_type": "choice", "_value": group.choices}
        options = [{"_name": str(name), **{m: spec(m) for m in inner[name]}} for name in group.choices]
        return {"_type": "choice", "_value": options}

    return {label: spec(label) for label in groups if label not in nested}


def flatten_parameters(groups: dict[str, ChoiceGroup], params: dict[str, Any]) -> dict[str, Any]:
    """A tuner's (possibly nested) parameters as a flat architecture; choices the parameters leave
    out because they do not matter get their first option."""
    flat: dict[str, Any] = {}

    def lift(items: dict[str, Any]) -> None:
        for key, value in items.items():
            if isinstance(value, dict) and "_name" in value and key in groups:
                by_text = {str(c): c for c in groups[key].choices}
                flat[key] = by_text.get(value["_name"], value["_name"])
                lift({k: v for k, v in value.items() if k != "_name"})
            else:
                flat[key] = value

    lift(params)
    for label, group in groups.items():
        if label not in flat and not is_active(
            group, {**{k: g.choices[0] for k, g in groups.items()}, **flat}
        ):
            flat[label] = group.choices[0]
    return flat


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
    """How many distinct networks the space holds: choices that do not matter in an architecture
    (nested in an unchosen candidate, on an unchosen edge) are not counted (see effective.py)."""
    groups = model_or_groups if isinstance(model_or_groups, dict) else choice_groups(model_or_groups)
    return effective_size(groups)


def canonical(model_or_groups: nn.Module | dict[str, ChoiceGroup], arch: dict[str, Any]) -> dict[str, Any]:
    """The architecture with every choice that does not matter set to its first option."""
    groups = model_or_groups if isinstance(model_or_groups, dict) else choice_groups(model_or_groups)
    return canonical_arch(groups, arch)
