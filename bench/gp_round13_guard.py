"""Thirteenth round, the whole-table guard of `noise+init1+run40` or (VARIANT=...) `noise+init1+ls40`
(bench/gp_round13_declared.md, step 4).

    python bench/gp_round13_guard.py shipped FUNC S0 S1 OUT   # the shipped GP on the seeds that need it
    python bench/gp_round13_guard.py table OUT [OUT ...]       # variant against shipped, per function

`run40` runs the shipped GP's code until 40 trials have finished and then either the noisy model or,
when the noise fitted on the first 40 trials is above 0.03, the shipped model again; its choice draws
nothing from the tuner's generator. So a run with `noisy_kept` 0 is the shipped GP's run (checked:
Michalewicz-5 and Schwefel-4 seeds 100-119 equal the stored rows to the last digit), and the shipped GP
must be run only on the seeds where the variant chose the noisy model and no committed shipped-GP row
exists. `shipped` does that (the tuner itself, as `tuner_seq100.py run gp`), appending rows
{"t": "gp", ...}; `table` compares, per function, the variant with the committed rows, this file's
shipped rows, and (for noisy_kept 0) the variant's own row.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
VARIANT = os.environ.get("VARIANT", "noise+init1+run40")  # or noise+init1+ls40
# committed rows of the GP as shipped now (init1, 4e2f912 and later): file -> tuner label
COMMITTED = {
    "tuner_gp_round8_table.jsonl": "init1",
    "tuner_gp_round9_table.jsonl": "init1",
    "tuner_gp_round10_table.jsonl": "gp",
    "tuner_par100_smac_gp.jsonl": "gp",
}


def rows(paths: list[str], label: str, func: str) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for path in paths:
        full = path if os.path.isabs(path) else os.path.join(HERE, path)
        if not os.path.exists(full):
            continue
        with open(full) as fh:
            for line in fh:
                r = json.loads(line)
                if r["t"] == label and r["f"] == func and r.get("p", 1) == 1:
                    out[r["s"]] = r
    return out


def committed(func: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for path, label in COMMITTED.items():
        out.update({s: r["r"] for s, r in rows([path], label, func).items()})
    return out


def shipped(func: str, s0: int, s1: int, out: str, variant_files: list[str]) -> None:
    import tuner_problems as tp

    var = rows(variant_files, VARIANT, func)
    have = committed(func) | {s: r["r"] for s, r in rows([out], "gp", func).items()}
    stop_at = float(os.environ.get("STOP_AT", "inf"))
    for s in range(s0, s1):
        if s in have or s not in var or var[s].get("noisy_kept", 0) == 0 or time.time() > stop_at:
            continue
        t = time.perf_counter()
        best, _ = tp.run_autolab("gp", func, 100, s, 1, {})
        row = {"t": "gp", "f": func, "s": s, "r": float(best - tp.FUNCS[func][1])}
        row["sec"] = round(time.perf_counter() - t, 2)
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def table(paths: list[str]) -> None:
    funcs = sorted(
        {
            json.loads(x)["f"]
            for p in paths
            for x in open(os.path.join(HERE, p) if not os.path.isabs(p) else p)
        }
    )
    print(f"| function | seeds | {VARIANT} | shipped GP | wins / losses, p | seeds on the noisy model |")
    print("|---|---|---:|---:|---|---|")
    for f in funcs:
        var = rows(paths, VARIANT, f)
        ship = committed(f) | {s: r["r"] for s, r in rows(paths, "gp", f).items()}
        ship |= {s: r["r"] for s, r in var.items() if r.get("noisy_kept", 0) == 0 and s not in ship}
        seeds = sorted(s for s in var if s in ship and s < 49)
        if not seeds:
            continue
        a = np.array([var[s]["r"] for s in seeds])
        b = np.array([ship[s] for s in seeds])
        w, lo = int(np.sum(a < b)), int(np.sum(a > b))
        p = binomtest(w, w + lo).pvalue if w + lo else 1.0
        chose = sum(var[s].get("noisy_kept", 0) > 0 for s in seeds)
        rng = f"{seeds[0]}-{seeds[-1]} ({len(seeds)})"
        print(f"| {f} | {rng} | {np.median(a):.4g} | {np.median(b):.4g} | {w} / {lo}, p {p:.2g} | {chose} |")


if __name__ == "__main__":
    if sys.argv[1] == "shipped":
        shipped(
            sys.argv[2],
            int(sys.argv[3]),
            int(sys.argv[4]),
            sys.argv[5],
            sys.argv[6:] or ["tuner_gp_round13_guard.jsonl"],
        )
    else:
        table(sys.argv[2:])
