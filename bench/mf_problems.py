"""The multi-fidelity benchmark problems, shared by autolab's run and the peers' venvs (numpy only).

MFHartmann-3 / -6 (Kandasamy et al. 2017's multi-fidelity Hartmann as mf-prior-bench 1.10.0 defines
it, `mfpbench/synthetic/hartmann/generators.py`): at fidelity z in 1 ... 100, with
s = log z / log 100, the Hartmann weights alpha become alpha - bias (1 - s) (a bias that flattens
and, when large, reorders the basins) and a noise |N(0, 1)| noise (1 - s) is added, drawn from
default_rng(|1337 z hash(x)|) so a point at a fidelity always gives the same value; at z = 100 the
value is the plain Hartmann function. mf-prior-bench's `good` variant is bias 2.5, noise 2.0; `bad`
is bias 3.5, noise 4.0. `python bench/mf_problems.py --check` (in a venv with mf-prior-bench 1.10.0,
which pins numpy<2) compares this code with mf-prior-bench's on random points and fidelities.

The digits MLP table (bench/mf_digits.py builds it): 288 configurations, validation accuracy after
each of 27 epochs.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent

_H3 = (
    [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]],
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]],
    (0.114614, 0.555649, 0.852547),
)
_H6 = (
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ],
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ],
    (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),
)
VARIANTS = {"good": (2.5, 2.0), "bad": (3.5, 4.0)}  # mf-prior-bench's (bias, noise)


class Problem:
    """name, an NNI search space, the largest budget (steps 1 ... max_budget), the optimize mode, the
    optimum, and a configuration's values at steps 1 ... upto."""

    name: str
    space: dict[str, Any]
    max_budget: int
    mode: str
    optimum: float

    def at(self, params: dict[str, Any], z: int) -> float:
        """The value after z steps (a configuration trained z epochs)."""
        raise NotImplementedError

    def better(self, a: float, b: float) -> bool:
        return a < b if self.mode == "minimize" else a > b

    def regret(self, best: float) -> float:
        return best - self.optimum if self.mode == "minimize" else self.optimum - best


class MFHartmann(Problem):
    max_budget = 100
    mode = "minimize"

    def __init__(self, dims: int, variant: str) -> None:
        a, p, self.argmin = _H3 if dims == 3 else _H6
        self.A, self.P = np.array(a, dtype=float), np.array(p, dtype=float)
        self.dims, (self.bias, self.noise) = dims, VARIANTS[variant]
        self.name = f"MFHartmann-{dims} {variant}"
        self.space = {f"X_{i}": {"_type": "uniform", "_value": [0.0, 1.0]} for i in range(dims)}
        self.optimum = self.value(self.argmin, self.max_budget)

    def value(self, xs: tuple[float, ...], z: int) -> float:
        s = math.log(z) / math.log(self.max_budget)
        x = np.array(xs, dtype=float).reshape(1, -1)
        alpha = np.array([1.0, 1.2, 3.0, 3.2]) - self.bias * (1 - s)
        inner = np.sum(self.A * (x[:, np.newaxis, :] - 0.0001 * self.P) ** 2, axis=-1)
        h = -np.sum(alpha * np.exp(-inner), axis=-1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mf-prior-bench's seed overflows the same way
            rng = np.random.default_rng(seed=abs(1337 * z * hash(tuple(xs))))
        return float((h + np.abs(rng.normal(size=h.size)) * self.noise * (1 - s))[0])

    def at(self, params: dict[str, Any], z: int) -> float:
        return self.value(tuple(float(params[f"X_{i}"]) for i in range(self.dims)), z)


class Digits(Problem):
    name = "digits MLP (table)"
    max_budget = 27
    mode = "maximize"
    GRID: dict[str, list[Any]] = {
        "learning_rate_init": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
        "hidden_size": [16, 32, 64, 128],
        "alpha": [1e-5, 1e-3, 1e-1],
        "batch_size": [32, 64, 128, 256],
    }

    def __init__(self) -> None:
        self.table: dict[str, list[float]] = json.loads((HERE / "mf_digits_table.json").read_text())
        self.space = {k: {"_type": "choice", "_value": v} for k, v in self.GRID.items()}
        self.optimum = max(c[-1] for c in self.table.values())

    def at(self, params: dict[str, Any], z: int) -> float:
        return self.table[json.dumps({k: params[k] for k in self.GRID}, sort_keys=True)][z - 1]


class Tracker:
    """A run's trace: (cumulative cost in full evaluations, best value at the full budget so far)
    after each trial; cost = steps / max_budget (the sum of budget fractions spent)."""

    def __init__(self, problem: Problem, max_cost: float) -> None:
        self.problem, self.max_cost = problem, max_cost
        self.cost, self.best, self.trace = 0.0, None, []  # type: ignore[var-annotated]

    @property
    def spent(self) -> bool:
        return self.cost >= self.max_cost

    def trial(self, steps: int, full_value: float | None) -> None:
        """A trial ran `steps` steps; full_value: its value if it reached the full budget."""
        self.cost += steps / self.problem.max_budget
        if full_value is not None and (self.best is None or self.problem.better(full_value, self.best)):
            self.best = full_value
        self.trace.append((self.cost, self.best))


def problems() -> dict[str, Problem]:
    out: dict[str, Problem] = {}
    for dims in (3, 6):
        for variant in VARIANTS:
            p = MFHartmann(dims, variant)
            out[p.name] = p
    out[Digits.name] = Digits()
    return out


def check_against_mfpbench(n: int = 2000) -> None:
    """Compare with mf-prior-bench 1.10.0's generators (run in its venv)."""
    from mfpbench.synthetic.hartmann.generators import MFHartmann3, MFHartmann6

    rng = np.random.default_rng(0)
    worst = 0.0
    for dims, gen in ((3, MFHartmann3), (6, MFHartmann6)):
        for variant, (bias, noise) in VARIANTS.items():
            ours = MFHartmann(dims, variant)
            theirs = gen(n_fidelities=100, fidelity_bias=bias, fidelity_noise=noise)
            for _ in range(n):
                xs, z = tuple(float(v) for v in rng.random(dims)), int(rng.integers(1, 101))
                worst = max(worst, abs(ours.value(xs, z) - theirs(z=z, Xs=xs)))
    print(f"largest difference from mf-prior-bench over {4 * n} points: {worst:.3g}")


if __name__ == "__main__":
    check_against_mfpbench()
