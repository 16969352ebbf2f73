"""ProxylessNAS (Cai et al., 2019): binary path sampling with a cost penalty.

Every step samples one candidate per LayerChoice from softmax(alpha) and runs only that path, so
the supernet costs one network's memory. Weights train on the sampled path; alpha gets the
BinaryConnect estimate dL/dalpha_i = sum_j <dL/dy, o_j> p_j (delta_ij - p_i), with the unsampled
candidates' outputs o_j computed without autograd (LayerChoice._binary_forward). Alternates
with the weight steps as in DARTS (first order).

The penalty: `cost_penalty * E[FLOPs] / E0[FLOPs]` is added to the architecture loss, where
E[FLOPs] = sum over layers of their FLOPs times the probability that the choices they sit in
pick them (budget.SpaceCost's traced formulas) and E0 is its value at uniform weights; FLOPs
stand in for latency, which a CPU-less test cannot measure. Export: argmax of alpha.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .budget import SpaceCost
from .darts import DartsTrainer
from .mutables import LayerChoice, NasError


class ProxylessTrainer(DartsTrainer):
    """Searches LayerChoices by binary path sampling (see module doc)."""

    def __init__(
        self,
        model: nn.Module,
        *args: Any,
        cost_penalty: float = 0.0,
        example_input: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, *args, **kwargs)
        if self.unrolled:
            raise NasError("ProxylessTrainer is first order (unrolled=False)")
        for label, group in self.groups.items():
            if group.kind != "layer":
                raise NasError(
                    f"ProxylessTrainer samples LayerChoices; {group.kind} choice {label!r} is not one "
                    "(search it with DartsTrainer or SposTrainer)"
                )
        if cost_penalty and example_input is None:
            raise NasError("ProxylessTrainer: cost_penalty needs example_input (one input batch)")
        self.cost_penalty = cost_penalty
        self.sampler = torch.Generator().manual_seed(kwargs.get("seed", 0) + 13)
        self.cost_terms: list[tuple[float, list[tuple[str, int]]]] = []
        if cost_penalty and example_input is not None:
            cost = SpaceCost(model, example_input.to(self.device))
            reference = {label: g.choices[0] for label, g in self.groups.items()}
            for context, term in cost.flops_terms:
                gates = [
                    (label, self.groups[label].choices.index(name))
                    for kind, label, name in context
                    if kind == "layer"
                ]
                self.cost_terms.append((float(term(reference)), gates))
            with torch.no_grad():
                self.uniform_flops = float(self.expected_flops(uniform=True))
        for group in self.groups.values():
            for member in group.members:
                assert isinstance(member, LayerChoice)
                member.binary_gate = True

    def expected_flops(self, uniform: bool = False) -> torch.Tensor:
        """Sum over layers of FLOPs x the probability that their choices select them."""
        probs = {
            label: torch.full_like(a, 1.0 / len(a)) if uniform else torch.softmax(a, -1)
            for label, a in self.alphas.items()
        }
        total = torch.zeros((), device=self.device)
        for flops, gates in self.cost_terms:
            weight = torch.ones((), device=self.device)
            for label, index in gates:
                weight = weight * probs[label][index]
            total = total + flops * weight
        return total

    def arch_penalty(self) -> torch.Tensor | float:
        if not self.cost_penalty:
            return 0.0
        return self.cost_penalty * self.expected_flops() / self.uniform_flops

    def relax(self) -> None:
        """Sample this step's path: one candidate per label from softmax(alpha)."""
        for label, alpha in self.alphas.items():
            probs = torch.softmax(alpha.detach().float().cpu(), -1)
            index = int(torch.multinomial(probs, 1, generator=self.sampler))
            for member in self.groups[label].members:
                member.sampled = self.groups[label].choices[index]
