"""The tuner contract: every tuner in autolab.tuners.BUILTIN must pass these tests.

The list of tuners is read from BUILTIN at import time, so a tuner added there is tested here with
no change to this file. Spaces are built from each class's `supported_types` / `supports_nested`
(tests/tuners/contract_helpers.py); a tuner whose search space has a special shape registers it in
PARAMETER_SET_TUNERS there.
"""

from __future__ import annotations

import copy

import pytest

from autolab.history import History
from autolab.searchspace import TYPES, SearchSpace, SearchSpaceError
from autolab.statuses import TrialStatus
from autolab.tuners import NoMoreTrials, Tuner, TunerError, create_tuner
from autolab.tuners.base import NotYet
from tests.tuners.contract_helpers import (
    EXHAUSTING_TUNERS,
    NAMES,
    PARAMETER_SET_TUNERS,
    TYPE_SPECS,
    assert_in_space,
    cls_of,
    finite_space,
    full_space,
    key,
    make,
    nested_space,
    rounds,
    toy,
    trial,
)

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


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_space_runs_its_one_point_or_is_a_tuner_error(name: str) -> None:
    """searchSpace: {} (a script run as it is, or at a budget): the one point, then NoMoreTrials;
    a budget or population tuner goes on with it; a tuner that needs a parameter says so."""
    try:
        tuner = make(name, {}, seed=0)
    except TunerError:
        assert name in PARAMETER_SET_TUNERS
        return
    history = History()
    try:
        for params in rounds(tuner, history, 6):
            assert_in_space(name, SearchSpace({}), params)
    except NoMoreTrials:
        assert len(history) == 1
