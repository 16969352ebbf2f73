"""Issue 24 twelfth round: the declared rule (bench/tpe_round12_declared.md) on the 8-running table.

    python bench/tpe_round12_table.py [SEEDS]     # SEEDS a-b (default 0-99); also prints 0-9 and 0-48
    python bench/tpe_round12_table.py screen      # item 4: the attempts of tuner_par100_round12_attempts.jsonl
                                                  # against the shipped jumps' rows (selection seeds)

Per function of tuner_par100.py's ORDER: sequential `tpe` (tuner_seq100.jsonl), committed `tpe` with
8 running (tuner_par100.jsonl) and the attempt `tpe-jump:s4:u:band40q5:n5` (tuner_par100_attempts.jsonl +
tuner_par100_round12.jsonl); for the five functions the n5 gate excludes the attempt is the committed
code (checked bit-identical on seeds 0-2), so its cells are the committed rows. Medians, ratio to
sequential, attempt better / worse than committed with the two-sided sign test, and the rule's verdict
((a) no p < 0.05 with more seeds worse, (b) ratio <= 1.5). Only seeds every needed row has are used,
and the number is printed.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from scipy.stats import binomtest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tuner_par100 import ORDER, load  # noqa: E402

ATTEMPT = "tpe-jump:s4:u:band40q5:n5"
EXCLUDED = {"schwefel4", "rosenbrock4", "branin", "mixed", "nested"}


def rows(lo: int, hi: int) -> bool:
    seq = load([os.path.join(HERE, "tuner_seq100.jsonl")])
    par = load([os.path.join(HERE, "tuner_par100.jsonl")])
    att = load([os.path.join(HERE, p) for p in ("tuner_par100_attempts.jsonl", "tuner_par100_round12.jsonl")])
    print(f"\nseeds {lo}-{hi}")
    print(
        "| function | seeds | sequential | committed 8 (ratio) | attempt 8 | better / worse, p | ratio"
        " | within 1.5x, no loss (the rule: seeds 0-99 only) |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---|")
    ok_all = True
    for func in ORDER:
        s1, c8 = seq[func, "tpe", 1], par[func, "tpe", 8]
        a8 = c8 if func in EXCLUDED else att[func, ATTEMPT, 8]
        seeds = sorted(s for s in set(s1) & set(c8) & set(a8) if lo <= s <= hi)
        if not seeds:
            print(f"| {func} | 0 | | | | | | missing |")
            ok_all = False
            continue
        s = np.array([s1[k] for k in seeds])
        c = np.array([c8[k] for k in seeds])
        a = np.array([a8[k] for k in seeds])
        ms, mc, ma = (float(np.median(v)) for v in (s, c, a))
        wa, wb = int(np.sum(a < c)), int(np.sum(c < a))
        p = binomtest(wa, wa + wb).pvalue if wa + wb else 1.0
        loss = p < 0.05 and wb > wa
        ok = not loss and ma <= 1.5 * ms and len(seeds) == hi - lo + 1
        ok_all &= ok
        tag = " (committed rows)" if func in EXCLUDED else ""
        print(
            f"| {func}{tag} | {len(seeds)} | {ms:.3g} | {mc:.3g} ({mc / ms:.2f}x) | {ma:.3g} | {wa} / {wb}, p {p:.2g}"
            f" | {ma / ms:.2f}x | {'pass' if ok else '**FAIL**'} |"
        )
    return ok_all


def screen() -> None:
    """Item 4: each attempt of tuner_par100_round12_attempts.jsonl against the shipped jumps' rows
    (ATTEMPT in tuner_par100_attempts.jsonl, and "tpe" run since the adoption in the round12 file) on the
    seeds both have: medians, basin share (Levy-6: regret < 1.5), better / worse and the two-sided sign
    test; then the code before the jumps and sequential TPE where their rows exist."""
    base = load([os.path.join(HERE, "tuner_par100_attempts.jsonl")])
    new = load([os.path.join(HERE, "tuner_par100_round12_attempts.jsonl")])
    for (func, t, p), rows in sorted(new.items()):
        if t == "tpe":  # the shipped code's own rows (= ATTEMPT) on seeds tuner_par100_attempts.jsonl lacks
            continue
        ref = {**base[func, ATTEMPT, p], **new[func, "tpe", p]}
        seeds = sorted(set(rows) & set(ref))
        r, b = np.array([rows[k] for k in seeds]), np.array([ref[k] for k in seeds])
        wa, wb = int(np.sum(r < b)), int(np.sum(b < r))
        pv = binomtest(wa, wa + wb).pvalue if wa + wb else 1.0
        basin = f", basin {np.mean(r < 1.5):.0%} vs {np.mean(b < 1.5):.0%}" if func == "levy6" else ""
        old = base[func, "tpe", p]  # the code before the jumps
        seq = {**base[func, "tpe", 1], **new[func, "tpe", 1]}  # sequential (the jumps do not change it)
        o = np.array([old.get(k, np.nan) for k in seeds])
        wo, lo = int(np.sum(r < o)), int(np.sum(o < r))
        po = binomtest(wo, wo + lo).pvalue if wo + lo else 1.0
        ob = f" (basin {np.mean(o < 1.5):.0%})" if func == "levy6" else ""
        before = (
            f"; before the jumps {np.nanmedian(o):.3g}{ob}, {wo} / {lo}, p {po:.2g}"
            if not np.isnan(o).any()
            else ""
        )
        sq = f"; sequential {np.median([seq[k] for k in seeds]):.3g}" if all(k in seq for k in seeds) else ""
        print(
            f"{func} {t} seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}): {np.median(r):.3g} vs shipped"
            f" {np.median(b):.3g}{basin}; better / worse {wa} / {wb}, p {pv:.2g}{before}{sq}"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["screen"]:
        screen()
        sys.exit()
    lo, hi = (int(v) for v in (sys.argv[1] if len(sys.argv) > 1 else "0-99").split("-"))
    for a, b in ((0, 9), (0, 48)):
        rows(a, b)
    print(f"\nrule over seeds {lo}-{hi}: {'MET' if rows(lo, hi) else 'not met'}")
