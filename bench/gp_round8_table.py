"""The eighth round's table seeds: a variant of bench/gp_try.py (rows in
bench/tuner_gp_round8_table.jsonl) against Optuna's GPSampler and the GP as shipped (the seventh
round's stored rows), on the seeds all three have.

    python bench/gp_round8_table.py [VARIANT [FILE [BEFORE_FILE:BEFORE_TUNER]]]    # default init1

Ninth round: `gp_round8_table.py gp tuner_gp_round9_table.jsonl tuner_gp_round8_table.jsonl:init1`
(the GP as now shipped against GPSampler and the eighth round's GP); seeds 0-19.
SEEDS=40 (environment): seeds 0-39; FILE and BEFORE_FILE may be comma-separated lists of files, and
GPSampler's rows are read from tuner_gp_gpsampler.jsonl and FILE too.
"""

import json
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCS = (
    "griewank8 levy6 rastrigin6-noisy rastrigin6 schwefel4 ackley5 michalewicz5 michalewicz5-noisy".split()
)


SEEDS = int(os.environ.get("SEEDS", "20"))


def rows(paths: str, tuner: str) -> dict:
    out: dict = defaultdict(dict)
    secs: dict = defaultdict(list)
    for path in paths.split(","):
        with open(os.path.join(HERE, path)) as fh:
            for line in fh:
                r = json.loads(line)
                if r["t"] == tuner and r["s"] < SEEDS:
                    out[r["f"]][r["s"]] = r["r"]
                    secs[r["f"]].append(r["sec"])
    return out, secs


def duel(a: dict, b: dict, seeds: list) -> str:
    w = sum(a[s] < b[s] for s in seeds)
    lo = sum(a[s] > b[s] for s in seeds)
    p = binomtest(w, w + lo).pvalue if w + lo else 1.0
    return f"{w} / {lo}, p {p:.2g}"


args = sys.argv[1:]
new_files = args[1] if len(args) > 1 else "tuner_gp_round8_table.jsonl"
new, new_sec = rows(new_files, args[0] if args else "init1")
sampler, sampler_sec = rows(
    ",".join(dict.fromkeys(["tuner_gp_gpsampler.jsonl", *new_files.split(",")])), "optuna-gp"
)
old: dict = defaultdict(dict)
before = [a.split(":") for a in args[2:3]] or [
    (path, "gp") for path in ("tuner_seq100.jsonl", "tuner_seq100_peers.jsonl", "tuner_gp_gpsampler.jsonl")
]
for path, tuner in before:
    for f, cell in rows(path, tuner)[0].items():
        old[f].update(cell)
print(
    "| function | seeds | GP variant | GP as shipped | Optuna GPSampler | variant / GPSampler wins, p"
    " | variant / shipped wins, p | s a run: variant, GPSampler (stored) |"
)
print("|---|---|---:|---:|---:|---|---|---|")
for f in FUNCS:
    seeds = sorted(set(new[f]) & set(sampler[f]))
    if not seeds:
        continue
    both = [s for s in seeds if s in old[f]]  # the before rows may cover fewer seeds ("-": none)
    med = [np.median([new[f][s] for s in seeds]), np.median([old[f][s] for s in both]) if both else np.inf]
    med.insert(2, np.median([sampler[f][s] for s in seeds]))
    best = min(med)
    cells = [f"**{m:.4g}**" if m == best else f"{m:.4g}" if np.isfinite(m) else "-" for m in med]
    print(
        f"| {f} | {min(seeds)}-{max(seeds)} ({len(seeds)}) | "
        + " | ".join(cells)
        + f" | {duel(new[f], sampler[f], seeds)} | {duel(new[f], old[f], both) if both else '-'}"
        + f" | {np.median(new_sec[f]):.1f}, {np.median(sampler_sec[f]):.1f} |"
    )
