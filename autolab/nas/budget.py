"""Architectures inside a FLOPs or parameter range, sampled directly instead of by rejection.

`SpaceCost(model, example_input)` turns the space into a cost model once: every layer with its
context (when it is in the network, see effective.py) and a formula in the choices that size it
(a MutableConv2d's FLOPs are its traced output positions x out channels x in channels / groups x
kernel area, each a number or the architecture's value for a choice). Parameters are exact;
FLOPs are exact for the mutable layers and for plain layers whose size no choice changes (a plain
pooling layer after a width choice is counted at the largest width: an upper bound), so the
evolution's constraint uses `flops(arch)`, the exact count of the sampled path.

`sample_in_range` draws one decision at a time, in a random label order: an option stays possible
while the cheapest and the dearest completions around it bracket part of [low, high].
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .cost import count_flops, layer_flops
from .effective import holds
from .layers import MutableBatchNorm2d, MutableConv2d, MutableLayerNorm, MutableLinear
from .mutables import InputChoice, NasError
from .space import ChoiceGroup, choice_groups, module_contexts, set_arch
from .values import ValueChoice

Arch = dict[str, Any]
Term = Callable[[Arch], float]


def _size(v: Any, arch: Arch) -> int:
    return int(v.value_of(arch[v.label])) if isinstance(v, ValueChoice) else int(v)


def _param_term(module: nn.Module) -> Term | None:
    if isinstance(module, MutableConv2d):
        bias = module.bias is not None

        def conv(arch: Arch) -> float:
            cout, cin, k = (
                _size(v, arch) for v in (module.out_channels, module.in_channels, module.kernel_size)
            )
            return cout * (cin // _size(module.groups, arch)) * k * k + (cout if bias else 0)

        return conv
    if isinstance(module, MutableLinear):
        bias = module.bias is not None
        return lambda arch: (
            _size(module.out_features, arch) * (_size(module.in_features, arch) + (1 if bias else 0))
        )
    if isinstance(module, MutableBatchNorm2d):
        return lambda arch: 2 * _size(module.features_choice, arch) if module.affine else 0
    if isinstance(module, MutableLayerNorm):
        return lambda arch: 2 * _size(module.features_choice, arch) if module.elementwise_affine else 0
    own = sum(p.numel() for p in module.parameters(recurse=False))
    return (lambda arch: own) if own else None


def _flops_term(module: nn.Module, inputs: tuple[Any, ...], output: torch.Tensor) -> Term | None:
    if isinstance(module, MutableConv2d):
        positions = output.numel() // output.shape[1]

        def conv(arch: Arch) -> float:
            cout, cin, k = (
                _size(v, arch) for v in (module.out_channels, module.in_channels, module.kernel_size)
            )
            return positions * cout * (cin // _size(module.groups, arch)) * k * k

        return conv
    if isinstance(module, MutableLinear):
        rows = output.numel() // output.shape[-1]
        return lambda arch: rows * _size(module.out_features, arch) * _size(module.in_features, arch)
    if isinstance(module, MutableBatchNorm2d):
        positions = output.numel() // output.shape[1]
        factor = 2 if module.affine else 1
        return lambda arch: positions * _size(module.features_choice, arch) * factor
    if isinstance(module, MutableLayerNorm):
        rows = output.numel() // output.shape[-1]
        factor = 2 if module.elementwise_affine else 1
        return lambda arch: rows * _size(module.features_choice, arch) * factor
    flops = layer_flops(module, inputs, output)
    return (lambda arch: flops) if flops else None


class SpaceCost:
    """Parameters and FLOPs of the space's architectures, from one traced forward pass."""

    def __init__(self, model: nn.Module, example_input: torch.Tensor | None = None) -> None:
        self.model, self.example_input = model, example_input
        self.groups: dict[str, ChoiceGroup] = choice_groups(model)
        contexts = module_contexts(model)
        self.param_terms = [(c, t) for m, c in contexts if (t := _param_term(m)) is not None]
        self.flops_terms: list[tuple[Any, Term]] = []
        self.flops_estimate_is_exact = False
        if example_input is not None:
            self._trace(contexts, example_input)
            # A plain layer fed by a width choice makes the estimate an upper bound. Where it matches
            # the exact count on the smallest path (narrowest widths: where it would differ) and on
            # a random one, it is trusted as exact.
            rng = random.Random(0)
            probes = [
                _extremes(self.groups, self.params)[0],
                {k: rng.choice(g.choices) for k, g in self.groups.items()},
            ]
            self.flops_estimate_is_exact = all(self.flops_estimate(a) == self.flops(a) for a in probes)

    def _trace(self, contexts: list[tuple[nn.Module, Any]], x: torch.Tensor) -> None:
        """Run every candidate once (the DARTS relaxation with equal weights) to see each layer's
        output positions."""
        context_of = {id(m): c for m, c in contexts}
        found: dict[int, tuple[Any, Term]] = {}

        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            if isinstance(output, torch.Tensor) and id(module) not in found:
                term = _flops_term(module, inputs, output)
                if term is not None:
                    found[id(module)] = (context_of[id(module)], term)

        members = [m for g in self.groups.values() for m in g.members]
        saved = [(m, m.arch_weights) for m in members]
        handles = [m.register_forward_hook(hook) for m, _ in contexts if not list(m.children())]
        was_training = self.model.training
        self.model.eval()
        try:
            for member in members:
                relaxable = not (isinstance(member, InputChoice) and member.reduction == "concat")
                if relaxable:
                    member.set_arch_weights(torch.zeros(member.arch_size(), device=x.device))
            with torch.no_grad():
                self.model(x)
        finally:
            for h in handles:
                h.remove()
            for member, weights in saved:
                member.set_arch_weights(weights)
            self.model.train(was_training)
        self.flops_terms = list(found.values())

    def params(self, arch: Arch) -> int:
        return int(sum(term(arch) for context, term in self.param_terms if holds(context, arch)))

    def flops_estimate(self, arch: Arch) -> int:
        if self.example_input is None:
            raise NasError("SpaceCost: FLOPs need an example input (one input batch)")
        return int(sum(term(arch) for context, term in self.flops_terms if holds(context, arch)))

    def flops(self, arch: Arch) -> int:
        """The exact FLOPs of the architecture's path (the supernet runs it single-path)."""
        if self.example_input is None:
            raise NasError("SpaceCost: FLOPs need an example input (one input batch)")
        previous = {label: g.members[0].sampled for label, g in self.groups.items()}
        set_arch(self.model, arch, self.groups)
        try:
            return count_flops(self.model, self.example_input)
        finally:
            set_arch(self.model, previous, self.groups)

    def within(
        self,
        arch: Arch,
        params: tuple[float | None, float | None] = (None, None),
        flops: tuple[float | None, float | None] = (None, None),
    ) -> bool:
        """Whether the architecture's parameters and FLOPs lie in the (low, high) ranges (None: open)."""

        def inside(value: float, bounds: tuple[float | None, float | None]) -> bool:
            return (bounds[0] is None or value >= bounds[0]) and (bounds[1] is None or value <= bounds[1])

        if params != (None, None) and not inside(self.params(arch), params):
            return False
        if flops == (None, None):
            return True
        estimate = self.flops_estimate(arch)
        if self.flops_estimate_is_exact:
            return inside(estimate, flops)
        # the estimate is an upper bound: below the range is final, otherwise count exactly
        return (flops[0] is None or estimate >= flops[0]) and inside(self.flops(arch), flops)


