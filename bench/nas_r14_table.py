"""Prints the fourteenth round's rows (bench/README.md, NAS bench fourteenth round): per stored search and
derivation, the stored shared-weight pick against the pick by short retrains (nas_enas_short.py), each
retrained on the test split with seeds 0-2 against the 20 random architectures.

    python3 nas_r14_table.py nas_r14_score_d100.jsonl,nas_r14_score_d10.jsonl \\
        nas_r14_eval_d100.jsonl,nas_r14_eval_d10.jsonl
"""

from __future__ import annotations

import json
import os
import statistics
import sys

from nas_r12_table import HERE, RANDOM_MEANS, load
from scipy.stats import binomtest


def jsonl(names: str) -> list[dict]:
    out = []
    for name in names.split(","):
        with open(os.path.join(os.path.dirname(HERE), name), encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh if line.strip()]
    return out


def stored(file: str, method: str, seed: int) -> dict | None:
    name = "evaluate_" + file.removeprefix("search_")
    if not os.path.exists(os.path.join(HERE, name)):
        return None
    return next((r for r in load(name)["methods"] if r["method"] == method and r["seed"] == seed), None)


def short(arch: dict) -> str:
    abbrev = {"conv3x3": "c3", "conv5x5": "c5", "dil_conv3x3": "d3", "sep_conv3x3": "s3", "max_pool": "mp"}
    return " ".join(abbrev.get(v, v) for v in arch.values())


def main() -> None:
    scored, evals = jsonl(sys.argv[1]), jsonl(sys.argv[2])
    found = {(e["file"], e["method"], e["seed"]): e for e in evals}
    print(
        "| fit | derivation | seed | candidates | stored pick: arch, mean, p | short-retrain pick: arch, mean, p "
        "| changed | scorer s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    tally: dict[tuple[str, str], list[tuple[bool, bool, float]]] = {}
    pairs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for s in scored:
        e = found.get((s["file"], s["method"], s["seed"]))
        base = stored(s["file"], s["method"], s["seed"])
        if e is None:
            continue
        bp = (
            f"{short(base['arch'])}, {statistics.mean(base['scores']):.4f}, {base['p']:.4f}"
            if base
            else "n/a"
        )
        kind = "u1" if s["uniform_prob"] == 1.0 else f"u{s['uniform_prob']:g}"
        print(
            f"| {s['file'].removesuffix('.json')} ({kind}) | {s['method'].replace('enas ', '')} | {s['seed']} | "
            f"{len(s['candidates'])} | {bp} | {short(e['arch'])}, {e['mean']:.4f}, {e['p']:.4f} | "
            f"{'yes' if s['changed'] else 'no'} | {s['scorer_s']:.0f} |"
        )
        group = (kind + (" report" if kind == "u1" and 12 <= s["seed"] <= 21 else ""), s["method"])
        tally.setdefault(group, []).append((bool(base and base["p"] < 0.05), e["p"] < 0.05, s["scorer_s"]))
        if base:
            pairs.setdefault(group, []).append((statistics.mean(base["scores"]), e["mean"]))
    print()
    for (kind, method), rows in sorted(tally.items()):
        times = [t for _, _, t in rows]
        print(
            f"{kind} {method}: {len(rows)} fits; stored pick passes {sum(a for a, _, _ in rows)}, "
            f"short-retrain pick passes {sum(b for _, b, _ in rows)}; scorer {min(times):.0f}-{max(times):.0f} s"
        )
        pr = pairs.get((kind, method), [])
        if pr:
            wins, losses = sum(b > a for a, b in pr), sum(b < a for a, b in pr)
            sign = binomtest(wins, wins + losses).pvalue if wins + losses else 1.0
            print(
                f"  paired test means: stored {statistics.mean(a for a, _ in pr):.4f}, short-retrain "
                f"{statistics.mean(b for _, b in pr):.4f}; wins / losses / ties {wins} / {losses} / "
                f"{len(pr) - wins - losses}, sign test p {sign:.4f}"
            )
    print(f"random median {statistics.median(RANDOM_MEANS):.4f}")


if __name__ == "__main__":
    main()
