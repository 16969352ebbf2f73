"""Which choices of an architecture matter: a choice nested in a LayerChoice candidate counts only
when that candidate is chosen, and an operation on a DARTS edge (an InputChoice declaring its
`edges`) only when that input is chosen. Two architectures that differ only in choices that do not
matter are the same network.

Every choice carries a context: the conditions, from the outside in, under which it is in the
network: ("layer", label, name) holds when arch[label] == name; ("input", label, i) when i is in
arch[label]; ("depth", label, j) when arch[label] > j (block j of a Repeat). A label is active
when the context of any of its members holds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .mutables import NasError

if TYPE_CHECKING:
    from .space import ChoiceGroup

Condition = tuple[str, str, Any]
Context = tuple[Condition, ...]


def holds(context: Context, arch: Mapping[str, Any]) -> bool:
    for kind, label, value in context:
        decision = arch[label]
        if kind == "layer" and decision != value:
            return False
        if kind == "input" and value not in decision:
            return False
        if kind == "depth" and decision <= value:
            return False
    return True


def is_active(group: ChoiceGroup, arch: Mapping[str, Any]) -> bool:
    return any(holds(context, arch) for context in group.contexts)


def active_labels(groups: Mapping[str, ChoiceGroup], arch: Mapping[str, Any]) -> set[str]:
    return {label for label, group in groups.items() if is_active(group, arch)}


def canonical_arch(groups: Mapping[str, ChoiceGroup], arch: Mapping[str, Any]) -> dict[str, Any]:
    """The architecture with every choice that does not matter set to its first option, so equal
    networks get equal dicts (and equal keys in a search's bookkeeping)."""
    return {
        label: (arch[label] if is_active(group, arch) else group.choices[0])
        for label, group in groups.items()
    }


def arch_key(groups: Mapping[str, ChoiceGroup], arch: Mapping[str, Any]) -> str:
    return json.dumps(canonical_arch(groups, arch), sort_keys=True)


def _order(groups: Mapping[str, ChoiceGroup]) -> list[str]:
    """Labels with every label their contexts mention before them."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(label: str) -> None:
        if state.get(label) == 2:
            return
        if state.get(label) == 1:
            raise NasError(f"choice {label!r} is nested inside a choice of its own label (a cycle)")
        state[label] = 1
        for context in groups[label].contexts:
            for _, outer, _ in context:
                visit(outer)
        state[label] = 2
        order.append(label)

    for label in groups:
        visit(label)
    return order


def effective_size(groups: Mapping[str, ChoiceGroup]) -> int:
    """The number of distinct networks in the space (architectures that differ only in choices
    that do not matter are counted once). A dynamic programme over the labels in dependency order
    whose state is the decisions later labels still depend on, so it is exact and stays small for
    nested and cell spaces alike."""
    order = _order(groups)
    needed_after: list[set[str]] = []
    later: set[str] = set()
    for label in reversed(order):
        needed_after.append(set(later))
        later |= {outer for context in groups[label].contexts for _, outer, _ in context}
    needed_after.reverse()

    @functools.cache
    def count(index: int, state: tuple[tuple[str, str], ...]) -> int:
        if index == len(order):
            return 1
        label = order[index]
        decided = {k: json.loads(v) for k, v in state}
        group = groups[label]
        keep = needed_after[index]
        options = group.choices if any(holds(c, decided) for c in group.contexts) else group.choices[:1]
        total = 0
        for option in options:
            nxt = {**decided, label: option}
            key = tuple(sorted((k, json.dumps(v)) for k, v in nxt.items() if k in keep))
            total += count(index + 1, key)
        return total

    return count(0, ())
