"""Shared pieces of the model-based tuners: per-call random generators and unseen random points."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from ..history import History
from ..searchspace import SearchSpace
from .base import NoMoreTrials, canonical

MAX_REDRAWS = 200
MAX_ENUMERATE = 200_000


def call_rng(seed: int | None, fallback: random.Random, history: History, salt: str = "") -> np.random.Generator:
    """A generator that depends on (seed, len(history)) only: same seed + same history, same point."""
    if seed is None:
        return np.random.default_rng(fallback.getrandbits(64))
    material = [abs(int(seed)), len(history), *(ord(c) for c in salt)]
    return np.random.default_rng(np.random.SeedSequence(material))


def py_rng(rng: np.random.Generator) -> random.Random:
    return random.Random(int(rng.integers(2**63)))


def random_unseen(space: SearchSpace, rng: np.random.Generator, seen: set[str]) -> dict[str, Any]:
    """A random point not in seen; NoMoreTrials when the space is finite and every point was seen."""
    prng = py_rng(rng)
    params = space.sample(prng)
    for _ in range(MAX_REDRAWS):
        if canonical(params) not in seen:
            return params
        params = space.sample(prng)
    left = unseen_points(space, seen)
    if left is None:
        return params  # infinite (or huge) space: a repeat is unlikely to matter
    if not left:
        raise NoMoreTrials("every point of the search space was tried")
    return left[prng.randrange(len(left))]


def unseen_points(space: SearchSpace, seen: set[str]) -> list[dict[str, Any]] | None:
    """Every point of a finite space not in seen; None when the space is not (reasonably) finite."""
    sizes = [d.grid_values() for d in space.dims]
    if any(v is None for v in sizes):
        return None
    if math.prod(len(v) for v in sizes if v is not None) > MAX_ENUMERATE:
        return None
    out = []
    for flat in space.grid():
        params = space.to_parameters(flat)
        if canonical(params) not in seen:
            out.append(params)
    return out
