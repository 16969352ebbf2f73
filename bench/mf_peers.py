"""The peers' side of bench/mf_bench.py, run in their own venvs (numpy and the peer only):

    /tmp/mf-venv/bin/python bench/mf_peers.py optuna --seeds 0 1 ... [--problems ...]   # optuna==5.0.0
    /tmp/mf2-syne/bin/python bench/mf_peers.py syne --seeds 0 1 ...                     # syne-tune==0.16.0
    /tmp/dehb-venv/bin/python bench/mf_peers.py dehb --seeds 0 1 ...                    # dehb==0.1.2
    NNI_TUNER_COMMAND_CHANNEL=ws://_unittest_ /tmp/nni-venv/bin/python bench/mf_peers.py nni --seeds ...  # nni==3.0

Each method trains a configuration step by step (reporting every step), and the pruner or scheduler
stops it or lets it reach the full budget; a trace is [(cumulative cost, best full-budget value)]
after each trial (mf_problems.Tracker). Prints a JSON line {problem, method, seed, trace} per run.

Optuna 5: TPE + HyperbandPruner (min_resource 1, max_resource B, reduction_factor 3), TPE +
SuccessiveHalvingPruner (min_resource 1, reduction_factor 3), TPE at full budget. Syne Tune 0.16.0:
ASHA (stopping, random search) and BOHB (its asynchronous BOHB: ASHA with a KDE searcher), both
grace_period 1, reduction_factor 3, max_t B. Syne Tune 0.16 has no DEHB and no promotion-type
Hyperband (both were removed from it); the authors' `dehb` package (0.1.2) stands in for DEHB.
DEHB 0.1.2: ask/tell, min_fidelity 1, max_fidelity B, eta 3, its defaults otherwise (run_dehb).
NNI 3.0's Hyperband (R B, eta 3) and BOHB (min_budget 1, max_budget B, eta 3) advisors, driven
in-process through their dispatcher commands (run_nni says how). These three train every
configuration from scratch at the budget they hand it, so a job at budget b costs b / B.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import datetime
from typing import Any

import numpy as np
from mf_problems import Problem, Tracker, problems


def optuna_methods() -> dict[str, Any]:
    import optuna

    v = optuna.__version__
    return {
        f"Optuna {v} TPE + HyperbandPruner": lambda r: optuna.pruners.HyperbandPruner(1, r, 3),
        f"Optuna {v} TPE + SuccessiveHalvingPruner": lambda r: optuna.pruners.SuccessiveHalvingPruner(1, 3),
        f"Optuna {v} TPE (full budget)": lambda r: optuna.pruners.NopPruner(),
    }


def run_optuna(problem: Problem, make_pruner: Any, seed: int, max_cost: float) -> list:
    import optuna

    track, r = Tracker(problem, max_cost), problem.max_budget

    def objective(trial: optuna.Trial) -> float:
        params = {}
        for k, dim in problem.space.items():
            if dim["_type"] == "uniform":
                params[k] = trial.suggest_float(k, *dim["_value"])
            else:
                params[k] = trial.suggest_categorical(k, dim["_value"])
        steps, value = 0, None
        try:
            for step in range(1, r + 1):
                steps, value = step, problem.at(params, step)
                trial.report(value, step)
                if step < r and trial.should_prune():
                    raise optuna.TrialPruned()
        finally:
            track.trial(steps, value if steps == r else None)
        return value

    def budget(study: optuna.Study, _trial: Any) -> None:
        if track.spent:
            study.stop()

    # a fixed study name: the HyperbandPruner picks a trial's bracket from a hash of it
    study = optuna.create_study(
        study_name=f"mf-{problem.name}-{seed}",
        direction=problem.mode,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=make_pruner(r),
    )
    study.optimize(objective, callbacks=[budget], n_trials=10**6)
    return track.trace


def syne_methods() -> dict[str, Any]:
    from syne_tune.optimizer.baselines import ASHA, BOHB

    return {"Syne Tune 0.16.0 ASHA (stopping)": ASHA, "Syne Tune 0.16.0 BOHB (asynchronous)": BOHB}


def run_syne(problem: Problem, scheduler_class: Any, seed: int, max_cost: float) -> list:
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import choice, uniform
    from syne_tune.optimizer.scheduler import SchedulerDecision

    random.seed(seed)
    np.random.seed(seed)  # its ASHA draws brackets from numpy's global generator
    space: dict[str, Any] = {
        k: uniform(*d["_value"]) if d["_type"] == "uniform" else choice(d["_value"])
        for k, d in problem.space.items()
    }
    r = problem.max_budget
    scheduler = scheduler_class(
        space,
        metric="y",
        time_attr="step",
        max_t=r,
        do_minimize=problem.mode == "minimize",
        random_seed=seed,
        grace_period=1,
        reduction_factor=3,
    )
    track, trial_id = Tracker(problem, max_cost), 0
    while not track.spent:
        suggestion = scheduler.suggest()
        if suggestion is None:
            break
        trial = Trial(trial_id=trial_id, config=suggestion.config, creation_time=datetime.now())
        trial_id += 1
        scheduler.on_trial_add(trial)
        steps, result = 0, {}
        for step in range(1, r + 1):
            steps, result = step, {"y": problem.at(trial.config, step), "step": step}
            if step == r:
                scheduler.on_trial_complete(trial, result)
            elif scheduler.on_trial_result(trial, result) != SchedulerDecision.CONTINUE:
                break
        track.trial(steps, result["y"] if steps == r else None)
    return track.trace


def _grid_value(problem: Problem, key: str, value: Any) -> Any:
    """A peer's value for a key as the search space spells it (a choice's own element: the digits
    table is keyed by json.dumps of them, and 16 and 16.0 or numpy's int64 would miss)."""
    dim = problem.space[key]
    if dim["_type"] == "choice":
        return next(v for v in dim["_value"] if v == value or str(v) == str(value))
    return float(value)


