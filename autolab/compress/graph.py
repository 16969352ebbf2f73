"""The dependency graph of a model: groups of layers whose output channels are pruned together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .propagate import FROZEN, LayerInfo, UnionFind, propagate
from .trace import CompressError, trace


@dataclass
class Group:
    """Channels that live or die together. `clusters` are channel ids (union-find roots); cluster k
    is channel `channels[name][k]` of each producer / follower (-1 where it lacks one)."""

    index: int
    leader: str  # the first producer in graph order: the group's name in per-layer ratios
    clusters: np.ndarray
    producers: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)  # norms and depthwise convs indexed by these channels
    consumers: list[str] = field(default_factory=list)  # layers whose input channels these are
    blocks: np.ndarray | None = None  # grouped conv: the group each channel sits in (each keeps as many)
    channels: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.clusters)

    @property
    def n_blocks(self) -> int:
        return 1 if self.blocks is None else int(self.blocks.max()) + 1


@dataclass
class ChannelGraph:
    model: nn.Module
    example_inputs: tuple[Any, ...]
    layers: dict[str, LayerInfo]
    groups: list[Group]
    uf: UnionFind

    def group(self, name: str) -> Group:
        for g in self.groups:
            if g.leader == name:
                return g
        raise CompressError(f"'{name}' leads no prunable group; groups: {', '.join(self.leaders())}")

    def leaders(self) -> list[str]:
        return [g.leader for g in self.groups]


def build_graph(model: nn.Module, example_inputs: torch.Tensor | Sequence[Any]) -> ChannelGraph:
    """Trace the model (in eval mode) and group its prunable channels."""
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    was_training = model.training
    model.eval()
    try:
        prop = propagate(model, trace(model), inputs)
    except CompressError:
        raise
    except Exception as e:  # a shape the tracer's replay disagrees with: say so instead of guessing
        raise CompressError(f"cannot follow the channels of {type(model).__name__}: {e}") from None
    finally:
        model.train(was_training)
    return ChannelGraph(model, inputs, prop.layers, _groups(prop.layers, prop.uf), prop.uf)


def _groups(layers: dict[str, LayerInfo], uf: UnionFind) -> list[Group]:
    for layer in layers.values():  # roots once: every later question about a channel reads these
        layer.out_roots = None if layer.out_ids is None else uf.roots(layer.out_ids)
        layer.in_roots = None if layer.in_ids is None else uf.roots(layer.in_ids)
    # clusters (roots) made by one producer belong to one group
    owner: dict[int, int] = {}
    link = UnionFind()
    order: list[tuple[str, np.ndarray]] = []
    for layer in layers.values():
        if layer.kind == "bn" or layer.out_roots is None:
            continue
        roots = layer.out_roots
        order.append((layer.name, roots))
        for r in roots.tolist():
            if r not in owner:
                owner[r] = int(link.new(1)[0])
        first = owner[int(roots[0])]
        for r in roots.tolist():
            link.union(first, owner[r])
    members: dict[int, list[tuple[str, np.ndarray]]] = {}
    for name, roots in order:
        members.setdefault(link.find(owner[int(roots[0])]), []).append((name, roots))
    candidates = [_candidate(i, parts, layers) for i, parts in enumerate(members.values())]
    n_ids = len(uf.parent)
    group_of, pos_of = np.full(n_ids, -1, dtype=np.int64), np.full(n_ids, -1, dtype=np.int64)
    for group in candidates:
        if group is not None:
            group_of[group.clusters] = group.index
            pos_of[group.clusters] = np.arange(group.size)
    producers = {name for parts in members.values() for name, _ in parts}
    for layer in layers.values():
        for side, role in ((layer.out_roots, "out"), (layer.in_roots, "in")):
            if side is None:
                continue
            hits = group_of[side]
            for g in np.unique(hits[hits >= 0]).tolist():
                group = candidates[g]
                if group is None:
                    continue
                if role == "in":
                    group.consumers.append(layer.name)
                elif not _add_member(
                    group, layer, np.where(hits == g, pos_of[side], -1), layer.name in producers
                ):
                    candidates[g] = None
    groups = [g for g in candidates if g is not None]
    for i, group in enumerate(groups):
        group.index = i
    return groups


def _candidate(index: int, parts: list[tuple[str, np.ndarray]], layers: dict[str, LayerInfo]) -> Group | None:
    clusters: list[int] = []
    seen: set[int] = set()
    for _, roots in parts:
        for r in roots.tolist():
            if r not in seen:
                seen.add(r)
                clusters.append(r)
    if FROZEN in seen or any(layers[name].frozen for name, _ in parts):
        return None
    return Group(index, parts[0][0], np.array(clusters, dtype=np.int64))


def _add_member(group: Group, layer: LayerInfo, hit: np.ndarray, is_producer: bool) -> bool:
    """Record a layer whose output channels are (partly) this group's; False: the group cannot prune."""
    if layer.frozen:
        return False
    mapping = np.full(group.size, -1, dtype=np.int64)
    where = np.flatnonzero(hit >= 0)
    mapping[hit[where]] = where
    group.channels[layer.name] = mapping
    (group.producers if is_producer and layer.groups == 1 else group.followers).append(layer.name)
    return layer.groups == 1 or _set_blocks(group, layer, hit)


def _set_blocks(group: Group, layer: LayerInfo, hit: np.ndarray) -> bool:
    """A grouped (not depthwise) conv: every one of its groups must keep as many channels."""
    per = len(hit) // layer.groups
    if per == 1:
        return True
    blocks = np.full(group.size, -1, dtype=np.int64)
    for j, k in enumerate(hit.tolist()):
        blocks[k] = j // per
    if (blocks < 0).any() or group.blocks is not None and not np.array_equal(blocks, group.blocks):
        return False  # channels of the group outside the conv, or two convs cutting it differently
    group.blocks = blocks
    return True
