"""BigNAS on sklearn digits: sandwich-train one supernet, then pick subnets without retraining.

    python examples/nas/bignas_digits/search.py              # about a minute on an idle 2-core CPU
    python examples/nas/bignas_digits/search.py --epochs 40 --out /tmp/bignas_digits

Steps: train the supernet of space.yml (max, 2 random, min subnets a step, in-place distillation),
save it; evaluate the max and min subnets straight from it (BN calibrated); FLOPs histogram of 200
random subnets; evolution inside a FLOPs range (default: the lower half of the space's span), Pareto
front saved as JSON + PNG; finetune the best subnet briefly, export it and report test accuracy.
The saved supernet then works with the commands, e.g.

    python -m autolab.nas.bignas search OUT/supernet.pt --data digits --flops-range :150K
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch
from torch.nn import functional as F

from autolab.nas import NasError
from autolab.nas.bignas import BigNASSpace, SandwichTrainer, build_supernet, save_supernet
from autolab.nas.bignas.commands import parse_range
from autolab.nas.bignas.evaluate import evaluate_subnet, export_subnet, finetune_subnet, subnet_cost
from autolab.nas.bignas.sampling import sample_flops
from autolab.nas.bignas.search import save_result, search
from autolab.nas.data import digits_datasets
from autolab.nas.training import evaluate, loader

HERE = os.path.dirname(os.path.abspath(__file__))
STRIDES = [1, 1, 2]  # 8x8 -> 8x8 -> 4x4


def train_supernet(
    epochs: int,
    seed: int = 0,
    distill: bool = True,
    space_file: str = os.path.join(HERE, "space.yml"),
    log: bool = True,
) -> SandwichTrainer:
    train, val, _ = digits_datasets(seed=0)
    torch.manual_seed(seed)
    supernet = build_supernet(
        BigNASSpace.from_yaml(space_file), num_classes=10, in_channels=1, strides=STRIDES
    )
    opt = torch.optim.SGD(supernet.parameters(), lr=0.05, momentum=0.9, weight_decay=3e-5, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, epochs))

    def show(e: dict) -> None:
        vals = "  ".join(f"{k} {v:.3f}" for k, v in e.items() if k.startswith("val_"))
        print(f"  epoch {e['epoch']:2d}  loss {e.get('train_loss', float('nan')):.3f}  {vals}", flush=True)

    trainer = SandwichTrainer(
        supernet,
        F.cross_entropy,
        opt,
        train,
        val,
        num_epochs=epochs,
        batch_size=64,
        distill=distill,
        lr_scheduler=sched,
        calib_batches=5,
        device="cpu",
        seed=seed,
        log=show if log else None,
    )
    return trainer.fit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=15, help="supernet epochs")
    parser.add_argument("--flops-range", default=None, help="LOW:HIGH (default: the lower half of the span)")
    parser.add_argument("--samples", type=int, default=200, help="random subnets in the FLOPs histogram")
    parser.add_argument("--population", type=int, default=10)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--finetune-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bignas_digits_out", help="folder for the supernet, plots and JSON")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    # one thread by default: these 8x8 convolutions are too small to share out, and on a busy machine
    # extra threads spin waiting for each other (the CI-sized run: 72 s of CPU with 2 threads under
    # load, 20 s with 1)
    torch.set_num_threads(max(1, args.threads))
    try:
        flops_range = parse_range(args.flops_range)
    except NasError as exc:
        sys.exit(str(exc))
    os.makedirs(args.out, exist_ok=True)
    print(f"BigNAS: sandwich training for {args.epochs} epochs")
    trainer = train_supernet(args.epochs, args.seed)
    supernet = trainer.model
    save_supernet(os.path.join(args.out, "supernet.pt"), supernet)
    train, val, test = digits_datasets(seed=0)
    calib, valid, held_out = (
        loader(train, 64, True, seed=1),
        loader(val, 256, False),
        loader(test, 256, False),
    )
    x = torch.zeros(1, 1, 8, 8)
    for name in ("max", "min"):
        settings = getattr(supernet.space, name)()
        r = evaluate_subnet(supernet, settings, calib, held_out, calib_batches=5, example_input=x)
        print(
            f"{name} subnet, straight from the supernet: test accuracy {r['accuracy']:.4f}, "
            f"{r['flops']:,} FLOPs, {r['params']:,} params, {r['latency_ms']:.2f} ms"
        )
    sampled = sample_flops(
        supernet, args.samples, example_input=x, seed=args.seed, plot=os.path.join(args.out, "flops.png")
    )
    flops = sorted(r["flops"] for r in sampled)
    print(
        f"{len(sampled)} random subnets: {flops[0]:,} to {flops[-1]:,} FLOPs (histogram in {args.out}/flops.png)"
    )
    if flops_range == (None, None):
        low, high = (
            subnet_cost(supernet, s, x)["flops"] for s in (supernet.space.min(), supernet.space.max())
        )
        flops_range = (None, (low + high) / 2)
    print(f"evolution inside FLOPs {list(flops_range)}")
    try:
        result = search(
            supernet,
            flops_range,
            calib,
            valid,
            example_input=x,
            population_size=args.population,
            generations=args.generations,
            parents=max(2, args.population // 2),
            mutation_prob=0.3,
            calib_batches=5,
            seed=args.seed,
            log=lambda g, best: print(f"  generation {g}: best val accuracy {best:.4f}", flush=True),
        )
    except NasError as exc:
        sys.exit(f"search: {exc}")
    save_result(result, os.path.join(args.out, "search.json"), os.path.join(args.out, "search.png"))
    best = result.best
    print(
        f"best in range: val accuracy {best['accuracy']:.4f}, {best['flops']:,} FLOPs\n{json.dumps(best['settings'])}"
    )
    print(
        f"Pareto front of {len(result.front)} (of {len(result.history)} scored) in {args.out}/search.json, .png"
    )
    straight = evaluate_subnet(supernet, best["settings"], calib, held_out, calib_batches=5, latency_runs=0)
    model = finetune_subnet(
        supernet, best["settings"], train, epochs=args.finetune_epochs, device="cpu", seed=args.seed
    )
    export_subnet(model, best["settings"], os.path.join(args.out, "subnet.pt"))
    tuned = evaluate(model, held_out, device=torch.device("cpu"))
    print(
        f"best subnet test accuracy: {straight['accuracy']:.4f} straight from the supernet, "
        f"{tuned:.4f} after {args.finetune_epochs} finetuning epochs (exported to {args.out}/subnet.pt)"
    )


if __name__ == "__main__":
    main()
