"""GumbelDARTS (SNAS, Xie et al., 2019; GDAS, Dong & Yang, 2019): DARTS whose mixture weights are a
Gumbel-softmax sample, softmax((alpha + g) / tau) with g ~ Gumbel(0, 1) drawn afresh for every
forward, instead of softmax(alpha). The temperature tau anneals geometrically from
`temperature[0]` in the first epoch to `temperature[1]` in the last: early mixtures are soft, late
ones nearly one-hot, so the supernet trains on nearly the paths it will export. Export is DARTS's
(argmax of alpha).

The noise goes in through the choices' arch weights: every choice mixes with softmax(weights), so
setting them to (alpha + g) / tau makes every mixture a Gumbel-softmax sample with the gradient
flowing back to alpha.
"""

from __future__ import annotations

from typing import Any

import torch

from .darts import DartsTrainer
from .mutables import NasError


def gumbel_noise(shape: torch.Size, generator: torch.Generator) -> torch.Tensor:
    """-log(-log(U)), U ~ Uniform(0, 1), from the generator (on the CPU: reproducible anywhere)."""
    u = torch.rand(shape, generator=generator).clamp_(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(u))


class GumbelDartsTrainer(DartsTrainer):
    """DartsTrainer with Gumbel-softmax mixtures and an annealed temperature (see module doc)."""

    def __init__(self, *args: Any, temperature: tuple[float, float] = (1.0, 0.1), **kwargs: Any) -> None:
        start, end = temperature
        if not 0 < end <= start:
            raise NasError(
                f"GumbelDartsTrainer temperature must be (start, end) with start >= end > 0, got {temperature}"
            )
        super().__init__(*args, **kwargs)
        if self.unrolled:
            raise NasError("GumbelDartsTrainer is first order (unrolled=False)")
        self.temperature = temperature
        self.tau = start
        self.noise = torch.Generator().manual_seed(kwargs.get("seed", 0) + 11)

    def on_epoch_start(self, epoch: int) -> None:
        start, end = self.temperature
        progress = epoch / max(1, self.num_epochs - 1)
        self.tau = start * (end / start) ** progress

    def relax(self) -> None:
        for label, alpha in self.alphas.items():
            noise = gumbel_noise(alpha.shape, self.noise).to(alpha.device, alpha.dtype)
            weights = (alpha + noise) / self.tau
            for member in self.groups[label].members:
                member.set_arch_weights(weights)

    def export(self) -> dict[str, Any]:
        for label, alpha in self.alphas.items():  # the noiseless weights: export reads them
            for member in self.groups[label].members:
                member.set_arch_weights(alpha)
        return super().export()
