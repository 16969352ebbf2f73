"""The choices of a search space: LayerChoice, InputChoice (modules) and ValueChoice (a value).

Each choice has a label; choices that share a label share one decision. A choice holds either a
`sampled` decision (single-path: SPOS, a fixed evaluation) or, when a DARTS trainer sets
`arch_weights`, a continuous relaxation (a softmax-weighted mixture of its options).

Decisions are written in the export format, which is also the search_space.json value:
LayerChoice: the candidate's index (list) or key (dict); InputChoice: sorted list of chosen input
indices; ValueChoice: the value itself.

Inside `fixed_arch(arch)` the constructors build the chosen thing instead: LayerChoice returns the
chosen candidate module, InputChoice a `ChosenInputs`, ValueChoice the plain value.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any

import torch
from torch import nn

REDUCTIONS = ("sum", "mean", "concat", "none")


class NasError(ValueError):
    """A search space or an architecture is invalid; the message names the label and value."""


_auto_counters: dict[str, int] = {}
_auto_root: list[weakref.ref[nn.Module] | None] = [None]
_fixed_stack: list[dict[str, Any]] = []


def _root_under_construction() -> nn.Module | None:
    """The outermost model whose __init__ is on the call stack (choices themselves excluded)."""
    root = None
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            owner = frame.f_locals.get("self")
            if isinstance(owner, nn.Module) and not isinstance(owner, Mutable):
                root = owner
        frame = frame.f_back
    return root


def auto_label(kind: str) -> str:
    """The next automatic label for a choice without one: `layerchoice_1`, `valuechoice_3`...

    Numbered per model: a new outermost model under construction restarts the count, so building
    a model twice (or inside fixed_arch) gives the same labels. Choices built outside any model
    keep counting."""
    root = _root_under_construction()
    previous = _auto_root[0]() if _auto_root[0] is not None else None
    if root is not None and root is not previous:
        _auto_counters.clear()
        _auto_root[0] = weakref.ref(root)
    _auto_counters[kind] = _auto_counters.get(kind, 0) + 1
    return f"{kind}_{_auto_counters[kind]}"


def reset_auto_labels() -> None:
    """Restart automatic labels (fixed_arch does this, so a rebuilt model gets the same labels)."""
    _auto_counters.clear()
    _auto_root[0] = None


def current_fixed() -> dict[str, Any] | None:
    return _fixed_stack[-1] if _fixed_stack else None


_fixed_used: list[set[str]] = []  # the labels each open fixed_arch has been asked for


def push_fixed(arch: dict[str, Any]) -> None:
    _fixed_stack.append(arch)
    _fixed_used.append(set())


def pop_fixed() -> set[str]:
    """Close the innermost fixed architecture; returns the labels the constructors asked for."""
    _fixed_stack.pop()
    return _fixed_used.pop()


def fixed_decision(arch: Mapping[str, Any], label: str, choices: Sequence[Any]) -> Any:
    """The decision for `label` in a fixed architecture, checked against the valid choices."""
    if _fixed_used:
        _fixed_used[-1].add(label)
    if label not in arch:
        raise NasError(
            f"architecture has no value for choice {label!r} (a trial's parameters leave out choices "
            "that do not matter: build with nas.arch_from_parameters(supernet, params))"
        )
    value = arch[label]
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        value = sorted(value)
    if value not in list(choices):
        raise NasError(f"architecture key {label!r}: {value!r} is not one of {list(choices)!r}")
    return value


def _check_label(label: str | None, kind: str) -> str:
    if label is None:
        return auto_label(kind)
    if not isinstance(label, str) or not label:
        raise NasError(f"{kind} label must be a non-empty string, got {label!r}")
    return label


class Mutable(nn.Module):
    """A module that holds a choice. Subclasses define choices() and forward()."""

    label: str
    sampled: Any

    def choices(self) -> list[Any]:
        raise NotImplementedError

    def arch_size(self) -> int:
        """How many architecture weights a DARTS relaxation needs."""
        return len(self.choices())

    @property
    def arch_weights(self) -> torch.Tensor | None:
        return self.__dict__.get("_arch_weights")

    def set_arch_weights(self, weights: torch.Tensor | None) -> None:
        # Stored outside nn.Module's registry: the architecture parameters are not model weights.
        self.__dict__["_arch_weights"] = weights


def _candidate_list(candidates: Any) -> tuple[list[Any], list[nn.Module]]:
    if isinstance(candidates, Mapping):
        names: list[Any] = [str(k) for k in candidates]
        modules = list(candidates.values())
    elif isinstance(candidates, Sequence) and not isinstance(candidates, str):
        names = list(range(len(candidates)))
        modules = list(candidates)
    else:
        raise NasError(
            f"LayerChoice candidates must be a list or dict of modules, got {type(candidates).__name__}"
        )
    if not modules:
        raise NasError("LayerChoice needs at least one candidate")
    for name, module in zip(names, modules, strict=True):
        if not isinstance(module, nn.Module):
            raise NasError(f"LayerChoice candidate {name!r} is a {type(module).__name__}, not an nn.Module")
    return names, modules


class LayerChoice(Mutable):
    """Choose one of several candidate modules (a list, or a dict name -> module)."""

    def __new__(
        cls, candidates: Sequence[nn.Module] | Mapping[str, nn.Module] | None = None, label: str | None = None
    ) -> Any:
        fixed = current_fixed()
        if fixed is None or candidates is None:  # no arguments: copy.deepcopy / pickle
            return super().__new__(cls)
        names, modules = _candidate_list(candidates)
        chosen = fixed_decision(fixed, _check_label(label, "layerchoice"), names)
        return modules[names.index(chosen)]

    def __init__(
        self, candidates: Sequence[nn.Module] | Mapping[str, nn.Module], label: str | None = None
    ) -> None:
        super().__init__()
        self.label = _check_label(label, "layerchoice")
        self.names, modules = _candidate_list(candidates)
        self.candidates = nn.ModuleList(modules)
        self.sampled = self.names[0]
        self.binary_gate = False  # ProxylessNAS: run the sampled candidate, gate gradients for all

    def choices(self) -> list[Any]:
        return list(self.names)

    def chosen_module(self) -> nn.Module:
        return self.candidates[self.names.index(self.sampled)]

    def _binary_forward(self, probs: torch.Tensor, args: Any, kwargs: Any) -> Any:
        """ProxylessNAS: the output is the sampled candidate's alone (only it trains), and the
        gradient of the gate probabilities is <dL/dy, o_j> for every candidate j (BinaryConnect),
        the others run without autograd."""
        chosen = self.names.index(self.sampled)
        out = self.candidates[chosen](*args, **kwargs)
        if not probs.requires_grad:
            return out
        gates = probs - probs.detach()  # zero in value, d/dp in gradient
        total = out + gates[chosen] * out.detach()
        with torch.no_grad():
            others = [(j, m(*args, **kwargs)) for j, m in enumerate(self.candidates) if j != chosen]
        for j, other in others:
            total = total + gates[j] * other
        return total

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        weights = self.arch_weights
        if weights is None:
            return self.chosen_module()(*args, **kwargs)
        probs = torch.softmax(weights, dim=-1)
        if self.binary_gate:
            return self._binary_forward(probs, args, kwargs)
        out = None
        for i, module in enumerate(self.candidates):
            term = probs[i] * module(*args, **kwargs)
            out = term if out is None else out + term
        return out


def reduce_inputs(tensors: list[torch.Tensor], reduction: str) -> Any:
    """Sum, mean or concatenate (along channels) the chosen inputs; "none" returns their list."""
    if reduction == "none":
        return list(tensors)
    if reduction == "concat":
        return torch.cat(tensors, dim=1)
    total = tensors[0]
    for t in tensors[1:]:
        total = total + t
    return total / len(tensors) if reduction == "mean" else total


class ChosenInputs(nn.Module):
    """The fixed form of an InputChoice: picks the chosen inputs and reduces them; no weights."""

    def __init__(self, chosen: Sequence[int], reduction: str = "sum") -> None:
        super().__init__()
        self.chosen = list(chosen)
        self.reduction = reduction

    def forward(self, inputs: Sequence[torch.Tensor]) -> Any:
        return reduce_inputs([inputs[i] for i in self.chosen], self.reduction)

    def extra_repr(self) -> str:
        return f"chosen={self.chosen}, reduction={self.reduction!r}"


def input_options(n_candidates: int, n_chosen: int | None) -> list[list[int]]:
    """The decisions of an InputChoice: every n_chosen-subset, or (n_chosen=None, NNI's "any
    number") every non-empty subset, smallest first."""
    sizes = range(1, n_candidates + 1) if n_chosen is None else [n_chosen]
    return [list(c) for k in sizes for c in itertools.combinations(range(n_candidates), k)]


def _check_input_args(n_candidates: int, n_chosen: int | None, reduction: str) -> None:
    if not isinstance(n_candidates, int) or n_candidates < 1:
        raise NasError(f"InputChoice n_candidates must be a positive int, got {n_candidates!r}")
    if n_chosen is not None and (not isinstance(n_chosen, int) or not 1 <= n_chosen <= n_candidates):
        raise NasError(f"InputChoice n_chosen must be an int in 1..{n_candidates} or None, got {n_chosen!r}")
    if reduction not in REDUCTIONS:
        raise NasError(f"InputChoice reduction must be one of {REDUCTIONS}, got {reduction!r}")


class InputChoice(Mutable):
    """Choose `n_chosen` of `n_candidates` input tensors and reduce them (sum, mean or concat)."""

    def __new__(
        cls,
        n_candidates: int | None = None,
        n_chosen: int | None = 1,
        reduction: str = "sum",
        label: str | None = None,
        edges: Sequence[str | None] | None = None,
    ) -> Any:
        fixed = current_fixed()
        if fixed is None or n_candidates is None:
            return super().__new__(cls)
        _check_input_args(n_candidates, n_chosen, reduction)
        chosen = fixed_decision(
            fixed, _check_label(label, "inputchoice"), input_options(n_candidates, n_chosen)
        )
        return ChosenInputs(chosen, reduction)

    def __init__(
        self,
        n_candidates: int,
        n_chosen: int | None = 1,
        reduction: str = "sum",
        label: str | None = None,
        edges: Sequence[str | None] | None = None,
    ) -> None:
        super().__init__()
        _check_input_args(n_candidates, n_chosen, reduction)
        self.label = _check_label(label, "inputchoice")
        if edges is not None and n_chosen is None:
            raise NasError(
                f"InputChoice {self.label!r}: edges need a fixed n_chosen (the paper keeps the top k)"
            )
        if edges is not None and len(edges) != n_candidates:
            raise NasError(
                f"InputChoice {self.label!r}: edges names {len(edges)} LayerChoices for {n_candidates} inputs"
            )
        self.n_candidates = n_candidates
        self.n_chosen = n_chosen
        self.reduction = reduction
        # The labels of the LayerChoices on each input's edge (a DARTS cell): DARTS then picks the
        # inputs by their strongest operation, as the paper does, and an unchosen edge's
        # operation does not count as a decision (see effective.py).
        self.edges = None if edges is None else list(edges)
        self.mix_all = False  # DARTS with the paper's edge rule: every input, unweighted
        self.sampled = list(range(n_chosen or 1))

    def choices(self) -> list[Any]:
        return input_options(self.n_candidates, self.n_chosen)

    def arch_size(self) -> int:
        return self.n_candidates

    def forward(self, inputs: Sequence[torch.Tensor]) -> Any:
        if len(inputs) != self.n_candidates:
            raise NasError(
                f"InputChoice {self.label!r} expects {self.n_candidates} inputs, got {len(inputs)}"
            )
        if self.mix_all:
            return reduce_inputs(list(inputs), "sum" if self.reduction == "sum" else "mean")
        weights = self.arch_weights
        if weights is None:
            return reduce_inputs([inputs[i] for i in self.sampled], self.reduction)
        probs = torch.softmax(weights, dim=-1)
        # DARTS: a softmax-weighted sum of all inputs (export keeps the top n_chosen)
        return reduce_inputs([probs[i] * x for i, x in enumerate(inputs)], "sum")

    def extra_repr(self) -> str:
        return f"label={self.label!r}, n_candidates={self.n_candidates}, n_chosen={self.n_chosen}"
