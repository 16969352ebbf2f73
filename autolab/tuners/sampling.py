"""Shared pieces of the model-based tuners: per-call random generators and unseen random points."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ..history import History
from ..searchspace import SearchSpace
from .base import random_unseen as base_random_unseen


def call_rng(
    seed: int | None, fallback: random.Random, history: History, salt: str = ""
) -> np.random.Generator:
    """A generator that depends on (seed, len(history)) only: same seed + same history, same point."""
    if seed is None:
        return np.random.default_rng(fallback.getrandbits(64))
    material = [abs(int(seed)), len(history), *(ord(c) for c in salt)]
    return np.random.default_rng(np.random.SeedSequence(material))


def py_rng(rng: np.random.Generator) -> random.Random:
    return random.Random(int(rng.integers(2**63)))


def random_unseen(space: SearchSpace, rng: np.random.Generator, seen: set[str]) -> dict[str, Any]:
    """A random point not in seen; NoMoreTrials when the space is finite and every point was seen."""
    return base_random_unseen(space, py_rng(rng), seen)
