"""Issue 16, ninth round: the markdown tables of bench/README.md's ninth-round section, from the
stored runs: candidate rows against C4S5 on common seeds, cell by cell (median, in brackets seeds
lower - higher than C4S5 and the two-sided sign test's p), and with --peers the lowest peer median
(18 seeds or more, as mf_compare8.py).

    python3 bench/mf_table9.py --seeds 20-119 --costs 10 --rows S3 S4 K B5 B5f B5r3 RB RB5
    python3 bench/mf_table9.py --seeds 20-59 --costs 10 30 100 --rows RB RB5 RA
    python3 bench/mf_table9.py --seeds 0-19 --costs 10 30 100 --rows RB RA --peers
    python3 bench/mf_table9.py --seeds 20-59 --costs 10 30 100 --rows RA5 RB5 --ref RA   # tenth round

--ref: the reference row (C4S5 by default). Tenth round: RA5 (RA + B5) and the runs of
bench/mf_runs10.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from mf_bench import regret_at  # noqa: E402
from mf_compare8 import C4S5, PEERS  # noqa: E402
from mf_problems import problems  # noqa: E402
from scipy.stats import binomtest  # noqa: E402

FILES = [
    "mf_runs.jsonl",
    "mf_holdout_runs.jsonl",
    "mf_peer_rows7.jsonl",
    "mf_runs8.jsonl",
    "mf_runs9.jsonl",
    "mf_runs10.jsonl",
]
BASE = C4S5.removesuffix(", TPE n_startup_jobs 5)")
ROWS = {
    "C4S5": C4S5,
    "S3": f"{BASE}, TPE n_startup_jobs 3)",
    "S4": f"{BASE}, TPE n_startup_jobs 4)",
    "K": f"{BASE}, topset True, TPE n_startup_jobs 5)",
    "B5": f"{BASE}, presumed_rungs 2, presumed_trials 5, TPE n_startup_jobs 5: temporary)",
    "B5f": f"{BASE}, presumed_share 0.25, presumed_trials 5, TPE n_startup_jobs 5)",
    "B5r3": f"{BASE}, presumed_share 0.09, presumed_trials 5, TPE n_startup_jobs 5)",
    "RB": f"{BASE}, rung_value best, TPE n_startup_jobs 5)",
    "RB5": f"{BASE}, presumed_rungs 2, presumed_trials 5, rung_value best, TPE n_startup_jobs 5)",
    "RW": f"{BASE}, rung_value_window True, TPE n_startup_jobs 5)",
    "RA": f"{BASE}, rung_value auto, TPE n_startup_jobs 5)",
    "RA5": f"{BASE}, presumed_rungs 2, presumed_trials 5, rung_value auto, TPE n_startup_jobs 5)",
}
SHORT = {
    "MFHartmann-3 good": "H3 good",
    "MFHartmann-3 bad": "H3 bad",
    "MFHartmann-6 good": "H6 good",
    "MFHartmann-6 bad": "H6 bad",
    "digits MLP (table)": "digits",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="20-119")
    parser.add_argument("--costs", nargs="+", type=int, default=[10])
    parser.add_argument("--rows", nargs="+", default=list(ROWS))
    parser.add_argument("--peers", action="store_true")
    parser.add_argument("--ref", default="C4S5", choices=list(ROWS), help="the reference row")
    parser.add_argument("--files", nargs="*", default=[str(HERE / f) for f in FILES])
    args = parser.parse_args()
    lo, hi = map(int, args.seeds.split("-"))
    every = problems()
    runs: dict[tuple[str, str], dict[int, tuple[list, float]]] = {}
    reference = ROWS[args.ref]
    for path in args.files:
        if not Path(path).exists():
            continue
        for line in Path(path).read_text().splitlines():
            run = json.loads(line)
            if lo <= run["seed"] <= hi:
                seeds = runs.setdefault((run["problem"], run["method"]), {})
                if run["seed"] not in seeds or seeds[run["seed"]][1] < run["max_cost"]:
                    seeds[run["seed"]] = (run["trace"], run["max_cost"])

    def at(problem: str, method: str, c: int) -> dict[int, float]:
        p = every[problem]
        out = {}
        for seed, (trace, cost) in runs.get((problem, method), {}).items():
            if cost >= c:
                r = regret_at(p, trace, c)
                out[seed] = float("inf") if r is None else r * (100 if p.mode == "maximize" else 1)
        return out

    cells = [(p, c) for p in SHORT for c in args.costs]
    print("| row | " + " | ".join(f"{SHORT[p]} @{c}" for p, c in cells) + " |")
    print("|---|" + "---|" * len(cells))
    ref_line = []
    for p, c in cells:
        ref = at(p, reference, c)
        ref_line.append(f"{statistics.median(ref.values()):.3f} (n {len(ref)})" if ref else "")
    print(f"| {args.ref} | " + " | ".join(ref_line) + " |")
    for row in args.rows:
        line = []
        for p, c in cells:
            ref, mine = at(p, reference, c), at(p, ROWS[row], c)
            common = sorted(set(ref) & set(mine))
            if not common:
                line.append("")
                continue
            won = sum(mine[s] < ref[s] for s in common)
            lost = sum(mine[s] > ref[s] for s in common)
            pv = binomtest(won, won + lost).pvalue if won + lost else 1.0
            text = f"{statistics.median(mine[s] for s in common):.3f} ({won}-{lost}, p {pv:.2f})"
            if len(common) != len(ref):
                text += f" n {len(common)}, {args.ref} {statistics.median(ref[s] for s in common):.3f}"
            line.append(text)
        print(f"| {row} | " + " | ".join(line) + " |")
    if args.peers:
        line = []
        for p, c in cells:
            meds = {}
            for prob, m in runs:
                if prob == p and m.startswith(PEERS):
                    v = at(p, m, c)
                    if len(v) >= 18:
                        meds[m] = statistics.median(v.values())
            best = min(meds, key=meds.__getitem__) if meds else None
            line.append(f"{meds[best]:.3f} {best}" if best else "")
        print("| best peer | " + " | ".join(line) + " |")


if __name__ == "__main__":
    main()
