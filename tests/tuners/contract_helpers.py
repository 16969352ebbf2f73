"""Spaces, histories and checks shared by the tuner contract tests (test_contract.py).

The list of tuners is read from BUILTIN at import time, so a tuner added there is tested here with
no change to this file. Spaces are built from each class's `supported_types` / `supports_nested`;
a tuner whose search space has a special shape registers it in PARAMETER_SET_TUNERS below.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest

from autolab.fidelity import BUDGET_KEY, without_budget
from autolab.history import History, Trial
from autolab.searchspace import TYPES, SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import BUILTIN, Tuner, tuner_class

NAMES = sorted(BUILTIN)

# Tuners whose space is one choice parameter listing whole parameter sets, and which suggest the
# chosen set itself (NNI's BatchTuner).
PARAMETER_SET_TUNERS = {"batchtuner"}
# Tuners that must raise NoMoreTrials once a finite space is exhausted (others may repeat a point).
EXHAUSTING_TUNERS = {"gridsearch", "batchtuner"}
# Multi-fidelity tuners: their parameters carry NNI's TRIAL_BUDGET besides the space's keys, and a
# fidelity (bracket, rung, config) the manager stores with the trial; a promoted configuration
# repeats its parameters at a larger budget.
BUDGET_TUNERS = {"hyperband", "bohb", "asha"}
# Tuners whose parameters carry NNI's PBT checkpoint directories besides the space's keys (a member
# that goes on repeats its parameters with the next generation's directories).
CHECKPOINT_TUNERS = {"pbttuner", "asha"}

# One parameter of each _type.
TYPE_SPECS: dict[str, dict[str, Any]] = {
    "choice": {"_type": "choice", "_value": ["relu", "tanh", 3, 0.5]},
    "randint": {"_type": "randint", "_value": [2, 9]},
    "uniform": {"_type": "uniform", "_value": [-1.5, 2.5]},
    "quniform": {"_type": "quniform", "_value": [16, 200, 16]},
    "loguniform": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "qloguniform": {"_type": "qloguniform", "_value": [1, 1000, 4]},
    "normal": {"_type": "normal", "_value": [1.0, 2.0]},
    "qnormal": {"_type": "qnormal", "_value": [0.0, 3.0, 0.5]},
    "lognormal": {"_type": "lognormal", "_value": [0.0, 0.5]},
    "qlognormal": {"_type": "qlognormal", "_value": [2.0, 0.5, 2]},
}
assert set(TYPE_SPECS) == TYPES, "a new _type needs a spec here"


def cls_of(name: str) -> type[Tuner]:
    return tuner_class(name)


def make(name: str, raw: dict[str, Any], **kwargs: Any) -> Tuner:
    return cls_of(name)(SearchSpace(raw), **kwargs)


def parameter_sets(n: int) -> dict[str, Any]:
    sets = [
        {"id": i, "lr": 10.0 ** -(1 + i % 4), "layers": [1 + i % 3, 2], "act": ["relu", "tanh"][i % 2]}
        for i in range(n)
    ]
    return {"combine_params": {"_type": "choice", "_value": sets}}


def full_space(name: str) -> dict[str, Any]:
    """A space with one parameter of every type the tuner supports."""
    if name in PARAMETER_SET_TUNERS:
        return parameter_sets(16)
    cls = cls_of(name)
    return {f"p_{t}": spec for t, spec in TYPE_SPECS.items() if t in cls.supported_types}


def nested_space(name: str) -> dict[str, Any]:
    cls = cls_of(name)
    inner = [t for t in TYPE_SPECS if t in cls.supported_types]
    return {
        "model": {
            "_type": "choice",
            "_value": [
                {"_name": "linear"},
                {
                    "_name": "mlp",
                    **{f"w_{t}": TYPE_SPECS[t] for t in inner[:3]},
                    "act": {
                        "_type": "choice",
                        "_value": ["relu", {"_name": "leaky", "slope": TYPE_SPECS[inner[0]]}],
                    },
                },
            ],
        },
        "top": TYPE_SPECS[inner[-1]],
    }


def finite_space(name: str) -> tuple[dict[str, Any], int]:
    """A 2x3 space (6 points) in types the tuner supports."""
    if name in PARAMETER_SET_TUNERS:
        sets = [{"a": a, "b": b} for a, b in itertools.product([0, 1], ["x", "y", "z"])]
        return {"combine_params": {"_type": "choice", "_value": sets}}, 6
    supported = cls_of(name).supported_types
    if "choice" in supported:
        return {
            "a": {"_type": "choice", "_value": [0, 1]},
            "b": {"_type": "choice", "_value": ["x", "y", "z"]},
        }, 6
    if "randint" in supported:
        return {"a": {"_type": "randint", "_value": [0, 2]}, "b": {"_type": "randint", "_value": [0, 3]}}, 6
    pytest.skip(f"{name} supports neither choice nor randint")


def on_grid(value: float, q: float) -> bool:
    return abs(value / q - round(value / q)) < 1e-6


def assert_in_space(name: str, space: SearchSpace, params: Any) -> None:
    """params is a plain-JSON, NNI-shaped point of the space, every value of the right type and range."""
    assert isinstance(params, dict)
    assert json.loads(json.dumps(params)) == params, f"not plain JSON: {params!r}"
    if name in BUDGET_TUNERS:
        budget = params[BUDGET_KEY]
        assert isinstance(budget, (int, float)) and budget > 0, params
        assert params.fidelity["budget"] == budget, params.fidelity  # type: ignore[attr-defined]
        params = without_budget(params)
    if name in CHECKPOINT_TUNERS:
        assert isinstance(params["load_checkpoint_dir"], str) and isinstance(
            params["save_checkpoint_dir"], str
        )
        params = {k: v for k, v in params.items() if k not in ("load_checkpoint_dir", "save_checkpoint_dir")}
    if name in PARAMETER_SET_TUNERS:
        (spec,) = space.raw.values()
        assert params in spec["_value"]
        return
    flat = space.to_flat(params)
    assert space.to_parameters(flat) == params, f"extra or inactive keys in {params!r}"
    for dim in space.dims:
        if not space.is_active(dim, flat):
            assert dim.key not in flat
            continue
        v = flat[dim.key]
        if dim.is_choice:
            continue  # to_flat found the option
        assert isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), (dim.key, v)
        low, high = dim.args[0], dim.args[1]
        if dim.type == "randint":
            assert isinstance(v, int) and low <= v < high, (dim.key, v)
        elif dim.type in ("uniform", "loguniform"):
            assert low <= v <= high, (dim.key, v)
        elif dim.type in ("quniform", "qloguniform"):
            assert low <= v <= high and (on_grid(v, dim.args[2]) or v in (low, high)), (dim.key, v)
        elif dim.type == "qnormal":
            assert on_grid(v, dim.args[2]), (dim.key, v)
        elif dim.type == "lognormal":
            assert v > 0, (dim.key, v)
        elif dim.type == "qlognormal":
            assert v >= 0 and on_grid(v, dim.args[2]), (dim.key, v)


def toy(params: Any) -> float:
    """A deterministic objective over any parameter shape (higher is better)."""
    if isinstance(params, dict):
        return sum(toy(v) for k, v in sorted(params.items()))
    if isinstance(params, list):
        return sum(toy(v) for v in params)
    if isinstance(params, bool) or params is None:
        return 0.0
    if isinstance(params, (int, float)):
        return -((math.tanh(params) - 0.3) ** 2)
    return 0.1 * (len(str(params)) % 3)


def trial(
    i: int,
    params: dict[str, Any],
    status: TrialStatus = TrialStatus.SUCCEEDED,
    value: float | None = None,
    intermediate: list[float] | None = None,
) -> Trial:
    if status == TrialStatus.SUCCEEDED and value is None:
        value = toy(params)
    return Trial(
        f"T{i:03d}",
        i,
        copy.deepcopy(dict(params)),
        status=status,
        value=value,
        raw_value=value,
        intermediate=list(intermediate or []),
        fidelity=stored_fidelity(params, f"T{i:03d}"),
    )


def stored_fidelity(params: dict[str, Any], trial_id: str) -> dict[str, Any] | None:
    """What the manager stores of a multi-fidelity suggestion (a new configuration is named by its
    first trial)."""
    fid = getattr(params, "fidelity", None)
    if fid is None:
        return None
    return {**fid, "config": fid["config"] if fid["config"] is not None else trial_id}


def rounds(tuner: Tuner, history: History, n: int, finish: bool = True) -> Iterator[dict[str, Any]]:
    """Suggest n times; each suggestion joins the history as succeeded (finish) or running."""
    for _ in range(n):
        params = tuner.suggest(history)
        status = TrialStatus.SUCCEEDED if finish else TrialStatus.RUNNING
        history.trials.append(trial(len(history), params, status))
        yield params


def key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)
