"""SMAC3 (`smac` on PyPI) as a peer of bench/tuner_seq100.py: its random-forest facade
(`HyperparameterOptimizationFacade`, every default) on an NNI-format search space.

Runs in a venv with smac (2.4.1 here: `python3 -m venv /tmp/h24p-venv && /tmp/h24p-venv/bin/pip
install swig smac==2.4.1`), no autolab. The space is translated to ConfigSpace: uniform and
loguniform to a Float (log=True), randint [a, b) to an Integer [a, b - 1], choice to a Categorical;
a nested choice (a list of dicts with `_name`) to a Categorical of the branch names whose branch
parameters are active only under their branch (EqualsCondition), named `key.branch.param` as the
Optuna peer names them. The objective is evaluated at most once per configuration (SMAC's
`deterministic=True`); on a noisy function SMAC sees the noisy value and the run is scored by the
noise-free value of the trial it saw as best, as for every other tuner of the table.

SMAC3's result for a seed also depends on Python's string hashing (a set's order somewhere inside
it): two runs of nested, seed 0, gave 2.7e-09 and 6.7e-04 with a random PYTHONHASHSEED, and the same
value twice with PYTHONHASHSEED=0. Set PYTHONHASHSEED to repeat a run; the session-9 runs did not,
so each of their seeds is one fair draw of SMAC3, not a reproducible one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from typing import Any


def config_space(space: dict[str, Any], seed: int) -> Any:
    from ConfigSpace import Categorical, ConfigurationSpace, EqualsCondition, Float, Integer

    cs = ConfigurationSpace(seed=seed)

    def add(spec: dict[str, Any], prefix: str, parent: Any = None, branch: str | None = None) -> None:
        for key, d in spec.items():
            kind, value, name = d["_type"], d["_value"], prefix + key
            if kind == "choice" and isinstance(value[0], dict):
                hp = Categorical(name, [b["_name"] for b in value])
            elif kind == "choice":
                hp = Categorical(name, [str(v) for v in value])
            elif kind in ("uniform", "loguniform"):
                hp = Float(name, (value[0], value[1]), log=kind == "loguniform")
            elif kind == "randint":
                hp = Integer(name, (value[0], value[1] - 1))
            else:
                raise ValueError(f"the SMAC3 peer does not translate {kind!r} ({name})")
            cs.add(hp)
            if parent is not None:
                cs.add(EqualsCondition(hp, parent, branch))
            if kind == "choice" and isinstance(value[0], dict):
                for b in value:
                    sub = {k: v for k, v in b.items() if k != "_name"}
                    add(sub, f"{name}.{b['_name']}.", hp, b["_name"])

    add(space, "")
    return cs


def to_params(config: dict[str, Any], space: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """ConfigSpace's flat configuration back to the NNI-format parameters the function takes."""
    params: dict[str, Any] = {}
    for key, d in space.items():
        kind, value, name = d["_type"], d["_value"], prefix + key
        if kind == "choice" and isinstance(value[0], dict):
            chosen = config[name]
            sub = next({k: v for k, v in b.items() if k != "_name"} for b in value if b["_name"] == chosen)
            params[key] = {"_name": chosen, **to_params(config, sub, f"{name}.{chosen}.")}
        elif kind == "choice":
            params[key] = next(v for v in value if str(v) == config[name])
        elif kind == "randint":
            params[key] = int(config[name])
        else:
            params[key] = float(config[name])
    return params


def run_smac3(
    f: Callable[[dict[str, Any]], float],
    seen: Callable[[dict[str, Any]], float],
    space: dict[str, Any],
    n: int,
    seed: int,
) -> float:
    """The noise-free value f of the configuration with the best seen value, after n evaluations."""
    from smac import HyperparameterOptimizationFacade, Scenario

    log: list[tuple[float, float]] = []

    def objective(config: Any, seed: int = 0) -> float:
        p = to_params(dict(config), space)
        v = seen(p)
        log.append((v, f(p)))
        return v

    out = tempfile.mkdtemp(prefix="smac3-")
    try:
        scenario = Scenario(
            config_space(space, seed), deterministic=True, n_trials=n, seed=seed, output_directory=out
        )
        smac = HyperparameterOptimizationFacade(scenario, objective, overwrite=True, logging_level=40)
        smac.optimize()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return min(log)[1]
