"""A pruning plan: which channels of each group are kept, what each layer keeps, what it costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .graph import ChannelGraph


@dataclass
class Plan:
    graph: ChannelGraph
    keep: dict[int, np.ndarray]  # group index -> kept cluster positions (sorted); absent: all kept

    def pruned_roots(self) -> set[int]:
        pruned: set[int] = set()
        for group in self.graph.groups:
            kept = self.keep.get(group.index)
            if kept is not None:
                mask = np.ones(group.size, dtype=bool)
                mask[kept] = False
                pruned.update(group.clusters[mask].tolist())
        return pruned

    def layer_keep(self) -> dict[str, tuple[np.ndarray | None, np.ndarray | None]]:
        """name -> (kept output channels, kept input channels), None where that side is whole."""
        pruned = np.fromiter(self.pruned_roots(), dtype=np.int64)
        result = {}
        for name, layer in self.graph.layers.items():
            sides: list[np.ndarray | None] = []
            for roots in (layer.out_roots, layer.in_roots):
                alive = None if roots is None else ~np.isin(roots, pruned)
                sides.append(None if alive is None or alive.all() else np.flatnonzero(alive))
            result[name] = (sides[0], sides[1])
        return result

    def flops(self) -> int:
        """Multiply-adds of the convs and linears after pruning, for the example input (as count_macs)."""
        total = 0
        for name, (out_keep, in_keep) in self.layer_keep().items():
            layer = self.graph.layers[name]
            if layer.kind == "bn" or layer.out_ids is None:
                continue
            module: Any = self.graph.model.get_submodule(name)
            full_in = int(module.weight.shape[1]) * layer.groups
            n_out = len(layer.out_ids) if out_keep is None else len(out_keep)
            n_in = full_in if in_keep is None else len(in_keep)
            depthwise = layer.groups > 1 and layer.groups == full_in
            total += layer.macs_per_channel * n_out * (1 if depthwise else n_in // layer.groups)
        return total

    def ratios(self) -> dict[str, float]:
        """Fraction of each group's channels removed, by the group's leader."""
        return {
            g.leader: 1.0 - len(self.keep[g.index]) / g.size if g.index in self.keep else 0.0
            for g in self.graph.groups
        }