def _extremes(groups: dict[str, ChoiceGroup], cost: Callable[[Arch], int]) -> tuple[Arch, Arch]:
    """The (approximately) cheapest and dearest architectures: each label's cheapest / dearest
    option, judged with every other label at its dearest (so nested choices are active)."""
    dearest = {label: g.choices[0] for label, g in groups.items()}

    def costs(label: str) -> list[tuple[int, int]]:
        options = groups[label].choices
        return [(cost({**dearest, label: c}), i) for i, c in enumerate(options)]

    for _ in range(2):
        for label, g in groups.items():
            dearest[label] = g.choices[max(costs(label))[1]]
    cheapest = {label: g.choices[min(costs(label))[1]] for label, g in groups.items()}
    return cheapest, dearest


class RangeSampler:
    """Uniform-ish random architectures whose cost (a fast cost function) lies in [low, high]."""

    def __init__(
        self,
        groups: dict[str, ChoiceGroup],
        cost: Callable[[Arch], int],
        low: float | None,
        high: float | None,
        what: str = "cost",
    ) -> None:
        self.groups, self.cost = groups, cost
        self.low = float("-inf") if low is None else low
        self.high = float("inf") if high is None else high
        self.cheapest, self.dearest = _extremes(groups, cost)
        smallest, largest = cost(self.cheapest), cost(self.dearest)
        if self.high < smallest or self.low > largest or self.low > self.high:
            raise NasError(
                f"no architecture has {what} in [{low}, {high}]: the space spans about "
                f"{smallest:,} to {largest:,}"
            )

    def __call__(self, rng: random.Random, tries: int = 100) -> Arch:
        """One architecture in the range; the bounds are approximate (costs need not be monotone
        in each choice), so a draw that lands outside is drawn again."""
        arch = self._draw(rng)
        for _ in range(tries - 1):
            if self.low <= self.cost(arch) <= self.high:
                break
            arch = self._draw(rng)
        return arch

    def _draw(self, rng: random.Random) -> Arch:
        arch = dict(self.cheapest)
        labels = list(self.groups)
        rng.shuffle(labels)
        free = set(labels)
        for label in labels:
            free.discard(label)
            fits, distance = [], []
            for option in self.groups[label].choices:
                base = {**arch, label: option}
                lo = self.cost({**base, **{k: self.cheapest[k] for k in free}})
                hi = self.cost({**base, **{k: self.dearest[k] for k in free}})
                lo, hi = min(lo, hi), max(lo, hi)
                if hi >= self.low and lo <= self.high:
                    fits.append(option)
                distance.append((max(self.low - hi, lo - self.high, 0.0), option))
            arch[label] = rng.choice(fits) if fits else min(distance, key=lambda t: t[0])[1]
        return arch
