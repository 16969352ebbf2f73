"""TPE: learns, uses running trials (constant liar), nested branches, classArgs, resume."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import numpy as np
import pytest

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.observations import COMPLETED, FAILED, RUNNING, STOPPED, Encoder, as_losses
from autolab.tuners.tpe import TpeTuner

BRANIN = {"x1": {"_type": "uniform", "_value": [-5, 10]}, "x2": {"_type": "uniform", "_value": [0, 15]}}


def branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def optimise(tuner_name: str, n: int, seed: int, class_args: dict[str, Any] | None = None) -> float:
    tuner = create_tuner(
        SearchSpace(BRANIN), tuner_name, {"optimize_mode": "minimize", "seed": seed, **(class_args or {})}
    )
    history = History()
    for i in range(n):
        params = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, params, TrialStatus.SUCCEEDED, branin(params)))
    return min(t.value for t in history.trials if t.value is not None)


def test_tpe_beats_random_on_branin() -> None:
    tpe = [optimise("TPE", 60, s) for s in range(3)]
    rnd = [optimise("random", 60, s) for s in range(3)]
    assert statistics.median(tpe) < 0.45  # optimum 0.398
    assert statistics.median(tpe) < statistics.median(rnd)


def test_maximize_mode_climbs() -> None:
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}})
    tuner = TpeTuner(space, optimize_mode="maximize", seed=0)
    history = History()
    for i in range(40):
        p = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, -((p["x"] - 0.8) ** 2)))
    late = [t.parameters["x"] for t in history.trials[-10:]]
    assert abs(statistics.median(late) - 0.8) < 0.1


def test_running_trials_push_suggestions_apart() -> None:
    space = SearchSpace(BRANIN)
    tuner = TpeTuner(space, optimize_mode="minimize", seed=1)
    history = History()
    for i in range(30):
        p = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, branin(p)))
    batch = []
    for i in range(30, 38):  # 8 at once: each sees the others running
        p = tuner.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.RUNNING))
        batch.append((p["x1"], p["x2"]))
    assert len(set(batch)) == 8
    # the liar spreads them: not all within a tiny ball
    pts = np.array(batch)
    assert np.max(np.linalg.norm(pts - pts.mean(axis=0), axis=1)) > 0.05


def test_nested_parameter_learns_only_where_active() -> None:
    raw = {
        "model": {
            "_type": "choice",
            "_value": [
                {"_name": "a", "x": {"_type": "uniform", "_value": [0, 1]}},
                {"_name": "b", "x": {"_type": "uniform", "_value": [0, 1]}},
            ],
        }
    }
    space = SearchSpace(raw)
    rng = np.random.default_rng(0)
    history = History()
    for i in range(40):
        branch = "a" if i % 2 else "b"
        x = float(rng.random())
        # in branch a, x near 0.9 is good; branch b is bad everywhere and its x carries no signal
        value = (x - 0.9) ** 2 if branch == "a" else 1.0 + (x - 0.1) ** 2 * 0.01
        history.trials.append(
            Trial(f"t{i}", i, {"model": {"_name": branch, "x": x}}, TrialStatus.SUCCEEDED, value)
        )
    got = []
    for s in range(12):
        p = TpeTuner(space, optimize_mode="minimize", seed=s).suggest(history)
        got.append(p["model"])
    a_x = [m["x"] for m in got if m["_name"] == "a"]
    assert len(a_x) >= 9
    assert statistics.median(a_x) > 0.7


def test_early_stopped_and_failed_trials_are_encoded() -> None:
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}})
    history = History(
        [
            Trial("a", 0, {"x": 0.1}, TrialStatus.SUCCEEDED, 0.5),
            Trial("b", 1, {"x": 0.2}, TrialStatus.EARLY_STOPPED, None, intermediate=[0.3, 0.9]),
            Trial("c", 2, {"x": 0.3}, TrialStatus.FAILED),
            Trial("d", 3, {"x": 0.4}, TrialStatus.RUNNING),
            Trial("e", 4, {"x": 0.5}, TrialStatus.USER_CANCELED),
            Trial("f", 5, {"x": 0.6}, TrialStatus.EARLY_STOPPED),  # stopped before any report
        ]
    )
    raw, seen = Encoder(space).observe(history)
    assert list(raw.kind) == [COMPLETED, STOPPED, FAILED, RUNNING, FAILED]
    assert raw.loss[1] == 0.9 and len(seen) == 6
    obs = as_losses(raw, maximize=True)
    # maximizing: loss = -value; the stopped row ranks after the completed one although its last
    # value is better; failed rows take the worst loss seen (the stopped one's)
    assert obs.loss[0] == -0.5 and obs.loss[1] > -0.5
    assert obs.loss[2] == obs.loss[1] and obs.loss[4] == obs.loss[1] and math.isnan(obs.loss[3])


def test_stopped_trials_rank_after_completed_ones_by_steps_reached() -> None:
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}})
    history = History(
        [
            Trial("a", 0, {"x": 0.1}, TrialStatus.SUCCEEDED, 5.0, intermediate=[9.0, 5.0]),
            Trial("b", 1, {"x": 0.2}, TrialStatus.EARLY_STOPPED, intermediate=[0.1]),
            Trial("c", 2, {"x": 0.3}, TrialStatus.EARLY_STOPPED, intermediate=[3.0, 4.0, 7.0]),
            Trial("d", 3, {"x": 0.4}, TrialStatus.SUCCEEDED, 6.0),
            Trial("e", 4, {"x": 0.5}, TrialStatus.EARLY_STOPPED, intermediate=[2.0, 6.5, 6.0]),
            Trial("f", 5, {"x": 0.6}, TrialStatus.EARLY_STOPPED, intermediate=[0.2]),
        ]
    )
    obs = as_losses(Encoder(space).observe(history)[0], maximize=False)
    # completed by value; then stopped: 3 steps (6.0 before 7.0), then 1 step (0.1 before 0.2)
    assert list(np.argsort(obs.loss, kind="stable")) == [0, 3, 4, 2, 1, 5]
    assert obs.loss[3] == 6.0 and obs.loss[1] > obs.loss[2] > obs.loss[4] > 6.0
    # no completed trial: the same order
    alone = History([t for t in history.trials if t.status == TrialStatus.EARLY_STOPPED])
    obs = as_losses(Encoder(space).observe(alone)[0], maximize=True)  # maximising: higher first
    assert list(np.argsort(obs.loss, kind="stable")) == [1, 2, 3, 0]  # b c e f: c, e, then f (0.2), b


def test_stopped_trials_do_not_teach_tpe_their_low_fidelity_values() -> None:
    # two completed trials near x = 0.8; 198 one-step values, better than any final one (a biased
    # low fidelity), best near x = 0.2: TPE follows the completed trials, although they are fewer
    # than l's size (the best stopped trials stay out of l: they were ahead at a small budget only)
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 1]}})
    rng = np.random.default_rng(0)
    trials = [
        Trial(f"c{i}", i, {"x": x}, TrialStatus.SUCCEEDED, abs(x - 0.8)) for i, x in enumerate((0.78, 0.82))
    ]
    for i in range(2, 200):
        x = float(rng.uniform())
        trials.append(Trial(f"t{i}", i, {"x": x}, TrialStatus.EARLY_STOPPED, intermediate=[abs(x - 0.2) - 1]))
    history = History(trials)
    got = [TpeTuner(space, optimize_mode="minimize", seed=s).suggest(history)["x"] for s in range(10)]
    assert sum(x > 0.5 for x in got) >= 8, got


def test_all_failed_history_still_suggests() -> None:
    space = SearchSpace(BRANIN)
    history = History(
        [Trial(f"t{i}", i, space.sample(random.Random(i)), TrialStatus.FAILED) for i in range(15)]
    )
    p = TpeTuner(space, seed=0).suggest(history)
    assert set(p) == {"x1", "x2"}


def test_tpe_args_are_validated() -> None:
    space = SearchSpace(BRANIN)
    with pytest.raises(TunerError, match="tpe_args: unknown key 'n_startup'"):
        create_tuner(space, "tpe", {"tpe_args": {"n_startup": 3}})
    with pytest.raises(TunerError, match="constant_liar_type"):
        create_tuner(space, "TPE", {"tpe_args": {"constant_liar_type": "median"}})
    with pytest.raises(TunerError, match="gamma"):
        create_tuner(space, "TPE", {"tpe_args": {"gamma": 1.5}})
    with pytest.raises(TunerError, match="kriging_believer must be true or false, got 'yes'"):
        create_tuner(space, "TPE", {"tpe_args": {"kriging_believer": "yes"}})
    t = create_tuner(
        space,
        "TPE",
        {
            "optimize_mode": "minimize",
            "parallel_optimize": True,
            "constant_liar_type": "mean",
            "tpe_args": {"n_startup_jobs": 5},
        },
    )
    assert (
        isinstance(t, TpeTuner) and t.args["constant_liar_type"] == "mean" and t.args["n_startup_jobs"] == 5
    )


def test_startup_then_model_and_resume_matches() -> None:
    space = SearchSpace(BRANIN)
    a = TpeTuner(space, optimize_mode="minimize", seed=7, tpe_args={"n_startup_jobs": 4})
    history = History()
    for i in range(12):
        p = a.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, branin(p)))
    b = TpeTuner(space, optimize_mode="minimize", seed=7, tpe_args={"n_startup_jobs": 4})
    assert a.suggest(history) == b.suggest(history)
    c = TpeTuner(space, optimize_mode="minimize", seed=8, tpe_args={"n_startup_jobs": 4})
    assert c.suggest(history) != a.suggest(history)


def test_many_trials_keep_model_small() -> None:
    """With thousands of trials the above-set is thinned; suggestions still land in the space."""
    space = SearchSpace(BRANIN)
    rng = random.Random(0)
    history = History()
    for i in range(1500):
        p = space.sample(rng)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, branin(p)))
    suggested = [TpeTuner(space, optimize_mode="minimize", seed=s).suggest(history) for s in range(10)]
    assert all(-5 <= p["x1"] <= 10 and 0 <= p["x2"] <= 15 for p in suggested)
    # drawn near the good region, not at random (branin's median over the box is about 25); l's
    # rank weights spread over more than the best two or three points, which sit in different basins
    values = sorted(branin(p) for p in suggested)
    assert values[5] < 5, values


def test_believer_ranks_running_trials_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """With trials running, the believer's losses put them among the finished ones (a running
    trial believed best becomes the top of l); sequential suggestions, or kriging_believer false,
    leave running trials to the constant liar alone."""
    space = SearchSpace(
        {"a": {"_type": "uniform", "_value": [0, 1]}, "b": {"_type": "uniform", "_value": [0, 1]}}
    )
    history = History()
    seq = TpeTuner(space, optimize_mode="minimize", seed=3)
    for i in range(20):
        p = seq.suggest(history)
        history.trials.append(
            Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, (p["a"] - 0.3) ** 2 + (p["b"] - 0.6) ** 2)
        )
    optimum = {"a": 0.3, "b": 0.6}
    history.trials.append(Trial("r", 20, optimum, TrialStatus.RUNNING))
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    original = TpeTuner._candidates

    def spy(self: TpeTuner, group: Any, obs: Any, running: np.ndarray, rng: np.random.Generator) -> Any:
        seen.append((obs.kind[running].copy(), obs.loss.copy()))
        return original(self, group, obs, running, rng)

    monkeypatch.setattr(TpeTuner, "_candidates", spy)
    TpeTuner(space, optimize_mode="minimize", seed=3).suggest(history)
    kinds, loss = seen.pop()
    assert list(kinds) == [COMPLETED]
    assert np.argmin(loss) == 20 and loss[20] < min(t.value for t in history.trials[:20])  # type: ignore[type-var]
    TpeTuner(space, optimize_mode="minimize", seed=3, tpe_args={"kriging_believer": False}).suggest(history)
    kinds, loss = seen.pop()
    assert list(kinds) == [RUNNING] and np.isnan(loss[20])


def _jumps(space: SearchSpace, running: int) -> int:
    """How many of 16 suggestions (16 history lengths, two cycles of 8) are the best finished trial
    with exactly one parameter moved, with `running` trials running."""
    keys = list(space.to_parameters(space.to_flat(space.sample(random.Random(0)))))
    history = History()
    seq = TpeTuner(space, optimize_mode="minimize", seed=5)

    def loss(p: dict[str, Any]) -> float:
        return sum(float(v) ** 2 if not isinstance(v, str) else 0.0 for v in p.values())

    for i in range(12):
        p = seq.suggest(history)
        history.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, loss(p)))
    jumps = 0
    for extra in range(16):
        h = History()
        h.trials = list(history.trials)
        for k in range(extra):  # more finished trials, worse than the best
            p = dict(history.trials[k % 12].parameters)
            h.trials.append(Trial(f"f{k}", len(h.trials), p, TrialStatus.SUCCEEDED, 1e6 + k))
        for k in range(running):
            p = space.sample(random.Random(100 + k))
            h.trials.append(Trial(f"r{k}", len(h.trials), p, TrialStatus.RUNNING))
        best = min((t for t in h.trials if t.value is not None), key=lambda t: t.value)  # type: ignore[arg-type, return-value]
        # the 12 first trials are the random start: no later trial sets a record, so the jumps'
        # bandit (_jumps_pay) sees its arms level and lets them go on
        p = TpeTuner(space, optimize_mode="minimize", seed=5, tpe_args={"n_startup_jobs": 12}).suggest(h)
        jumps += sum(p[k] != best.parameters[k] for k in keys) == 1
    return jumps


def test_with_trials_running_some_suggestions_jump_one_parameter_of_the_best_in_5_plus_numeric_dims() -> None:
    """While trials run, in a space of JUMP_MIN_DIMS+ numeric parameters, JUMP_SLOTS of every
    JUMP_CYCLE suggestions (by the history's length) are the best finished trial with exactly one
    parameter moved; sequential ones never are, nor are those in a smaller space or one with a
    choice (which keep the suggestions of before)."""
    from autolab.tuners import tpe as tpe_module

    def uniform(n: int) -> dict[str, Any]:
        return {f"x{i}": {"_type": "uniform", "_value": [-10, 10]} for i in range(n)}

    six = SearchSpace(uniform(6))
    jumped = _jumps(six, 7)
    assert jumped > 0  # the committed code before the tenth round: 0
    assert tpe_module.JUMP_MIN_DIMS == 5 and jumped == 2 * tpe_module.JUMP_SLOTS
    assert _jumps(six, 0) == 0
    assert _jumps(SearchSpace(uniform(4)), 7) == 0
    with_choice = SearchSpace({**uniform(6), "c": {"_type": "choice", "_value": ["a", "b"]}})
    assert _jumps(with_choice, 7) == 0


def _jumps_over_one_cycle(space: SearchSpace, finished: list[Trial]) -> int:
    """How many of 8 suggestions (1 to 8 trials running on top of `finished`: one cycle) are the
    best finished trial with exactly one parameter moved."""
    best = min((t for t in finished if t.value is not None), key=lambda t: t.value)  # type: ignore[arg-type, return-value]
    jumps = 0
    for running in range(1, 9):
        r = History()
        r.trials = list(finished)
        for k in range(running):
            p = space.sample(random.Random(100 + k))
            r.trials.append(Trial(f"r{k}", len(r.trials), p, TrialStatus.RUNNING))
        p = TpeTuner(space, optimize_mode="minimize", seed=2).suggest(r)
        jumps += sum(p[k] != best.parameters[k] for k in p) == 1
    return jumps


def test_jumps_go_on_only_while_they_set_records_as_often_as_the_other_suggestions() -> None:
    """The jump slots are taken only while, among the newest finished trials, jumps (one parameter
    away from an earlier trial) set records at least as often as the other trials."""
    from autolab.tuners import tpe as tpe_module

    space = SearchSpace({f"x{i}": {"_type": "uniform", "_value": [-10, 10]} for i in range(6)})
    base = History()
    seq = TpeTuner(space, optimize_mode="minimize", seed=2)
    for i in range(12):
        p = seq.suggest(base)
        base.trials.append(Trial(f"t{i}", i, p, TrialStatus.SUCCEEDED, sum(v**2 for v in p.values())))
    start = min(t.value for t in base.trials if t.value is not None)
    taken = {}
    for paying in (False, True):
        h = History()
        h.trials = list(base.trials)
        parent = min(base.trials, key=lambda t: t.value)  # type: ignore[arg-type, return-value]
        for k in range(16):
            p = {**parent.parameters, f"x{k % 6}": 9.9 - 0.01 * k}  # a jump: one parameter moved
            loss = start - 1 - k if paying else 1e6 + k
            h.trials.append(Trial(f"j{k}", len(h.trials), p, TrialStatus.SUCCEEDED, loss))
            p = {f"x{i}": 5.0 + 0.01 * k + 0.001 * i for i in range(6)}  # another trial
            loss = 1e6 + k if paying else start - 100 - k
            h.trials.append(Trial(f"o{k}", len(h.trials), p, TrialStatus.SUCCEEDED, loss))
        taken[paying] = _jumps_over_one_cycle(space, h.trials)
    assert taken == {False: 0, True: tpe_module.JUMP_SLOTS}


def test_jumps_start_only_where_the_other_suggestions_set_records_less_than_one_time_in_five() -> None:
    """With no jump among the newest finished trials, each arm's share is its prior (1 record in
    JUMP_PRIOR_TRIALS): the jumps start where TPE's own suggestions set records less often than that."""
    from autolab.tuners import tpe as tpe_module

    space = SearchSpace({f"x{i}": {"_type": "uniform", "_value": [-10, 10]} for i in range(6)})
    taken = {}
    for every in (3, 8):  # others set a record every 3rd trial (share above 1 in 5) or every 8th
        h = History()
        for k in range(40):
            p = {f"x{i}": -9.0 + 0.4 * k + 0.01 * i for i in range(6)}
            loss = 100.0 - k if k % every == 0 else 1e6 + k
            h.trials.append(Trial(f"o{k}", k, p, TrialStatus.SUCCEEDED, loss))
        taken[every] = _jumps_over_one_cycle(space, h.trials)
    assert taken == {3: 0, 8: tpe_module.JUMP_SLOTS}  # a prior of 1 in 2: {3: 4, 8: 4}
