"""8 trials always running against sequential, one seed per JSON line (issue 24, sixth round).

    python bench/tuner_par100.py run TUNER FUNCS SEED0 SEED1 OUT [PARALLEL]   # seeds [SEED0, SEED1)
    python bench/tuner_par100.py import OUT                                  # stored per-seed figures
    python bench/tuner_par100.py table SEQ OUT [OUT ...]
    python bench/tuner_par100.py attempts OUT [OUT ...]                      # attempts (SEEDS=a-b: only those)

run: TUNER and FUNCS are comma-separated lists (FUNCS "all": the 100-seed sequential table's
functions); the loop is seed-major (every function and tuner gets seed s before any gets s + 1), so
a run stopped by
STOP_AT=<unix time> leaves every function at the same number of seeds, give or take one. Each
finished seed appends {"t", "f", "s", "p", "r", "sec"} (tuner, function, seed, trials running,
regret at 100 evaluations, wall seconds) and flushes; seeds already in OUT for that tuner, function
and PARALLEL (default 8) are skipped. TUNER: smac, gp (autolab's, through
tuner_problems.run_autolab; TUNER@1: sequential, TUNER@P: P running; the GP skips nested), tpe
(autolab's TPE through
tuner_problems.run_autolab, the loop every earlier round used), tpe-VARIANT (an attempt of
tpe_lp.py patched in: tpe-lp, tpe-lp+liar, tpe-lpmed; or of tpe_slots.py, seventh round; or of
tpe_jump.py, ninth round: tpe-jump:...) or optuna (Optuna's TPE with
constant_liar through tuner_peers.run_optuna_any; run with a Python that has optuna), cmaes
(autolab's CMA-ES as shipped, eleventh round), optuna-cmaes / optuna-gp (Optuna's CmaEsSampler /
GPSampler asked with the others pending, told when each finishes: the same ask/tell loop).

import: appends the per-seed 8-running TPE regrets of Hartmann-6 and mixed stored in
tuner_results_100seeds.json (commit 8d61e65; TPE's code has not changed for those two since:
seeds 0-2 reproduce to the last digit) with "src" naming the file.

table: per function, sequential autolab TPE (SEQ: tuner_seq100.jsonl, on the seeds the parallel
run has) against 8 running: medians, ratio, seeds each side wins, two-sided sign test, and the
Optuna constant_liar column where present; then the same for autolab SMAC and GP (ninth round:
sequential rows from STORED_SEQ and OUT's TUNER@1 rows), with TPE's and Optuna's 8-running medians
on the same seeds beside them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
N_EVALS = 100
ORDER = (
    "rastrigin6 rastrigin6-noisy levy6 griewank8 ackley5 michalewicz5 michalewicz5-noisy schwefel4 rosenbrock4"
    " branin hartmann6 mixed nested"
).split()


def regret(tuner: str, func: str, seed: int, parallel: int) -> float:
    if tuner.split("-")[0] in ("smac", "gp"):
        import smac_gp_par  # the ninth round's attempts ("smac", "gp": the committed code)
        from tuner_problems import FUNCS, run_autolab

        name, _, variant = tuner.partition("-")
        smac_gp_par.install(name, variant or "base")
        return run_autolab(name, func, N_EVALS, seed, parallel)[0] - FUNCS[func][1]
    if tuner == "cmaes":  # autolab's CMA-ES as shipped (eleventh round): running trials are further
        from tuner_problems import FUNCS, run_autolab  # members of the newest generation

        return run_autolab("cmaes", func, N_EVALS, seed, parallel)[0] - FUNCS[func][1]
    if tuner.startswith("tpe"):
        import tpe_jump  # the ninth round's
        import tpe_lp  # the sixth round's attempts, patched in ("tpe": the committed code)
        import tpe_r13  # the thirteenth round's (tpe-r13:NAME)
        import tpe_slots  # the seventh round's
        from tuner_problems import FUNCS, run_autolab  # autolab's Python only

        name = "base" if tuner == "tpe" else tuner.removeprefix("tpe-")
        owner = (
            tpe_r13
            if name.startswith("r13:")
            else tpe_lp
            if name in ("lp", "lp+liar", "lpmed")
            else tpe_jump
            if name.startswith("jump")
            else tpe_slots
        )
        for module in (tpe_lp, tpe_slots, tpe_jump, tpe_r13):
            module.install("base")
        owner.install(name.removeprefix("r13:"))

        return run_autolab("tpe", func, N_EVALS, seed, parallel)[0] - FUNCS[func][1]
    import tuner_peers as tp  # the peers' venv: numpy + optuna, no autolab

    f, space, minimum = tp.FUNCS[func]
    seen = tp.noisy(func, seed) if func in tp.RUGGED else f
    return tp.run_optuna_any(tuner, f, seen, space, N_EVALS, seed, parallel)[0] - minimum


def load(paths: list[str]) -> dict[tuple[str, str, int], dict[int, float]]:
    cells: dict[tuple[str, str, int], dict[int, float]] = defaultdict(dict)
    for path in paths:
        if os.path.exists(path):
            with open(path) as fh:
                for line in fh:
                    row = json.loads(line)
                    cells[row["f"], row["t"], row.get("p", 1)][row["s"]] = row["r"]
    return cells


# sequential rows of the code as now shipped stored by earlier rounds, under the name they ran as:
# SMAC with the exchange interleaving (eighth round, table seeds 0-99 of five functions) and the GP
# with the length scales' search starting at 1 (eighth round, seeds 0-19 of the rugged suite)
STORED_SEQ = {
    "smac": ("tuner_schwefel_round8_table.jsonl", "smac-exch"),
    "gp": ("tuner_gp_round8_table.jsonl", "init1"),
}


def stored_seq() -> dict[tuple[str, str, int], dict[int, float]]:
    """STORED_SEQ's rows as (function, tuner, 1) cells."""
    cells: dict[tuple[str, str, int], dict[int, float]] = defaultdict(dict)
    for tuner, (path, name) in STORED_SEQ.items():
        for (func, t, p), rows in load([os.path.join(HERE, path)]).items():
            if t == name and p == 1:
                cells[func, tuner, 1].update(rows)
    return cells


