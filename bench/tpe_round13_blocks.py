"""Issue 24 thirteenth round, step 1: how noisy is a 10-seed median ratio (8 running / sequential)?

    python bench/tpe_round13_blocks.py [LO HI] [adopted]   # seeds LO..HI-1 (default 0 100) in 10-seed blocks
                                                          # adopted: Rosenbrock-4 as adopted this round

The shipped code's rows: sequential `tpe` (tuner_seq100.jsonl); 8 running: the shipped jumps'
rows (tpe-jump:s4:u:band40q5:n5 in tuner_par100_attempts.jsonl + tuner_par100_round12.jsonl) for the
eight gated functions, the committed `tpe` rows (tuner_par100.jsonl) for the five the gate excludes
(bit-identical there), plus `tpe` rows of tuner_par100_round12_attempts.jsonl (the shipped code,
selection seeds 100+). Per function: the ratio of medians per block, how many blocks are within 1.5x,
and the ratio over all the seeds; then how many blocks pass on all 13 at once.
"""

from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tpe_round12_table import ATTEMPT, EXCLUDED  # noqa: E402
from tuner_par100 import ORDER, load  # noqa: E402


def shipped_rows(extra: list[str] | None = None) -> tuple[dict, dict]:
    seq = load([os.path.join(HERE, "tuner_seq100.jsonl")])
    par = load([os.path.join(HERE, "tuner_par100.jsonl")])
    att = load([os.path.join(HERE, p) for p in ("tuner_par100_attempts.jsonl", "tuner_par100_round12.jsonl")])
    r12 = load(
        [os.path.join(HERE, "tuner_par100_round12_attempts.jsonl")]
        + [os.path.join(HERE, p) for p in extra or []]
    )
    s1, p8 = {}, {}
    for func in ORDER:
        s1[func] = dict(seq[func, "tpe", 1])
        p8[func] = dict(par[func, "tpe", 8]) if func in EXCLUDED else dict(att[func, ATTEMPT, 8])
        p8[func].update(r12.get((func, "tpe", 8), {}))
        s1[func].update(r12.get((func, "tpe", 1), {}))
    return s1, p8


def main(lo: int, hi: int) -> None:
    s1, p8 = shipped_rows()
    if "adopted" in sys.argv:  # this round's adoption: Rosenbrock-4's 8-running rows of dl3+n3
        rows = load([os.path.join(HERE, "tuner_par100_round13_report.jsonl")])
        p8["rosenbrock4"] = dict(rows["rosenbrock4", "tpe-r13:dl3+n3", 8])
        print("8 running: as adopted this round (Rosenbrock-4: dl3+n3, tuner_par100_round13_report.jsonl)")
    blocks = list(range(lo, hi, 10))
    passes = np.ones(len(blocks), bool)
    print(f"seeds {lo}-{hi - 1}, blocks of 10; cells: ratio of medians (8 running / sequential)")
    print("| function | " + " | ".join(f"{b}-{b + 9}" for b in blocks) + " | within 1.5x | all seeds |")
    print("|---|" + "---:|" * (len(blocks) + 2))
    for func in ORDER:
        cells, oks = [], []
        for b in blocks:
            seeds = [s for s in range(b, b + 10) if s in s1[func] and s in p8[func]]
            if len(seeds) < 10:
                cells.append(f"({len(seeds)})")
                oks.append(False)
                continue
            r = float(np.median([p8[func][s] for s in seeds]) / np.median([s1[func][s] for s in seeds]))
            cells.append(f"**{r:.2f}**" if r > 1.5 else f"{r:.2f}")
            oks.append(r <= 1.5)
        passes &= np.array(oks)
        seeds = [s for s in range(lo, hi) if s in s1[func] and s in p8[func]]
        ra = np.median([p8[func][s] for s in seeds]) / np.median([s1[func][s] for s in seeds])
        print(
            f"| {func} | " + " | ".join(cells) + f" | {sum(oks)} / {len(blocks)} | {ra:.2f}x ({len(seeds)}) |"
        )
    print(f"\nblocks passing on all 13 at once: {int(passes.sum())} / {len(blocks)}")
    resample(s1, p8, lo, hi)


def resample(s1: dict, p8: dict, lo: int, hi: int, draws: int = 20000) -> None:
    """P(a random 10-seed draw is within 1.5x): 8 running against sequential on the same 10 seeds,
    and two nulls where both sides are one algorithm on disjoint 10-seed draws (sequential against
    sequential, 8 running against 8 running); then the share of draws passing on all 13 at once."""
    rng = np.random.default_rng(0)
    both = {"paired": np.ones(draws, bool), "seq / seq": np.ones(draws, bool)}
    print("\n| function | P, 8 running / sequential (same seeds) | P, sequential / sequential | P, 8 / 8 |")
    print("|---|---:|---:|---:|")
    for func in ORDER:
        seeds = [s for s in range(lo, hi) if s in s1[func] and s in p8[func]]
        a, b = np.array([p8[func][s] for s in seeds]), np.array([s1[func][s] for s in seeds])
        ok = np.empty((3, draws), bool)
        for i in range(draws):
            idx = rng.choice(len(seeds), 10, replace=False)
            j = rng.permutation(len(seeds))
            ok[0, i] = np.median(a[idx]) <= 1.5 * np.median(b[idx])
            ok[1, i] = np.median(b[j[:10]]) <= 1.5 * np.median(b[j[10:20]])
            ok[2, i] = np.median(a[j[:10]]) <= 1.5 * np.median(a[j[10:20]])
        both["paired"] &= ok[0]
        both["seq / seq"] &= ok[1]
        print(f"| {func} | {ok[0].mean():.2f} | {ok[1].mean():.2f} | {ok[2].mean():.2f} |")
    print(", ".join(f"all 13 at once, {k}: {v.mean():.3f}" for k, v in both.items()))


if __name__ == "__main__":
    a = [x for x in sys.argv[1:3] if x.isdigit()]
    main(int(a[0]) if a else 0, int(a[1]) if len(a) > 1 else 100)
