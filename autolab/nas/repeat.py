"""Repeat: a searchable depth, NNI's `Repeat(block, depth)`.

`Repeat(blocks, depth, label)` stacks up to max(depth) blocks and runs the first `depth` of them.
blocks is a module (deep-copied for every position), a list of modules, or a function index ->
module; depth is an int, a (min, max) tuple (both included) or a list of depths. The decision is
the depth. Under DARTS the output is the softmax-weighted sum of the outputs after each candidate
depth; inside `fixed_arch` the constructor returns an nn.Sequential of the chosen number of blocks
(choices inside the unbuilt blocks need no decision).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from .mutables import Mutable, NasError, _check_label, current_fixed, fixed_decision

Blocks = nn.Module | Sequence[nn.Module] | Callable[[int], nn.Module]


def _depths(depth: int | tuple[int, int] | Sequence[int]) -> list[int]:
    if isinstance(depth, tuple) and len(depth) == 2:
        values = list(range(depth[0], depth[1] + 1))
    elif isinstance(depth, int):
        values = [depth]
    else:
        values = list(depth)
    if not values or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in values):
        raise NasError(
            f"Repeat depth must be an int, a (min, max) tuple or a list of ints >= 0, got {depth!r}"
        )
    return sorted(set(values))


def _make(blocks: Blocks, count: int) -> list[nn.Module]:
    if isinstance(blocks, nn.Module):
        return [copy.deepcopy(blocks) for _ in range(count)]
    if isinstance(blocks, Sequence):
        if len(blocks) < count:
            raise NasError(f"Repeat: {len(blocks)} blocks given for a depth up to {count}")
        return list(blocks[:count])
    if callable(blocks):
        return [blocks(i) for i in range(count)]
    raise NasError(
        f"Repeat blocks must be a module, a list of modules or a function, got {type(blocks).__name__}"
    )


class Repeat(Mutable):
    """A stack of blocks whose depth is a choice (see the module doc)."""

    def __new__(cls, blocks: Blocks | None = None, depth: Any = None, label: str | None = None) -> Any:
        fixed = current_fixed()
        if fixed is None or blocks is None:
            return super().__new__(cls)
        chosen = fixed_decision(fixed, _check_label(label, "repeat"), _depths(depth))
        return nn.Sequential(*_make(blocks, chosen))

    def __init__(
        self, blocks: Blocks, depth: int | tuple[int, int] | Sequence[int], label: str | None = None
    ) -> None:
        super().__init__()
        self.label = _check_label(label, "repeat")
        self.depths = _depths(depth)
        self.blocks = nn.ModuleList(_make(blocks, self.depths[-1]))
        self.sampled = self.depths[0]

    def choices(self) -> list[Any]:
        return list(self.depths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.arch_weights
        if weights is None:
            for block in self.blocks[: self.sampled]:
                x = block(x)
            return x
        probs = torch.softmax(weights, dim=-1)
        outs = {0: x} if 0 in self.depths else {}
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i + 1 in self.depths:
                outs[i + 1] = x
        return sum((p * outs[d] for p, d in zip(probs, self.depths, strict=True)), torch.zeros_like(x))

    def to_fixed(self, arch: dict[str, Any]) -> nn.Sequential:
        return nn.Sequential(*self.blocks[: int(arch[self.label])])

    def extra_repr(self) -> str:
        return f"label={self.label!r}, depths={self.depths}"