def run(tuners: list[str], funcs: list[str], s0: int, s1: int, out: str, parallel: int) -> None:
    """TUNER@P runs that tuner with P running (P 1: sequential; cells STORED_SEQ has are skipped)."""
    cells = load([out])
    have = stored_seq()
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for seed in range(s0, s1):
        for func in funcs:
            for spec in tuners:
                tuner, _, p = spec.partition("@")
                par = int(p) if p else parallel
                if tuner.startswith("gp") and func == "nested":  # the GP does not support nested choice
                    continue
                if seed in cells[func, tuner, par] or (par == 1 and seed in have[func, tuner, 1]):
                    continue
                if time.time() > stop_at:
                    return
                start = time.perf_counter()
                r = float(regret(tuner, func, seed, par))
                row = {"t": tuner, "f": func, "s": seed, "p": par, "r": r}
                row["sec"] = round(time.perf_counter() - start, 2)
                with open(out, "a") as fh:
                    fh.write(json.dumps(row) + "\n")


def import_stored(out: str) -> None:
    src = "tuner_results_100seeds.json"
    with open(os.path.join(HERE, src)) as fh:
        stored = json.load(fh)["parallel"]
    done = load([out])
    with open(out, "a") as fh:
        for func in ("hartmann6", "mixed"):
            for seed, r in enumerate(stored[func]["tpe"]["regrets"]):
                if seed not in done[func, "tpe", 8]:
                    fh.write(
                        json.dumps({"t": "tpe", "f": func, "s": seed, "p": 8, "r": r, "src": src}) + "\n"
                    )


def table(seq_path: str, paths: list[str]) -> None:
    seq, par = load([seq_path]), load(paths)
    print(
        "| function | seeds | autolab TPE seq | autolab TPE 8 running | ratio | within 1.5x"
        " | seeds won seq / 8 running, sign test p | Optuna TPE 8 running (constant_liar) |"
    )
    print("|---|---:|---:|---:|---:|---|---|---:|")
    for func in ORDER:
        p8 = par.get((func, "tpe", 8), {})
        s1 = seq.get((func, "tpe", 1), {})
        common = sorted(set(p8) & set(s1))
        if not common:
            continue
        a = np.array([s1[s] for s in common])
        b = np.array([p8[s] for s in common])
        ma, mb = float(np.median(a)), float(np.median(b))
        wa, wb = int(np.sum(a < b)), int(np.sum(b < a))
        p = binomtest(wa, wa + wb).pvalue if wa + wb else 1.0
        opt = par.get((func, "optuna", 8), {})
        on = [opt[s] for s in common if s in opt]
        ocell = f"{np.median(on):.3g}" + ("" if len(on) == len(common) else f" ({len(on)})") if on else ""
        print(
            f"| {func} | {len(common)} | {ma:.3g} | {mb:.3g} | {mb / ma:.2f}x | {'yes' if mb <= 1.5 * ma else '**no**'}"
            f" | {wa} / {wb}, p {p:.2g} | {ocell} |"
        )


def _pair(seq: dict[int, float], par: dict[int, float], seeds: list[int]) -> tuple[float, float, str]:
    """Medians of sequential and 8 running on `seeds`, and 'ratio, within 1.5x, wins, p' cells."""
    a = np.array([seq[s] for s in seeds])
    b = np.array([par[s] for s in seeds])
    ma, mb = float(np.median(a)), float(np.median(b))
    wa, wb = int(np.sum(a < b)), int(np.sum(b < a))
    p = binomtest(wa, wa + wb).pvalue if wa + wb else 1.0
    ok = "yes" if mb <= 1.5 * ma else "**no**"
    return ma, mb, f"{mb / ma:.2f}x | {ok} | {wa} / {wb}, p {p:.2g}"


