"""The tuner contract: every tuner in autolab.tuners.BUILTIN must pass these tests.

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
from autolab.searchspace import TYPES, SearchSpace, SearchSpaceError
from autolab.statuses import TrialStatus
from autolab.tuners import BUILTIN, NoMoreTrials, Tuner, TunerError, create_tuner, tuner_class
from autolab.tuners.base import NotYet

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


# -- the contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry_is_a_tuner(name: str) -> None:
    cls = cls_of(name)
    assert issubclass(cls, Tuner)
    assert cls.supported_types <= TYPES and cls.supported_types
    assert isinstance(cls.supports_nested, bool)


@pytest.mark.parametrize("name", NAMES)
def test_toy_objective_30_rounds_stay_in_space(name: str) -> None:
    raw = full_space(name)
    space = SearchSpace(raw)
    tuner = create_tuner(space, name, {"optimize_mode": "minimize", "seed": 0})
    history = History()
    for _ in range(30):
        try:
            params = tuner.suggest(history)
        except NoMoreTrials:
            assert name in EXHAUSTING_TUNERS and len(history) == len(space.dims[0].choices)
            break
        assert_in_space(name, space, params)
        history.trials.append(trial(len(history), params, value=-toy(params)))
    keys = [key(t.parameters) for t in history.trials]
    assert len(set(keys)) == len(keys), "repeated a point of a continuous space"
    assert space.raw == raw, "the tuner changed the search space"


@pytest.mark.parametrize("name", NAMES)
def test_unsupported_types_raise_at_construction(name: str) -> None:
    cls = cls_of(name)
    for kind in sorted(TYPES - cls.supported_types):
        with pytest.raises(TunerError, match="p_bad"):
            cls(SearchSpace({"p_bad": TYPE_SPECS[kind]}))
    if not cls.supports_nested and "choice" in cls.supported_types:
        raw = {"p_nest": {"_type": "choice", "_value": [{"_name": "a", "p_bad": TYPE_SPECS["choice"]}]}}
        with pytest.raises(TunerError, match="nested"):
            cls(SearchSpace(raw))


@pytest.mark.parametrize("name", NAMES)
def test_nested_choice(name: str) -> None:
    cls = cls_of(name)
    if not cls.supports_nested or "choice" not in cls.supported_types:
        pytest.skip(f"{name} does not claim nested choice (construction error checked elsewhere)")
    space = SearchSpace(nested_space(name))
    tuner = cls(space, seed=1)
    seen_branches: set[str] = set()
    for params in rounds(tuner, History(), 16):
        assert_in_space(name, space, params)
        seen_branches.add(params["model"]["_name"])
        if params["model"]["_name"] == "linear":
            assert params["model"] == {"_name": "linear"}
    assert seen_branches == {"linear", "mlp"}


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_history_same_suggestions(name: str) -> None:
    raw = full_space(name)
    a, b = make(name, raw, seed=11), make(name, raw, seed=11)
    ha, hb = History(), History()
    assert list(rounds(a, ha, 8)) == list(rounds(b, hb, 8))
    # and two fresh tuners on a history they did not build
    c, d = make(name, raw, seed=5), make(name, raw, seed=5)
    assert c.suggest(ha) == d.suggest(ha)


@pytest.mark.parametrize("name", NAMES)
def test_fresh_tuner_resumes_from_history(name: str) -> None:
    """No private state: a new tuner given the store's history continues where the old one was."""
    raw = full_space(name)
    space = SearchSpace(raw)
    history = History()
    old = make(name, raw, seed=3)
    list(rounds(old, history, 5))
    history.trials[1].status, history.trials[1].value = TrialStatus.FAILED, None
    history.trials[3].status, history.trials[3].value = TrialStatus.RUNNING, None
    expected = old.suggest(history)
    resumed = make(name, raw, seed=3)
    got = resumed.suggest(history)
    assert got == expected
    before = {key(t.parameters) for t in history.trials}
    for params in rounds(resumed, history, 2):
        assert_in_space(name, space, params)
        assert key(params) not in before


@pytest.mark.parametrize("finish", [True, False], ids=["sequential", "parallel"])
@pytest.mark.parametrize("name", NAMES)
def test_finite_space_no_duplicates_until_exhausted(name: str, finish: bool) -> None:
    raw, size = finite_space(name)
    space = SearchSpace(raw)
    tuner = make(name, raw, seed=2)
    history = History()
    suggested = list(rounds(tuner, history, size, finish=finish))
    for params in suggested:
        assert_in_space(name, space, params)
    assert len({key(p) for p in suggested}) == size, f"repeated a point before all {size} were tried"
    if name in EXHAUSTING_TUNERS:
        with pytest.raises(NoMoreTrials):
            tuner.suggest(history)
    else:
        try:
            assert_in_space(name, space, tuner.suggest(history))
        except (NoMoreTrials, NotYet):  # NotYet: every point runs, the tuner waits for a result
            pass