def dehb_methods() -> dict[str, Any]:
    from importlib.metadata import version

    return {f"DEHB {version('dehb')} (eta 3)": None}


def run_dehb(problem: Problem, _make: Any, seed: int, max_cost: float) -> list:
    """DEHB through ask/tell, one job at a time. Its fidelities are B eta^-k (100: 1.23, 3.70, 11.1,
    33.3, 100; 27: 1, 3, 9, 27); a job trains round(fidelity) steps from scratch and pays them."""
    import tempfile

    import ConfigSpace as CS
    from dehb import DEHB

    cs = CS.ConfigurationSpace(seed=seed)
    for k, d in problem.space.items():
        if d["_type"] == "uniform":
            cs.add(CS.UniformFloatHyperparameter(k, *d["_value"]))
        else:
            cs.add(CS.CategoricalHyperparameter(k, [str(v) for v in d["_value"]]))
    r, sign = problem.max_budget, 1.0 if problem.mode == "minimize" else -1.0
    track = Tracker(problem, max_cost)
    with tempfile.TemporaryDirectory() as out:
        dehb = DEHB(
            cs=cs,
            min_fidelity=1,
            max_fidelity=r,
            eta=3,
            n_workers=1,
            seed=seed,
            output_path=out,
            save_freq=None,  # no files written while it runs
            log_level="ERROR",
        )
        while not track.spent:
            job = dehb.ask()
            steps = int(round(job["fidelity"]))
            params = {k: _grid_value(problem, k, v) for k, v in dict(job["config"]).items()}
            value = problem.at(params, steps)
            dehb.tell(job, {"fitness": sign * value, "cost": steps / r})
            track.trial(steps, value if steps == r else None)
    return track.trace


def nni_methods() -> dict[str, Any]:
    import nni

    return {
        f"NNI {nni.__version__} Hyperband (advisor)": "Hyperband",
        f"NNI {nni.__version__} BOHB (advisor)": "BOHB",
    }


