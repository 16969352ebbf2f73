"""Subnets of a trained supernet drawn at random or walked in order, kept inside a FLOPs range.

`subnet_sample_mode`: `random` draws settings with `space.random` (as the space's sample_strategy
says), `traverse` walks the grid by stride with `space.traverse` (every n-th would be a different
search; it takes the first n inside the range). Each subnet is kept once. `sample_flops` counts
FLOPs and parameters only (no data needed) and can plot their histogram; `sample_accuracy` also
scores each on the supernet after BN calibration (`evaluate_subnet`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader

from ..mutables import NasError
from .evaluate import Record, Settings, Supernet, evaluate_subnet, settings_key, subnet_cost

Range = tuple[float | None, float | None]
MODES = ("random", "traverse")


def check_range(flops_range: Range | None) -> Range:
    """The range as (low, high) with None for an open end; a reversed or negative one is an error."""
    if flops_range is None:
        return (None, None)
    low, high = flops_range
    for bound in (low, high):
        if bound is not None and bound < 0:
            raise NasError(f"flops_range {list(flops_range)}: bounds must be >= 0")
    if low is not None and high is not None and low > high:
        raise NasError(f"flops_range {list(flops_range)}: low is above high")
    return (low, high)


def inside(value: float, flops_range: Range) -> bool:
    low, high = flops_range
    return (low is None or value >= low) and (high is None or value <= high)


def candidates(space: Any, mode: str, seed: int = 0) -> Iterator[Settings]:
    """Settings in the order the mode gives them (random: endless; traverse: the whole grid)."""
    if mode == "traverse":
        yield from space.traverse()
    elif mode == "random":
        rng = random.Random(seed)
        while True:
            yield space.random(rng)
    else:
        raise NasError(f"subnet_sample_mode {mode!r}: must be one of {', '.join(MODES)}")


class CostCache:
    """FLOPs and parameters of each subnet, counted once."""

    def __init__(self, supernet: Supernet, example_input: torch.Tensor) -> None:
        self.supernet, self.example_input = supernet, example_input
        self.records: dict[str, Record] = {}

    def __call__(self, settings: Settings) -> Record:
        key = settings_key(settings)
        if key not in self.records:
            self.records[key] = subnet_cost(self.supernet, settings, self.example_input)
        return self.records[key]

    def span(self) -> tuple[int, int]:
        """FLOPs of the space's smallest and largest subnets."""
        space = self.supernet.space
        return self(space.min())["flops"], self(space.max())["flops"]


def check_reachable(cost: CostCache, flops_range: Range) -> None:
    """An error naming the space's span when no subnet can lie in the range."""
    smallest, largest = cost.span()
    low, high = flops_range
    if (high is not None and high < smallest) or (low is not None and low > largest):
        raise NasError(
            f"no subnet has FLOPs in [{low}, {high}]: this supernet's subnets span {smallest:,} to {largest:,}"
        )


def sample_in_range(
    cost: CostCache,
    n: int,
    flops_range: Range,
    mode: str = "random",
    seed: int = 0,
    max_draws: int | None = None,
) -> list[Record]:
    """Up to n distinct subnets with FLOPs in the range, looking at no more than max_draws
    (default 50 n) candidates; an error when none of them is in the range."""
    if n < 1:
        raise NasError(f"n must be >= 1, got {n}")
    flops_range = check_range(flops_range)
    check_reachable(cost, flops_range)
    limit = 50 * n if max_draws is None else max_draws
    found: dict[str, Record] = {}
    seen: set[str] = set()
    for draws, settings in enumerate(candidates(cost.supernet.space, mode, seed)):
        if len(found) >= n or draws >= limit:
            break
        key = settings_key(settings)
        if key in seen:
            continue
        seen.add(key)
        record = cost(settings)
        if inside(record["flops"], flops_range):
            found[key] = record
    if not found:
        raise NasError(
            f"none of {len(seen)} {mode} subnets has FLOPs in {list(flops_range)}; widen the range"
        )
    return list(found.values())


def sample_flops(
    supernet: Supernet,
    n: int,
    flops_range: Range | None = None,
    *,
    example_input: torch.Tensor,
    mode: str = "random",
    seed: int = 0,
    plot: str | None = None,
    baselines: dict[str, float] | None = None,
) -> list[Record]:
    """FLOPs and parameters of n subnets inside the range ({"settings", "flops", "params"} each);
    with `plot`, a PNG histogram of their FLOPs with the max and min subnets (and any other
    baselines, name -> FLOPs) marked."""
    cost = CostCache(supernet, example_input)
    flops_range = check_range(flops_range)
    records = sample_in_range(cost, n, flops_range, mode, seed)
    if plot is not None:
        from .plots import flops_histogram  # matplotlib only when a plot is asked for

        smallest, largest = cost.span()
        marks = {"min subnet": float(smallest), "max subnet": float(largest), **(baselines or {})}
        flops_histogram(records, plot, flops_range, marks)
    return records


def sample_accuracy(
    supernet: Supernet,
    n: int,
    flops_range: Range | None,
    calib_loader: DataLoader[Any],
    val_loader: DataLoader[Any],
    *,
    example_input: torch.Tensor,
    mode: str = "random",
    seed: int = 0,
    calib_batches: int = 20,
    plot: str | None = None,
    log: Callable[[Record], None] | None = None,
) -> list[Record]:
    """n subnets inside the range, each scored straight from the supernet after BN calibration;
    with `plot`, a PNG of accuracy against FLOPs."""
    cost = CostCache(supernet, example_input)
    flops_range = check_range(flops_range)
    records = []
    for drawn in sample_in_range(cost, n, flops_range, mode, seed):
        record = evaluate_subnet(
            supernet,
            drawn["settings"],
            calib_loader,
            val_loader,
            calib_batches=calib_batches,
            example_input=example_input,
            latency_runs=0,
        )
        records.append(record)
        if log is not None:
            log(record)
    if plot is not None:
        from .plots import accuracy_vs_flops  # matplotlib only when a plot is asked for

        accuracy_vs_flops(records, plot, flops_range=flops_range, title=f"{len(records)} {mode} subnets")
    return records
