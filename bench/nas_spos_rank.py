"""How well does a trained SPOS supernet rank architectures on bench/nas_hard.py's task?

Trains a supernet the way `nas_hard.py search --methods spos` does, then scores the random
architectures whose standalone test accuracies are in an `evaluate` JSON (20 x 3 seeds) on the
supernet (validation split, after BN recalibration) and reports Kendall tau / Spearman rho between
the supernet score and the standalone mean, and the mean supernet score by the number of
parameter-free operations (max_pool / skip) in the architecture.

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
    parser.add_argument("--recalibrate-batches", type=int, default=20)
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
        recalibrate_batches=args.recalibrate_batches,
        sampling=args.sampling,
    ).fit()
    fit_s = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    for r in saved["random"]:
        rows.append(
            {
                "arch": r["arch"],
                "standalone": statistics.mean(r["scores"]),
                "supernet": trainer.evaluate(r["arch"]),
                "free": sum(v in FREE for v in r["arch"].values()),
            }
        )
    stand, sup = [r["standalone"] for r in rows], [r["supernet"] for r in rows]
    tau, rho = kendalltau(stand, sup)[0], spearmanr(stand, sup)[0]
    tau_free = kendalltau([r["free"] for r in rows], sup)[0]
    by_free = {
        k: statistics.mean(r["supernet"] for r in rows if r["free"] == k)
        for k in sorted({r["free"] for r in rows})
    }
    print(f"sampling {args.sampling}, seed {args.seed}: fit {fit_s:.0f}s")
    for r in sorted(rows, key=lambda r: -r["standalone"]):
        print(f"  standalone {r['standalone']:.4f} supernet {r['supernet']:.4f} free {r['free']}")
    print(f"Kendall tau {tau:.3f}, Spearman {rho:.3f}; tau(#free ops, supernet) {tau_free:.3f}")
    print("mean supernet score by #free ops: " + ", ".join(f"{k}: {v:.4f}" for k, v in by_free.items()))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "args": vars(args),
                    "fit_s": fit_s,
                    "tau": tau,
                    "spearman": rho,
                    "tau_free": tau_free,
                    "rows": rows,
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