class _TruncnormRvs:
    """scipy.stats.truncnorm.rvs(a, b, loc, scale) for the one call NNI's BOHB makes per dimension
    of each of its num_samples candidates (config_generator.sample_from_largest_budget), without
    scipy's per-call machinery (1.4 ms a call on this machine, three quarters of BOHB's time): the
    same single draw from numpy's global generator and the same arithmetic as scipy 1.17's
    truncnorm._ppf and logsumexp, step by step, so the values are bit-identical (checked by
    `mf_peers.py --check-truncnorm`). Only the case a < 0 < b takes this path (BOHB's m is in
    [0, 1], so a = -m / bw <= 0 <= b = (1 - m) / bw); any other case goes to scipy itself."""

    def __init__(self) -> None:
        import scipy.stats

        self.scipy = scipy.stats.truncnorm

    @staticmethod
    def _log_sum(x: Any, y: Any) -> Any:  # scipy.special.logsumexp([x, y]) for real x, y
        hi, lo = (x, y) if x >= y else (y, x)
        if x == y:
            return np.log1p(np.float64(0.0)) + np.log(np.float64(2.0)) + hi
        return np.log1p(np.exp(lo - hi)) + np.log(np.float64(1.0)) + hi

    def rvs(self, a: float, b: float, loc: float = 0.0, scale: float = 1.0) -> Any:
        if not (a < 0 < b):
            return self.scipy.rvs(a, b, loc=loc, scale=scale)
        from scipy import special as sc

        q = np.random.uniform(size=())
        a, b = np.float64(a), np.float64(b)
        mass = sc.log1p(-sc.ndtr(a) - sc.ndtr(-b))  # _log_gauss_mass, its central case
        y = sc.ndtri_exp(self._log_sum(sc.log_ndtr(a), np.log(q) + mass))  # _ppf, a < 0
        return (y * scale + loc)[()]


def check_truncnorm(n: int = 20000) -> None:
    """_TruncnormRvs against scipy.stats.truncnorm.rvs on BOHB's kind of arguments, same draws."""
    import scipy.stats

    fast, rng, worst = _TruncnormRvs(), np.random.default_rng(0), 0
    for i in range(n):
        m, bw = rng.random(), 3 * max(rng.random() ** 4, 1e-3)
        np.random.seed(i)
        theirs = scipy.stats.truncnorm.rvs(-m / bw, (1 - m) / bw, loc=m, scale=bw)
        np.random.seed(i)
        ours = fast.rvs(-m / bw, (1 - m) / bw, loc=m, scale=bw)
        worst += ours != theirs
    print(f"truncnorm draws that differ from scipy's: {worst} of {n}")


