"""Assessor benchmark on real learning curves (MLPClassifier on digits, epoch by epoch).

Simulates sequential experiments in-process: tuner.suggest -> train epoch by epoch, calling the
assessor after each epoch -> stop or finish. Every assessor sees identical curves for identical
parameters (curves are trained once and replayed), and the wall time is the measured training time
of the epochs actually run plus the time spent in the tuner and the assessor.

    python bench/assessors.py [--seeds 0 1 2] [--trials 60] [--tuners random tpe]

Needs NNI 3.0 in its own venv for the NNI column (python -m venv /tmp/venv-nni &&
/tmp/venv-nni/bin/pip install nni); without it that column is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from assessor_curves import SEARCH_SPACE, CurveCache  # noqa: E402
from assessor_nni import NniAssessor  # noqa: E402

from autolab.assessors import Assessor, create_assessor  # noqa: E402
from autolab.history import History, Trial, TrialStatus  # noqa: E402
from autolab.searchspace import SearchSpace  # noqa: E402
from autolab.tuners import BUILTIN, create_tuner  # noqa: E402


@dataclass
class Run:
    epochs: int = 0
    best: float = float("-inf")
    wall: float = 0.0
    stopped: int = 0
    assess_calls: int = 0
    assess_time: float = 0.0
    assess_max: float = 0.0
    disagreements: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def simulate(tuner_name: str, seed: int, kind: str, args: argparse.Namespace, cache: CurveCache) -> Run:
    space = SearchSpace(SEARCH_SPACE)
    tuner = create_tuner(space, tuner_name, {"optimize_mode": "maximize", "seed": seed})
    ms_args = {"optimize_mode": "maximize", "start_step": args.start_step}
    ours: Assessor | None = None
    nni: NniAssessor | None = None
    check: Assessor | None = None
    if kind == "medianstop":
        ours = create_assessor("Medianstop", ms_args)
    elif kind == "curvefitting":
        ours = create_assessor(
            "Curvefitting",
            {
                "optimize_mode": "maximize",
                "epoch_num": args.epochs,
                "start_step": args.cf_start_step,
                "threshold": args.threshold,
            },
        )
    elif kind == "nni-medianstop":
        nni = NniAssessor(args.nni_python, ms_args)
        check = create_assessor("Medianstop", ms_args)
    run = Run()
    history = History()
    for i in range(args.trials):
        t0 = time.perf_counter()
        params = tuner.suggest(history)
        run.wall += time.perf_counter() - t0
        trial = Trial(trial_id=f"t{i}", sequence=i, parameters=params, status=TrialStatus.RUNNING)
        history.trials.append(trial)
        accs, times = cache.curve(params, seed)
        stopped = False
        for epoch in range(args.epochs):
            trial.intermediate.append(accs[epoch])
            run.epochs += 1
            run.wall += times[epoch]
            if ours is None and nni is None:
                continue
            t0 = time.perf_counter()
            if nni is not None:
                stop = nni.assess(trial.trial_id, list(trial.intermediate))
            else:
                assert ours is not None
                stop = ours.should_stop(trial, history)
            took = time.perf_counter() - t0
            if nni is None:  # the NNI column pays a pipe round trip: not its algorithm's time
                run.wall += took
            run.assess_calls += 1
            run.assess_time += took
            run.assess_max = max(run.assess_max, took)
            if check is not None and check.should_stop(trial, history) != stop:
                if os.environ.get("BENCH_DEBUG"):
                    print(
                        "# disagree",
                        trial.intermediate,
                        stop,
                        [t.intermediate[: len(trial.intermediate)] for t in history.completed()],
                    )
                run.disagreements += 1
            if stop:
                stopped = True
                break
        if stopped:
            trial.status = TrialStatus.EARLY_STOPPED
            run.stopped += 1
        else:
            trial.status = TrialStatus.SUCCEEDED
            trial.value = accs[-1]
            run.best = max(run.best, trial.value)
        if nni is not None:
            nni.trial_end(trial.trial_id, not stopped)
    if nni is not None:
        nni.close()
    return run


def print_table(results: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """Markdown table of the medians over seeds (runs as dicts, as written to --json)."""
    print(
        "| tuner | assessor | epochs run | saved | best final acc | vs none (pp) | worst seed vs none (pp) "
        "| stopped trials | wall s | assessor ms/call (mean / max) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for tuner_name, by_kind in results.items():
        base = by_kind["none"]
        base_epochs = statistics.median(r["epochs"] for r in base)
        base_best = statistics.median(r["best"] for r in base)
        for kind, runs in by_kind.items():
            epochs = statistics.median(r["epochs"] for r in runs)
            best = statistics.median(r["best"] for r in runs)
            worst = min(r["best"] - b["best"] for r, b in zip(runs, base, strict=True))
            calls = sum(r["assess_calls"] for r in runs)
            ms = (
                (
                    f"{1000 * sum(r['assess_time'] for r in runs) / calls:.2f} / "
                    f"{1000 * max(r['assess_max'] for r in runs):.1f}"
                )
                if calls
                else "-"
            )
            if kind == "nni-medianstop":
                ms += f" (pipe; {sum(r['disagreements'] for r in runs)} decisions differ from autolab)"
            print(
                f"| {tuner_name} | {kind} | {epochs:.0f} | {100 * (1 - epochs / base_epochs):.0f}% | "
                f"{100 * best:.2f}% | {100 * (best - base_best):+.2f} | {100 * worst:+.2f} | "
                f"{statistics.median(r['stopped'] for r in runs):.0f} | "
                f"{statistics.median(r['wall'] for r in runs):.1f} | {ms} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--tuners", nargs="+", default=["random", "tpe"])
    parser.add_argument(
        "--kinds", nargs="+", default=["none", "medianstop", "nni-medianstop", "curvefitting"]
    )
    parser.add_argument("--start-step", type=int, default=0, help="Medianstop start_step")
    parser.add_argument("--cf-start-step", type=int, default=6, help="Curvefitting start_step")
    parser.add_argument("--threshold", type=float, default=0.95, help="Curvefitting threshold")
    parser.add_argument("--nni-python", default="/tmp/venv-nni/bin/python")
    parser.add_argument("--json", help="write every run's figures here")
    parser.add_argument("--table-from", help="only print the table of a --json file written before")
    args = parser.parse_args()
    if args.table_from:
        with open(args.table_from) as f:
            print_table(json.load(f))
        return

    kinds = list(args.kinds)
    if "nni-medianstop" in kinds and not os.path.exists(args.nni_python):
        print(f"# {args.nni_python} not found: NNI column skipped")
        kinds.remove("nni-medianstop")
    tuners = [t for t in args.tuners if t.lower() in BUILTIN]
    for t in set(args.tuners) - set(tuners):
        print(f"# tuner {t!r} is not registered in autolab.tuners.BUILTIN: skipped")
    cache = CurveCache(args.epochs)
    results: dict[str, dict[str, list[Run]]] = {}
    for tuner_name in tuners:
        for kind in kinds:
            for seed in args.seeds:
                run = simulate(tuner_name, seed, kind, args, cache)
                results.setdefault(tuner_name, {}).setdefault(kind, []).append(run)
                print(
                    f"# {tuner_name:7} {kind:15} seed {seed}: epochs {run.epochs:5} best {run.best:.4f} "
                    f"stopped {run.stopped:3} wall {run.wall:6.1f}s disagreements {run.disagreements}",
                    flush=True,
                )

    print(
        f"\n{len(args.seeds)} seeds x {args.trials} trials x {args.epochs} epochs; medians over seeds; "
        f"curves trained: {cache.trained}"
    )
    print_table({t: {k: [vars(r) for r in runs] for k, runs in bk.items()} for t, bk in results.items()})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {t: {k: [vars(r) for r in runs] for k, runs in bk.items()} for t, bk in results.items()},
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
