"""How well does a trained SPOS supernet rank architectures on bench/nas_hard.py's task?

Trains a supernet the way `nas_hard.py search --methods spos` does, then scores the random
architectures whose standalone test accuracies are in an `evaluate` JSON (20 x 3 seeds) on the
supernet (validation split, after BN recalibration) and reports Kendall tau / Spearman rho between
the supernet score and the standalone mean, and the mean supernet score by the number of
parameter-free operations (max_pool / skip) in the architecture. With several
--recalibrate-batches values and --repeats > 1 it scores every architecture under each setting
that many times (fresh calibration batches each time): the scorer's own noise (the std of repeated
scores, their correlation) next to tau; the figures of the first repeat are those of a single search.

    nice -n 10 python bench/nas_spos_rank.py --random-from bench/nas_hard_results/evaluate_8ep.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import torch
from nas_hard import Space, make_task
from scipy.stats import kendalltau, spearmanr
from torch.nn import functional as F

from autolab import nas

FREE = ("max_pool", "skip")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--random-from", required=True, help="an `nas_hard.py evaluate` JSON")
    parser.add_argument("--sampling", default="uniform", choices=["uniform", "fair"])
    parser.add_argument("--search-epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--recalibrate-batches", default="20", help="comma-separated: BN recalibration batches to compare"
    )
    parser.add_argument("--repeats", type=int, default=1, help="scores per architecture and setting")
    parser.add_argument(
        "--lr-schedule",
        default="constant",
        choices=["constant", "linear"],
        help="the supernet's SGD lr: constant 0.025 (nas_hard) or linear decay to 0 (SPOS's paper)",
    )
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(args.random_from, encoding="utf-8") as fh:
        saved = json.load(fh)
    task = argparse.Namespace(**saved["args"])
    train, val, _ = make_task(task)
    torch.manual_seed(args.seed)
    model = Space(task.width)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    settings = [int(n) for n in args.recalibrate_batches.split(",")]
    t0 = time.perf_counter()
    trainer = nas.SposTrainer(
        model,
        F.cross_entropy,
        opt,
        train,
        val,
        num_epochs=args.search_epochs,
        batch_size=64,
        device="cpu",
        seed=args.seed,
        sampling=args.sampling,
        lr_scheduler=lr_schedule(opt, args.lr_schedule, args.search_epochs),
    ).fit()
    fit_s = time.perf_counter() - t0
    print(f"sampling {args.sampling}, lr {args.lr_schedule}, seed {args.seed}: fit {fit_s:.0f}s", flush=True)
    results = {}
    for n in settings:
        t1 = time.perf_counter()
        rows = [
            {
                "arch": r["arch"],
                "standalone": statistics.mean(r["scores"]),
                "supernet": [trainer.evaluate(r["arch"], recalibrate_batches=n) for _ in range(args.repeats)],
                "free": sum(v in FREE for v in r["arch"].values()),
            }
            for r in saved["random"]
        ]
        results[n] = report(rows, n, time.perf_counter() - t1)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump({"args": vars(args), "fit_s": fit_s, "settings": results}, fh, indent=1)


def lr_schedule(opt: torch.optim.Optimizer, kind: str, epochs: int) -> Any:
    """None (constant lr) or SPOS's linear decay to 0 over the supernet's epochs (stepped per epoch)."""
    if kind == "constant":
        return None
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1.0 - epoch / epochs)


def report(rows: list[dict[str, Any]], batches: int, seconds: float) -> dict[str, Any]:
    """Print and return tau / Spearman of the first repeat (and of the repeats' mean), the scorer's
    noise over repeats, and the mean score by the number of parameter-free operations."""
    stand = [r["standalone"] for r in rows]
    first = [r["supernet"][0] for r in rows]
    mean = [statistics.mean(r["supernet"]) for r in rows]
    tau, rho = kendalltau(stand, first)[0], spearmanr(stand, first)[0]
    out: dict[str, Any] = {
        "recalibrate_batches": batches,
        "score_s": seconds,
        "tau": tau,
        "spearman": rho,
        "tau_free": kendalltau([r["free"] for r in rows], first)[0],
        "rows": rows,
    }
    print(f"recalibration {batches} batches ({seconds:.0f}s for {len(rows)} x {len(rows[0]['supernet'])}):")
    for r in sorted(rows, key=lambda r: -r["standalone"]):
        print(
            f"  standalone {r['standalone']:.4f} supernet {[round(v, 4) for v in r['supernet']]} free {r['free']}"
        )
    print(f"  Kendall tau {tau:.3f}, Spearman {rho:.3f}; tau(#free ops, supernet) {out['tau_free']:.3f}")
    if len(rows[0]["supernet"]) > 1:
        noise = statistics.mean(statistics.stdev(r["supernet"]) for r in rows)
        retest = spearmanr(first, [r["supernet"][1] for r in rows])[0]
        out.update(
            noise_std=noise,
            retest_spearman=retest,
            tau_of_mean=kendalltau(stand, mean)[0],
            spearman_of_mean=spearmanr(stand, mean)[0],
        )
        print(
            f"  repeats: mean std {noise:.4f}, Spearman(repeat 1, repeat 2) {retest:.3f}; "
            f"mean of repeats: tau {out['tau_of_mean']:.3f}, Spearman {out['spearman_of_mean']:.3f}"
        )
    return out


if __name__ == "__main__":
    main()
