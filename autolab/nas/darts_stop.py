"""DARTS+ early stopping (Liang et al., 2019) for DartsTrainer: end the search before it collapses onto
parameter-free operations. The two criteria are described in darts.py's module doc."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .mutables import NasError


class EarlyStop:
    def __init__(
        self, groups: dict[str, Any], ops: Sequence[Any], count: int, stable_epochs: int | None
    ) -> None:
        options = {c for g in groups.values() if g.kind == "layer" for c in g.choices}
        unknown = [op for op in ops if op not in options]
        if unknown:
            raise NasError(
                f"DartsTrainer early_stop_ops: {unknown} not an option of any LayerChoice "
                f"(options: {sorted(map(str, options))})"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise NasError(f"DartsTrainer early_stop_count must be an integer >= 1, got {count!r}")
        if stable_epochs is not None and (
            isinstance(stable_epochs, bool) or not isinstance(stable_epochs, int) or stable_epochs < 1
        ):
            raise NasError(
                f"DartsTrainer early_stop_stable_epochs must be an integer >= 1, got {stable_epochs!r}"
            )
        self.groups, self.ops, self.count, self.stable_epochs = groups, list(ops), count, stable_epochs
        self.ranking: dict[str, list[Any]] | None = None
        self.unchanged = 0

    def hits(self, arch: dict[str, Any], edge_inputs: dict[str, list[str]]) -> int:
        """How many choices of the derived architecture are an `ops` option (a LayerChoice on an
        edge that export drops does not count)."""
        dropped = {
            edge
            for label, edges in edge_inputs.items()
            for i, edge in enumerate(edges)
            if i not in arch[label]
        }
        return sum(
            1
            for label, group in self.groups.items()
            if group.kind == "layer" and label not in dropped and arch[label] in self.ops
        )

    def _ranking(self, alphas: dict[str, torch.Tensor]) -> dict[str, list[Any]]:
        result = {}
        for label, alpha in alphas.items():
            choices = self.groups[label].choices
            order = torch.argsort(alpha.detach(), descending=True, stable=True).tolist()
            result[label] = [choices[i] for i in order if choices[i] not in self.ops]
        return result

    def check(self, trainer: Any, epoch: int, entry: dict[str, Any]) -> dict[str, Any] | None:
        """After an epoch (0-based) past the warm-up: the stop ({"epoch", "criterion"}) or None;
        records the count in the epoch's log entry."""
        stopped = None
        if self.ops:
            entry["early_stop_count"] = self.hits(trainer.export(), trainer.edge_inputs)
            if entry["early_stop_count"] >= self.count:
                stopped = {"epoch": epoch + 1, "criterion": "early_stop_count"}
        if self.stable_epochs:
            previous, self.ranking = self.ranking, self._ranking(trainer.alphas)
            self.unchanged = self.unchanged + 1 if self.ranking == previous else 0
            if self.unchanged >= self.stable_epochs and stopped is None:
                stopped = {"epoch": epoch + 1, "criterion": "early_stop_stable_epochs"}
        return stopped
