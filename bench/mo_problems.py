"""Multi-objective test problems (every objective minimised), as NNI search spaces.

Standard library only: bench/mo_peers.py imports it in a peer's venv. ZDT1 / ZDT2 (Zitzler, Deb,
Thiele 2000; n dims in [0, 1]), DTLZ2 with 3 objectives (Deb et al. 2002; k = n - 2), and 'model':
a mixed-type 'train a model' surface of ours (error against latency over lr, width, depth and the
optimizer): error falls with capacity (log2 width x depth) and peaks at an optimizer-dependent lr,
latency grows with width x depth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def zdt1(p: dict[str, Any], n: int) -> list[float]:
    x = [p[f"x{i}"] for i in range(n)]
    g = 1 + 9 * sum(x[1:]) / (n - 1)
    return [x[0], g * (1 - math.sqrt(x[0] / g))]


def zdt2(p: dict[str, Any], n: int) -> list[float]:
    x = [p[f"x{i}"] for i in range(n)]
    g = 1 + 9 * sum(x[1:]) / (n - 1)
    return [x[0], g * (1 - (x[0] / g) ** 2)]


def dtlz2(p: dict[str, Any], n: int) -> list[float]:
    x = [p[f"x{i}"] for i in range(n)]
    g = sum((xi - 0.5) ** 2 for xi in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [
        (1 + g) * math.cos(a) * math.cos(b),
        (1 + g) * math.cos(a) * math.sin(b),
        (1 + g) * math.sin(a),
    ]


BEST_LR = {"sgd": -1.5, "adam": -3.0, "rmsprop": -2.5}
OPT_COST = {"sgd": 0.03, "adam": 0.0, "rmsprop": 0.015}


def model(p: dict[str, Any], n: int = 0) -> list[float]:
    capacity = math.log2(p["width"]) * p["depth"]
    lr_miss = math.log10(p["lr"]) - BEST_LR[p["optimizer"]]
    error = 0.02 + 0.5 * math.exp(-capacity / 12) + 0.02 * lr_miss**2 + OPT_COST[p["optimizer"]]
    latency_ms = 1.0 + p["depth"] * p["width"] / 100
    return [error, latency_ms]


def unit_space(n: int) -> dict[str, Any]:
    return {f"x{i}": {"_type": "uniform", "_value": [0, 1]} for i in range(n)}


MODEL_SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1]},
    "width": {"_type": "qloguniform", "_value": [8, 1024, 1]},
    "depth": {"_type": "randint", "_value": [1, 9]},
    "optimizer": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
}


def problems(
    zdt_dims: int = 30, dtlz_dims: int = 12
) -> dict[str, tuple[Callable[..., list[float]], dict[str, Any], int, list[float]]]:
    """name -> (function, space, dims, hypervolume reference point)."""
    return {
        "zdt1": (zdt1, unit_space(zdt_dims), zdt_dims, [1.1, 11.0]),
        "zdt2": (zdt2, unit_space(zdt_dims), zdt_dims, [1.1, 11.0]),
        "dtlz2": (dtlz2, unit_space(dtlz_dims), dtlz_dims, [2.5, 2.5, 2.5]),
        "model": (model, MODEL_SPACE, 0, [1.0, 85.0]),
    }