@pytest.mark.parametrize("name", NAMES)
def test_optimize_mode_validation(name: str) -> None:
    raw = full_space(name)
    for mode in ("maximize", "minimize"):
        assert make(name, raw, optimize_mode=mode).optimize_mode == mode
    with pytest.raises(TunerError, match="optimize_mode"):
        make(name, raw, optimize_mode="maximise")
    with pytest.raises(TunerError, match="optimize_mode"):
        create_tuner(SearchSpace(raw), name, {"optimize_mode": "best"})


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", ["x", -1, 1.5, True, [1]])
def test_a_bad_seed_is_a_tuner_error(name: str, seed: object) -> None:
    with pytest.raises(TunerError, match="seed"):
        create_tuner(SearchSpace(full_space(name)), name, {"seed": seed})


@pytest.mark.parametrize("name", NAMES)
def test_unknown_class_arg_is_a_tuner_error(name: str) -> None:
    with pytest.raises(TunerError, match="no_such_arg"):
        create_tuner(SearchSpace(full_space(name)), name, {"no_such_arg": 1})


@pytest.mark.parametrize("name", NAMES)
def test_optimize_mode_is_respected_by_loss(name: str) -> None:
    raw = full_space(name)
    assert make(name, raw, optimize_mode="maximize").loss(2.0) < make(
        name, raw, optimize_mode="maximize"
    ).loss(1.0)
    assert make(name, raw, optimize_mode="minimize").loss(1.0) < make(
        name, raw, optimize_mode="minimize"
    ).loss(2.0)


@pytest.mark.parametrize("name", NAMES)
def test_history_with_unfinished_failed_and_foreign_trials(name: str) -> None:
    raw = full_space(name)
    space = SearchSpace(raw)
    seed_history = History()
    list(rounds(make(name, raw, seed=4), seed_history, 7))
    p = [t.parameters for t in seed_history.trials]
    foreign = {"something_else": 1} if name not in PARAMETER_SET_TUNERS else {"lr": 5, "layers": []}
    history = History(
        [
            trial(0, p[0], TrialStatus.WAITING),
            trial(1, p[1], TrialStatus.RUNNING, intermediate=[0.1, 0.2]),
            trial(2, p[2], TrialStatus.FAILED),
            trial(3, p[3], TrialStatus.EARLY_STOPPED, intermediate=[0.3]),
            trial(4, p[4], TrialStatus.USER_CANCELED),
            trial(5, p[5], TrialStatus.NO_RESULT),
            trial(6, p[6], TrialStatus.SUCCEEDED, value=1.0),
            trial(7, foreign, TrialStatus.SUCCEEDED, value=2.0),  # from an earlier search space
        ]
    )
    snapshot = copy.deepcopy(history)
    tuner = make(name, raw, seed=4)
    params = tuner.suggest(history)
    assert history == snapshot, "suggest() changed the history"
    assert_in_space(name, space, params)
    assert key(params) not in {key(x) for x in p}
    for params in rounds(tuner, history, 3, finish=False):
        assert_in_space(name, space, params)


@pytest.mark.parametrize("name", NAMES)
def test_update_search_space_switches_space(name: str) -> None:
    old_raw, new_raw = finite_space(name)[0], full_space(name)
    tuner = make(name, old_raw, seed=6)
    history = History()
    list(rounds(tuner, history, 2))
    new_space = SearchSpace(new_raw)
    tuner.update_search_space(new_space)
    for params in rounds(tuner, history, 3):
        assert_in_space(name, new_space, params)
    for bad in sorted(TYPES - cls_of(name).supported_types):
        with pytest.raises(TunerError, match="'x'"):
            tuner.update_search_space(SearchSpace({"x": TYPE_SPECS[bad]}))


def test_contract_helpers_catch_out_of_space_points() -> None:
    """The checks above can fail: points outside the space are caught."""
    space = SearchSpace({k: TYPE_SPECS[k] for k in ("randint", "quniform", "choice")})
    good = {"randint": 2, "quniform": 32, "choice": "relu"}
    assert_in_space("x", space, good)
    for bad in (
        {**good, "randint": 9},
        {**good, "randint": 2.0},
        {**good, "quniform": 33},
        {**good, "choice": "elu"},
        {**good, "extra": 1},
        {"randint": 2},
    ):
        with pytest.raises((AssertionError, SearchSpaceError)):
            assert_in_space("x", space, bad)
