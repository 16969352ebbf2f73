"""The rugged suite of the tuner benchmark: multimodal functions with many local minima (and
Rosenbrock's curved valley), which the tuners were not tuned on.

Pure numpy (no autolab), so the peers' runner (tuner_peers.py, in the peers' venvs) imports it
too. Each entry: (function of a parameter dict, search space, known minimum, noise sd). A noisy
variant adds Gaussian noise of that sd to every evaluation; its regret is measured on the noise-free
function at the trial the tuner saw as best (what a user would deploy).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def _x(p: dict[str, Any], d: int) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(d)], dtype=float)


def rastrigin(x: np.ndarray) -> float:
    return float(10 * len(x) + np.sum(x * x - 10 * np.cos(2 * np.pi * x)))


def schwefel(x: np.ndarray) -> float:
    return float(418.9828872724338 * len(x) - np.sum(x * np.sin(np.sqrt(np.abs(x)))))


def griewank(x: np.ndarray) -> float:
    i = np.arange(1, len(x) + 1)
    return float(1 + np.sum(x * x) / 4000 - np.prod(np.cos(x / np.sqrt(i))))


def michalewicz(x: np.ndarray) -> float:
    i = np.arange(1, len(x) + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x * x / np.pi) ** 20))


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.sum(x * x) / d))
        - np.exp(np.sum(np.cos(2 * np.pi * x)) / d)
        + 20
        + math.e
    )


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = np.sin(np.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _box(d: int, low: float, high: float) -> dict[str, Any]:
    return {f"x{i}": {"_type": "uniform", "_value": [low, high]} for i in range(d)}


def _on(f: Callable[[np.ndarray], float], d: int) -> Callable[[dict[str, Any]], float]:
    return lambda p: f(_x(p, d))


# name -> (function, space, minimum, noise sd)
RUGGED: dict[str, tuple[Callable[[dict[str, Any]], float], dict[str, Any], float, float]] = {
    "rastrigin6": (_on(rastrigin, 6), _box(6, -5.12, 5.12), 0.0, 0.0),
    "schwefel4": (_on(schwefel, 4), _box(4, -500, 500), 0.0, 0.0),
    "griewank8": (_on(griewank, 8), _box(8, -50, 50), 0.0, 0.0),
    "michalewicz5": (_on(michalewicz, 5), _box(5, 0, math.pi), -4.687658, 0.0),
    "ackley5": (_on(ackley, 5), _box(5, -32.768, 32.768), 0.0, 0.0),
    "levy6": (_on(levy, 6), _box(6, -10, 10), 0.0, 0.0),
    "rosenbrock4": (_on(rosenbrock, 4), _box(4, -5, 10), 0.0, 0.0),
    "rastrigin6-noisy": (_on(rastrigin, 6), _box(6, -5.12, 5.12), 0.0, 2.0),
    "michalewicz5-noisy": (_on(michalewicz, 5), _box(5, 0, math.pi), -4.687658, 0.1),
}


def noisy(name: str, seed: int) -> Callable[[dict[str, Any]], float]:
    """The function as the tuner sees it: with the entry's noise (a generator per run and seed)."""
    f, _, _, sd = RUGGED[name]
    if not sd:
        return f
    rng = np.random.default_rng([seed, 7919])
    return lambda p: f(p) + float(rng.normal(0.0, sd))
