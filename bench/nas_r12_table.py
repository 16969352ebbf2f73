"""Prints the twelfth round's rows (bench/README.md, NAS bench twelfth round) from its JSONs."""

from __future__ import annotations

import json
import os
import statistics

HERE = os.path.join(os.path.dirname(__file__), "nas_hard_results")
FREE = ("max_pool", "avg_pool", "skip")


def load(name: str) -> dict:
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return json.load(fh)


def rows(search: str, evaluate: str, label: str) -> None:
    found = {(r["method"], r["seed"]): r for r in load(evaluate)["methods"]}
    for r in load(search)["searches"]:
        e = found.get((r["method"], r["seed"]))
        if e is None:
            continue
        rk, last = r.get("rank_known") or {}, r["history"][-1]
        scores = ", ".join(f"{s:.3f}" for s in e["scores"])
        beats = sum(statistics.mean(e["scores"]) > m for m in RANDOM_MEANS)
        arch = list(r["arch"].values())
        print(
            f"| {label} {r['method'].replace('enas ', '')} | {r['seed']} | {r['search_s']:.0f} s ({r['fit_s']:.0f} + "
            f"{r['derive_s']:.0f}) | {statistics.mean(e['scores']):.4f} ({scores}) | {e['p']:.4f} | {beats} | "
            f"{', '.join(arch)} | {sum(v in FREE for v in arch)} | {r['distinct_samples']} | "
            + (
                f"{r['rank_random']['tau']:.3f} / {rk['tau']:.3f} | {rk['top1_test']:.4f} | "
                if rk
                else " | | "
            )
            + f"{last['entropy']:.2f} |"
        )


def plain(seed: int) -> None:
    r = load(f"dev_r12_plain_rank_s{seed}.json")["searches"][0]
    rk = r["rank_known"]
    print(
        f"plain ENAS seed {seed}: tau {r['rank_random']['tau']:.3f} / {rk['tau']:.3f}, "
        f"best-scored {rk['top1_test']:.4f}, top 5 {rk['top5_test']:.4f}, "
        f"score without / with pool-skip {rk['score_no_free']:.3f} / {rk['score_free']:.3f}"
    )


RANDOM_MEANS = [statistics.mean(r["scores"]) for r in load("evaluate_8ep.json")["random"]]

if __name__ == "__main__":
    for s in range(12):
        if os.path.exists(os.path.join(HERE, f"dev_r12_plain_rank_s{s}.json")):
            plain(s)
    for u in ("1", "0.5"):
        rows(f"dev_r12_u{u}_s0.json", f"evaluate_dev_r12_u{u}_s0.json", f"dev p={u}")
    rows("dev_r12_u1_s0_d10.json", "evaluate_dev_r12_u1_s0_d10.json", "dev p=1 (post hoc)")
    for s in (12, 13, 14, 15):
        if os.path.exists(os.path.join(HERE, f"evaluate_r12_enas200_u1_s{s}.json")):
            rows(f"search_r12_enas200_u1_s{s}.json", f"evaluate_r12_enas200_u1_s{s}.json", "p=1")
    for name in sorted(os.listdir(HERE)):
        if name.startswith(("dev_r12_u", "search_r12_")):
            rk = load(name)["searches"][-1].get("rank_known")
            if rk is None:
                continue
            print(
                f"{name}: top 5 {rk['top5_test']:.4f}, "
                f"without / with pool-skip {rk['score_no_free']:.3f} / {rk['score_free']:.3f}"
            )
