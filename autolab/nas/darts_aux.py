"""DARTS- (Chu et al., 2021) for DartsTrainer: an auxiliary skip connection around every LayerChoice,
out = mixture(x) + beta * x, with beta decayed linearly from 1 to 0 over the search. The skip takes
over the residual role that lets a searched skip connection win without being the better operation,
and it is gone (beta 0) by the end, so the exported architecture is the plain argmax as in DARTS.
Only LayerChoices whose output has the shape of their first input get one (in a DARTS cell: the
stride-1 edges); a model with none is refused at the first batch."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .mutables import NasError


class AuxiliarySkip:
    """Forward hooks on the LayerChoices for the duration of a search; `set_progress` moves beta."""

    def __init__(self, layer_choices: list[Any]) -> None:
        self.beta, self.applied = 1.0, 0
        self.handles = [m.register_forward_hook(self._hook) for m in layer_choices]

    def _hook(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> Any:
        x = inputs[0] if inputs else None
        if isinstance(x, torch.Tensor) and isinstance(output, torch.Tensor) and x.shape == output.shape:
            self.applied += 1
            return output + self.beta * x
        return None

    def set_progress(self, step: int, total: int) -> None:
        """beta for step `step` (0-based) of `total`: 1 at the first, 0 at the last."""
        self.beta = 1.0 - step / max(total - 1, 1)

    def check_applied(self) -> None:
        if not self.applied:
            raise NasError(
                "DartsTrainer auxiliary_skip: no LayerChoice returns a tensor of its input's shape, so "
                "there is nothing to put a skip connection around"
            )

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
