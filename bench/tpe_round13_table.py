"""Issue 24 thirteenth round: the attempts of tuner_par100_round13.jsonl (bench/tpe_round13_declared.md).

    python bench/tpe_round13_table.py screen FUNC [LO HI]   # selection seeds: every attempt against the shipped `tpe`
    python bench/tpe_round13_table.py report VARIANT        # seeds 0-99: the rule, and the 10-seed blocks
                                                            # (functions with 2 rows or fewer: committed rows, checked equal)

screen: per attempt, on the seeds it shares with the shipped rows (and sequential, where present):
median, ratio to sequential, better / worse than shipped with the two-sided sign test, 10-seed blocks
within 1.5x and the resampled probability that a random 10-seed draw is within 1.5x (seeds paired).
Shipped 8-running rows: `tpe` in tuner_par100_round13.jsonl, and for the three functions the round's
gate reaches (never jumped) `tpe` with 8 running in tuner_par100_attempts.jsonl (seeds 100-134).
Sequential: `tpe` with 1 running in tuner_par100_attempts.jsonl and tuner_par100_round13.jsonl.
"""

# ruff: noqa: E501  (a measuring script: table rows)
from __future__ import annotations

import os
import sys

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tpe_round13_blocks import shipped_rows  # noqa: E402
from tuner_par100 import ORDER, load  # noqa: E402

NEW = os.path.join(HERE, "tuner_par100_round13.jsonl")
REPORT = os.path.join(HERE, "tuner_par100_round13_report.jsonl")  # report seeds 0-99
GATED = ("rosenbrock4", "schwefel4", "branin")


def pass_share(a: np.ndarray, b: np.ndarray, draws: int = 20000) -> float:
    rng = np.random.default_rng(0)
    ok = 0
    for _ in range(draws):
        i = rng.choice(len(a), 10, replace=False)
        ok += np.median(a[i]) <= 1.5 * np.median(b[i])
    return ok / draws


def blocks(seeds: list[int], a: dict, b: dict) -> str:
    out = []
    for lo in range(min(seeds) - min(seeds) % 10, max(seeds) + 1, 10):
        blk = [s for s in range(lo, lo + 10) if s in a and s in b]
        if len(blk) == 10:
            out.append(np.median([a[s] for s in blk]) <= 1.5 * np.median([b[s] for s in blk]))
    return f"{sum(out)} / {len(out)}"


def screen(func: str, lo: int, hi: int) -> None:
    new = load([NEW])
    old = load([os.path.join(HERE, "tuner_par100_attempts.jsonl")])
    ship = {**(old[func, "tpe", 8] if func in GATED else {}), **new[func, "tpe", 8]}
    seq = {**old[func, "tpe", 1], **new[func, "tpe", 1]}
    print(f"\n{func}, seeds {lo}-{hi - 1}")
    print(
        "| tuner | seeds | median | shipped | sequential | ratio (shipped) | better / worse, p | blocks within 1.5x (shipped) | P(10-seed draw within 1.5x) (shipped) |"
    )
    print("|---|---:|---:|---:|---:|---|---|---|---|")
    for (f, t, p), rows in sorted(new.items()):
        if f != func or p != 8:
            continue
        seeds = sorted(s for s in set(rows) & set(ship) if lo <= s < hi)
        if not seeds:
            continue
        a, b = np.array([rows[s] for s in seeds]), np.array([ship[s] for s in seeds])
        w, n_worse = int(np.sum(a < b)), int(np.sum(a > b))
        pv = binomtest(w, w + n_worse).pvalue if w + n_worse else 1.0
        qs = [s for s in seeds if s in seq]
        line = f"| {t} | {len(seeds)} | {np.median(a):.4g} | {np.median(b):.4g} | "
        if len(qs) >= 10:
            sa, sb, sq = (np.array([d[s] for s in qs]) for d in (rows, ship, seq))
            line += (
                f"{np.median(sq):.4g} ({len(qs)}) | {np.median(sa) / np.median(sq):.2f}x ({np.median(sb) / np.median(sq):.2f}x)"
                f" | {w} / {n_worse}, {pv:.2g} | {blocks(qs, rows, seq)} ({blocks(qs, ship, seq)})"
                f" | {pass_share(sa, sq):.2f} ({pass_share(sb, sq):.2f}) |"
            )
        else:
            line += f" | | {w} / {n_worse}, {pv:.2g} | | |"
        print(line)


def report(variant: str) -> None:
    s1, p8 = shipped_rows()
    new = load([REPORT])
    ok_all = True
    print(f"\n{variant}, report seeds 0-99 (8 running; committed rows otherwise)")
    print(
        "| function | seeds | sequential | committed (ratio) | variant (ratio) | better / worse, p | blocks within 1.5x: committed / variant | verdict |"
    )
    print("|---|---:|---:|---:|---:|---|---|---|")
    for func in ORDER:
        ran = new.get((func, variant, 8), {})
        v = ran if len(ran) > 2 else p8[func]  # 2 seeds or fewer: an equality check of the others
        seeds = [s for s in range(100) if s in v and s in p8[func] and s in s1[func]]
        a, c, q = (np.array([d[s] for s in seeds]) for d in (v, p8[func], s1[func]))
        w, n_worse = int(np.sum(a < c)), int(np.sum(a > c))
        pv = binomtest(w, w + n_worse).pvalue if w + n_worse else 1.0
        ok = len(seeds) == 100 and not (pv < 0.05 and n_worse > w) and np.median(a) <= 1.5 * np.median(q)
        ok_all &= ok
        same = sum(ran[k] == p8[func].get(k) for k in ran)
        tag = (
            ""
            if len(ran) > 2
            else f" (shipped code by construction; {same} / {len(ran)} checked seeds equal)"
        )
        print(
            f"| {func}{tag} | {len(seeds)} | {np.median(q):.3g} | {np.median(c):.3g} ({np.median(c) / np.median(q):.2f}x)"
            f" | {np.median(a):.3g} ({np.median(a) / np.median(q):.2f}x) | {w} / {n_worse}, {pv:.2g}"
            f" | {blocks(seeds, p8[func], s1[func])} / {blocks(seeds, v, s1[func])} | {'pass' if ok else '**FAIL**'} |"
        )
    print(f"\nrule: {'met' if ok_all else 'NOT met'}")


if __name__ == "__main__":
    if sys.argv[1] == "screen":
        a = sys.argv[3:5]
        screen(sys.argv[2], int(a[0]) if a else 100, int(a[1]) if len(a) > 1 else 200)
    else:
        report(sys.argv[2])
