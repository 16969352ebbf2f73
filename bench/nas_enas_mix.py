"""ENAS whose shared weights train on a mixture of controller samples and uniform paths for the whole
search (the twelfth round, bench/README.md; a bench-side patch, not in autolab).

`uniform_prob` = p: each weight batch of `fit()` trains the path the controller samples with
probability 1 - p and a uniformly random path (every decision uniform) with probability p; the coin
and the uniform draws come from their own generator (seed + 23), so p = 0 is the plain `EnasTrainer`
bit for bit. The controller's REINFORCE steps, rewards, derivation and few-shot phases are unchanged.
p = 1 trains the weights as SPOS's uniform supernet does while the controller learns on them.
Aimed at the eleventh round's diagnosis: the paths the controller rarely samples (pool / skip) are
hardly trained, so the shared weights rate them low and the controller never proposes them.
"""

from __future__ import annotations

from typing import Any

import torch

from autolab import nas


class MixEnasTrainer(nas.EnasTrainer):
    """`nas.EnasTrainer` plus `uniform_prob` (see module doc)."""

    def __init__(self, *args: Any, uniform_prob: float = 0.0, **kwargs: Any) -> None:
        if isinstance(uniform_prob, bool) or not 0.0 <= float(uniform_prob) <= 1.0:
            raise nas.NasError(f"uniform_prob must be in [0, 1], got {uniform_prob!r}")
        super().__init__(*args, **kwargs)
        self.uniform_prob = float(uniform_prob)
        self.mix_generator = torch.Generator().manual_seed(kwargs.get("seed", 0) + 23)
        self.in_weights = False
        self.uniform_batches = 0

    def _train_weights(self, sub: Any = None) -> tuple[float, float, int]:
        self.in_weights = sub is None  # few-shot sub-supernets keep the controller's samples
        try:
            return super()._train_weights(sub)
        finally:
            self.in_weights = False

    def sample_arch(self, forced: dict[int, int] | None = None) -> dict[str, Any]:
        if forced is None and self.in_weights and self.uniform_prob > 0:
            if float(torch.rand((), generator=self.mix_generator)) < self.uniform_prob:
                self.uniform_batches += 1
                sizes = self.controller.sizes
                return self.to_arch(
                    [int(torch.randint(n, (1,), generator=self.mix_generator)) for n in sizes]
                )
        return super().sample_arch(forced)
