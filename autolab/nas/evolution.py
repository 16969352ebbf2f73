"""Evolution over architectures (as in SPOS, Guo et al., 2020): keep the best, mutate and cross them.

Generation 0 is random (or drawn by a sampler, e.g. inside a FLOPs range). Each next generation:
the `parents` best architectures seen so far give `num_mutation` children (each decision redrawn
with probability `mutation_prob`) and `num_crossover` children (each decision from one of two
parents), then random ones fill up. A constraint (a parameter or FLOPs limit) rejects candidates
before they are scored; every architecture (every network, given `canonical`) is scored once.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .mutables import NasError

Arch = dict[str, Any]


def _key(arch: Arch) -> str:
    return json.dumps(arch, sort_keys=True)


def _same(arch: Arch) -> Arch:
    return arch


@dataclass
class EvolutionResult:
    best_arch: Arch
    best_score: float
    history: list[tuple[Arch, float]] = field(default_factory=list)  # every scored arch, in order


def evolution_search(
    space: dict[str, list[Any]],
    score: Callable[[Arch], float],
    *,
    population_size: int = 20,
    generations: int = 10,
    parents: int = 10,
    num_mutation: int | None = None,
    num_crossover: int | None = None,
    mutation_prob: float = 0.1,
    constraint: Callable[[Arch], bool] | None = None,
    canonical: Callable[[Arch], Arch] | None = None,
    sample: Callable[[random.Random], Arch] | None = None,
    seed: int = 0,
    max_tries: int = 1000,
    log: Callable[[int, float], None] | None = None,
) -> EvolutionResult:
    """Maximise score(arch) over the space {label: options}; see the module doc.

    canonical maps an architecture to the representative of the network it builds (choices that do
    not matter set to a fixed option, `nas.canonical`): each network is then scored once. sample
    draws the random architectures (e.g. inside a FLOPs range, `budget.RangeSampler`); uniform
    over the options by default."""
    same = canonical or _same
    if population_size < 1 or generations < 1 or parents < 1:
        raise NasError("evolution: population_size, generations and parents must be >= 1")
    if not 0.0 <= mutation_prob <= 1.0:
        raise NasError(f"evolution: mutation_prob must be in [0, 1], got {mutation_prob}")
    rng = random.Random(seed)
    n_mut = population_size // 2 if num_mutation is None else num_mutation
    n_cross = population_size // 2 if num_crossover is None else num_crossover
    scored: dict[str, float] = {}
    history: list[tuple[Arch, float]] = []
    rejected: set[str] = set()

    def admissible(arch: Arch) -> bool:
        key = _key(arch)
        if key in scored or key in rejected:
            return False
        if constraint is not None and not constraint(arch):
            rejected.add(key)
            return False
        return True

    def random_one() -> Arch:
        if sample is not None:
            return sample(rng)
        return {label: rng.choice(options) for label, options in space.items()}

    def fill(batch: list[Arch], make: Callable[[], Arch], count: int) -> None:
        keys = {_key(a) for a in batch}
        for _ in range(max_tries):
            if count <= 0:
                return
            arch = same(make())
            if _key(arch) not in keys and admissible(arch):
                batch.append(arch)
                keys.add(_key(arch))
                count -= 1

    for gen in range(generations):
        batch: list[Arch] = []
        top = [a for a, _ in sorted(history, key=lambda t: -t[1])[:parents]]
        if gen > 0 and top:

            def mutate(top: list[Arch] = top) -> Arch:
                return {
                    k: (rng.choice(space[k]) if rng.random() < mutation_prob else v)
                    for k, v in rng.choice(top).items()
                }

            def cross(top: list[Arch] = top) -> Arch:
                a, b = rng.sample(top, 2)
                return {k: (a[k] if rng.random() < 0.5 else b[k]) for k in space}

            fill(batch, mutate, n_mut)
            if len(top) >= 2:
                fill(batch, cross, n_cross)
        fill(batch, random_one, population_size - len(batch))
        for arch in batch:
            value = float(score(arch))
            scored[_key(arch)] = value
            history.append((arch, value))
        if log is not None and history:
            log(gen + 1, max(v for _, v in history))
    if not history:
        raise NasError(
            "evolution: no architecture satisfies the constraint (looked at "
            f"{len(rejected)} candidates); loosen the parameter or FLOPs limit"
        )
    best_arch, best_score = max(history, key=lambda t: t[1])
    return EvolutionResult(best_arch, best_score, history)