def run_nni(problem: Problem, advisor: str, seed: int, max_cost: float) -> list:
    """NNI's advisor driven as NNI's manager drives it, with one trial slot: handle_initialize with
    the search space, handle_request_trial_jobs(1) when no job is queued, the job's FINAL metric
    (sequence 0, as nni.report_final_result sends it) through handle_report_metric_data, then
    handle_trial_end. send() is replaced by a queue of the NewTrialJob payloads (no manager, no
    websocket: NNI_TUNER_COMMAND_CHANNEL=ws://_unittest_ skips the connect). A job trains
    TRIAL_BUDGET steps from scratch (NNI restarts a trial at each rung) and pays them.

    Three changes to the objects, none to their algorithms: (1) is_created_in_previous_exp is
    answered False (nothing is recovered in a fresh experiment): NNI 3.0's own compares the string
    parameter ids of these advisors with an int and raises TypeError on the first metric, which
    is NNI issue #5263; (2) seeds: Hyperband's np.random.RandomState() is unseeded, so it is
    replaced by RandomState(seed); BOHB samples from numpy's global generator and its ConfigSpace,
    so both are seeded; (3) BOHB's truncnorm draws go through _TruncnormRvs (bit-identical, 4x
    faster; NNI_BOHB_SCIPY_TRUNCNORM=1 keeps scipy's). As in NNI, BOHB's model files each result
    under the FINAL metric's sequence number as its budget, which is 0 for every trial, so its
    one KDE pools the results of all budgets."""
    import nni
    from nni.runtime.tuner_command_channel import CommandType

    r = problem.max_budget
    np.random.seed(seed)
    random.seed(seed)
    if advisor == "Hyperband":
        from nni.algorithms.hpo.hyperband_advisor import Hyperband

        adv: Any = Hyperband(optimize_mode=problem.mode, R=r, eta=3)
    else:
        from nni.algorithms.hpo.bohb_advisor import BOHB, config_generator

        adv = BOHB(optimize_mode=problem.mode, min_budget=1, max_budget=r, eta=3)
        if os.environ.get("NNI_BOHB_SCIPY_TRUNCNORM") != "1":  # 1: scipy's own, slow (the check)
            config_generator.sps = type("sps", (), {"truncnorm": _TruncnormRvs()})
    queue: list[dict[str, Any]] = []

    def send(command: Any, data: str) -> None:
        if command == CommandType.NewTrialJob:
            queue.append(nni.load(data))

    update = adv.handle_update_search_space

    def seeded_update(data: Any) -> None:  # BOHB samples its first bracket inside handle_initialize
        update(data)
        if advisor == "Hyperband":
            adv.random_state = np.random.RandomState(seed)
        else:
            adv.search_space.seed(seed)

    adv.send = send
    adv.is_created_in_previous_exp = lambda _param_id: False
    adv.handle_update_search_space = seeded_update
    adv.handle_initialize(problem.space)
    track, n = Tracker(problem, max_cost), 0
    while not track.spent:
        if not queue:
            adv.handle_request_trial_jobs(1)
        if not queue:
            raise RuntimeError(f"NNI {advisor} gave no trial with none running")
        job = queue.pop(0)
        params = dict(job["parameters"])
        steps = int(params.pop("TRIAL_BUDGET"))
        params = {k: _grid_value(problem, k, v) for k, v in params.items()}
        value = problem.at(params, steps)
        n += 1
        trial_job_id = f"job{n}"
        metric = {
            "parameter_id": job["parameter_id"],
            "trial_job_id": trial_job_id,
            "type": "FINAL",
            "sequence": 0,
            "value": nni.dump(value),
        }
        adv.handle_report_metric_data(metric)
        adv.handle_trial_end(
            {"trial_job_id": trial_job_id, "event": "SUCCEEDED", "hyper_params": nni.dump(job)}
        )
        track.trial(steps, value if steps == r else None)
    return track.trace


def main() -> None:
    if sys.argv[1:] == ["--check-truncnorm"]:  # in the NNI venv (scipy)
        check_truncnorm()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=("optuna", "syne", "dehb", "nni"))
    parser.add_argument("--max-cost", type=float, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--problems", nargs="*", default=None)
    parser.add_argument("--methods", nargs="*", default=None, help="default: every method of the peer")
    args = parser.parse_args()
    every = problems()
    if args.peer == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        made, run = optuna_methods(), run_optuna
    elif args.peer == "dehb":
        made, run = dehb_methods(), run_dehb
    elif args.peer == "nni":
        made, run = nni_methods(), run_nni
    else:
        import logging
        import warnings

        logging.getLogger("syne_tune").setLevel(logging.ERROR)
        warnings.simplefilter("ignore", FutureWarning)  # pandas, once per KDE fit
        made, run = syne_methods(), run_syne
    if args.methods is not None:
        unknown = sorted(set(args.methods) - set(made))
        if unknown:
            parser.error(f"unknown --methods {unknown}; this peer has {sorted(made)}")
        made = {m: made[m] for m in args.methods}
    stop_at = float(os.environ.get("STOP_AT", "inf"))  # unix time: no seed starts after it
    for seed in args.seeds:  # seed by seed, each run a JSON line as it ends (mf_bench.py --load)
        if time.time() > stop_at:
            print(f"STOP_AT reached: seeds from {seed} on not run", file=sys.stderr)
            break
        for name in args.problems or every:
            for method, make in made.items():
                trace = run(every[name], make, seed, args.max_cost)
                print(
                    json.dumps(
                        {
                            "problem": name,
                            "method": method,
                            "seed": seed,
                            "max_cost": args.max_cost,
                            "trace": trace,
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