def table_smac_gp(paths: list[str]) -> None:
    """Autolab SMAC and GP, sequential against 8 running, on the seeds where every cell of the row
    has a result (nested: SMAC only, the GP does not take nested choice); beside them TPE's and
    Optuna's (constant_liar) 8-running medians on those seeds (Optuna: the seeds it has)."""
    cells = load(paths)
    seq = stored_seq()
    for key, rows in cells.items():
        if key[2] == 1 and key[1] in ("smac", "gp"):
            seq[key].update(rows)
    print(
        "| function | seeds | SMAC seq | SMAC 8 running | ratio | within 1.5x | seeds won seq / 8, p"
        " | GP seq | GP 8 running | ratio | within 1.5x | seeds won seq / 8, p"
        " | TPE 8 running | Optuna TPE 8 running (constant_liar) |"
    )
    print("|---|---:|---:|---:|---:|---|---|---:|---:|---:|---|---|---:|---:|")
    for func in ORDER:
        tuners = ("smac",) if func == "nested" else ("smac", "gp")
        sets = [set(seq.get((func, t, 1), {})) & set(cells.get((func, t, 8), {})) for t in tuners]
        common = sorted(set.intersection(*sets))
        if not common:
            continue
        row = [func, str(len(common))]
        for t in ("smac", "gp"):
            if t in tuners:
                ma, mb, rest = _pair(seq[func, t, 1], cells[func, t, 8], common)
                row += [f"{ma:.3g}", f"{mb:.3g}", rest]
            else:
                row += ["", "", " |  | "]
        tpe = cells.get((func, "tpe", 8), {})
        tn = [tpe[s] for s in common if s in tpe]
        row.append(f"{np.median(tn):.3g}" + ("" if len(tn) == len(common) else f" ({len(tn)})") if tn else "")
        opt = cells.get((func, "optuna", 8), {})
        on = [opt[s] for s in common if s in opt]
        row.append(f"{np.median(on):.3g}" + ("" if len(on) == len(common) else f" ({len(on)})") if on else "")
        print("| " + " | ".join(row) + " |")


def attempts(paths: list[str]) -> None:
    """Per function, each attempt against its committed tuner ("tpe", "smac" or "gp": the name
    before the first '-') with 8 running, on the seeds both have: medians, the seeds it beats /
    loses to it with the sign test, and the committed tuner's sequential median on those seeds where
    the file has it (PARALLEL 1); Levy-6 also the basin share (runs ending below 1.5, the global
    basin)."""
    cells = load(paths)
    lo, hi = (int(v) for v in os.environ.get("SEEDS", "0-100000").split("-"))  # SEEDS=a-b: only those
    bases = ("tpe", "smac", "gp", "optuna")
    par = int(os.environ.get("PAR", "8"))  # PAR=1: the attempts run sequentially, against sequential runs
    for func in ORDER:
        for t in sorted({t for f, t, p in cells if f == func and p == par and t not in bases}):
            name = t.split("-")[0]
            base, seq = cells.get((func, name, par), {}), cells.get((func, name, 1), {})
            common = sorted(s for s in set(cells[func, t, par]) & set(base) if lo <= s <= hi)
            if not common:
                continue
            r = np.array([cells[func, t, par][s] for s in common])
            b = np.array([base[s] for s in common])
            wa, wb = int(np.sum(r < b)), int(np.sum(b < r))
            p = binomtest(wa, wa + wb).pvalue if wa + wb else 1.0
            basin = f" (basin {np.mean(r < 1.5):.0%} / {np.mean(b < 1.5):.0%})" if func == "levy6" else ""
            s1 = [seq[s] for s in common if s in seq]
            sq = f"; sequential {np.median(s1):.3g}" if len(s1) == len(common) else ""
            print(
                f"{func} {t} vs {name}, seeds {common[0]}-{common[-1]} ({len(common)}): {np.median(r):.3g} vs"
                f" {np.median(b):.3g}{basin}{sq}; better / worse on {wa} / {wb}, p {p:.2g}"
            )


if __name__ == "__main__":
    if sys.argv[1] == "run":
        names = ORDER if sys.argv[3] == "all" else sys.argv[3].split(",")
        par = int(sys.argv[7]) if len(sys.argv) > 7 else 8
        run(sys.argv[2].split(","), names, int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], par)
    elif sys.argv[1] == "import":
        import_stored(sys.argv[2])
    elif sys.argv[1] == "attempts":
        attempts(sys.argv[2:])
    else:
        table(sys.argv[2], sys.argv[3:])
        print()
        table_smac_gp(sys.argv[3:])
