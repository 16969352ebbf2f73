"""Evolutionary search for subnets inside a FLOPs range, and the Pareto front of accuracy vs FLOPs.

The evolution is SPOS's (`nas.evolution.evolution_search`) over the space's independent decisions
(`space.arch_choices()`: one per stage or per block, as the sample_strategy says): generation 0 is
drawn inside the range, later ones mutate and cross the best subnets so far, and any candidate
outside the range is rejected before it is scored. Each subnet is scored once, straight from the
supernet after BN calibration (`evaluate_subnet`). The best is the most accurate subnet in the
range (the cheaper of equals); the front is every scored subnet that no other beats on both
accuracy and FLOPs, with its latency measured at the end.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader

from ...pareto import pareto_front
from ..evolution import evolution_search
from ..mutables import NasError
from .evaluate import Record, Supernet, evaluate_subnet, measure_latency, settings_key
from .sampling import CostCache, Range, check_range, check_reachable, inside


@dataclass
class SearchResult:
    best: Record
    front: list[Record]  # by FLOPs, ascending
    history: list[Record] = field(default_factory=list)  # every scored subnet, in order
    flops_range: Range = (None, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "flops_range": list(self.flops_range),
            "best": self.best,
            "front": self.front,
            "history": self.history,
        }


def front_of(records: list[Record]) -> list[Record]:
    """The records no other beats on both accuracy (higher) and FLOPs (lower), by FLOPs."""
    points = [(-r["accuracy"], float(r["flops"])) for r in records]
    return sorted((records[i] for i in pareto_front(points)), key=lambda r: (r["flops"], -r["accuracy"]))


def search(
    supernet: Supernet,
    flops_range: Range | None,
    calib_loader: DataLoader[Any],
    val_loader: DataLoader[Any],
    *,
    example_input: torch.Tensor,
    population_size: int = 20,
    generations: int = 10,
    parents: int = 10,
    mutation_prob: float = 0.1,
    calib_batches: int = 20,
    latency_runs: int = 20,
    seed: int = 0,
    log: Callable[[int, float], None] | None = None,
) -> SearchResult:
    """Evolution inside the FLOPs range (see the module doc); returns the best subnet, the Pareto
    front and every scored subnet. The supernet is left at the best subnet's setting."""
    space = supernet.space
    flops_range = check_range(flops_range)
    cost = CostCache(supernet, example_input)
    check_reachable(cost, flops_range)
    scored: dict[str, Record] = {}

    def in_range(arch: dict[str, Any]) -> bool:
        return inside(cost(space.from_arch(arch))["flops"], flops_range)

    def score(arch: dict[str, Any]) -> float:
        settings = space.from_arch(arch)
        record = evaluate_subnet(
            supernet,
            settings,
            calib_loader,
            val_loader,
            calib_batches=calib_batches,
            example_input=example_input,
            latency_runs=0,
        )
        scored[settings_key(settings)] = record
        return float(record["accuracy"])

    def sample(rng: random.Random, tries: int = 200) -> dict[str, Any]:
        """A random subnet in the range, by rejection (space.random honours sample_strategy)."""
        arch = space.to_arch(space.random(rng))
        for _ in range(tries - 1):
            if in_range(arch):
                break
            arch = space.to_arch(space.random(rng))
        return arch

    try:
        evolution_search(
            space.arch_choices(),
            score,
            population_size=population_size,
            generations=generations,
            parents=parents,
            mutation_prob=mutation_prob,
            constraint=in_range,
            canonical=lambda arch: space.to_arch(space.from_arch(arch)),
            sample=sample,
            seed=seed,
            log=log,
        )
    except NasError as exc:
        raise NasError(f"search in FLOPs {list(flops_range)}: {exc}") from None
    history = list(scored.values())
    best = max(history, key=lambda r: (r["accuracy"], -r["flops"]))  # a tie goes to the cheaper
    front = front_of(history)
    if latency_runs > 0:
        for record in front:
            record["latency_ms"] = measure_latency(
                supernet.extract(record["settings"]), example_input, latency_runs
            )
    supernet.set_active(best["settings"])
    return SearchResult(best, front, history, flops_range)


def save_result(result: SearchResult, path: str, plot: str | None = None) -> None:
    """The result as JSON (best, front, history, range) and, with `plot`, a PNG of accuracy vs
    FLOPs of every scored subnet with the front drawn."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(result.to_json(), fh, indent=1)
    if plot is not None:
        from .plots import accuracy_vs_flops  # matplotlib only when a plot is asked for

        accuracy_vs_flops(
            result.history,
            plot,
            front=result.front,
            flops_range=result.flops_range,
            title=f"search: {len(result.history)} subnets, front of {len(result.front)}",
        )
