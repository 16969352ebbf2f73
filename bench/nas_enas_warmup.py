"""ENAS with a uniform warm-up of the shared weights: the tenth round's attempt (bench/README.md, NAS bench
tenth round), not adopted in autolab, kept here so `nas_hard.py --enas-warmup-epochs` reproduces it.

The first `warmup_epochs` of `num_epochs` epochs train the shared weights on uniformly random
architectures (every decision uniform, drawn from the trainer's generator) with no controller step;
the controller's REINFORCE steps start at epoch warmup_epochs + 1 and run as before (ProxylessNAS's
warm-up applied to ENAS). Bit-identical to the autolab option the tenth round ran (commit cd06b90).
"""

from __future__ import annotations

from typing import Any

import torch

from autolab import nas


class WarmupEnasTrainer(nas.EnasTrainer):
    """`nas.EnasTrainer` plus `warmup_epochs` (see module doc); a single `fit()` per trainer."""

    def __init__(self, *args: Any, warmup_epochs: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(warmup_epochs, bool) or not 0 <= warmup_epochs < self.num_epochs:
            raise nas.NasError(
                f"warmup_epochs must be >= 0 and below num_epochs ({self.num_epochs}), got {warmup_epochs!r}"
            )
        self.warmup_epochs, self.fitting = warmup_epochs, False

    def fit(self) -> WarmupEnasTrainer:
        self.fitting = True
        try:
            super().fit()
        finally:
            self.fitting = False
        return self

    def warm(self) -> bool:
        """Inside the warm-up: in fit(), which has recorded fewer epochs than warmup_epochs."""
        return self.fitting and len(self.history) < self.warmup_epochs

    def sample_arch(self, forced: dict[int, int] | None = None) -> dict[str, Any]:
        if forced is None and self.warm():
            sizes = self.controller.sizes
            return self.to_arch([int(torch.randint(n, (1,), generator=self.generator)) for n in sizes])
        return super().sample_arch(forced)

    def steps_for(self, weight_batches: int) -> int:
        return 0 if self.warm() else super().steps_for(weight_batches)
