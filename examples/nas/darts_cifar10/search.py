"""DARTS on CIFAR-10 from a local folder (torchvision's python format; nothing is downloaded).

    python examples/nas/darts_cifar10/search.py --data ~/data/cifar10 --epochs 50
    python examples/nas/darts_cifar10/search.py --data DIR --unrolled       # second order
    python examples/nas/darts_cifar10/search.py --data DIR --limit 2000 --epochs 1 --retrain-epochs 1 \
        --retrain-layers 8 --retrain-channels 16   # smoke

Search: the 8-cell, 16-channel network on half of the training set, architecture on the other
half (batch 64, as the paper). Then the exported cell is retrained as the paper evaluates it
(retrain.py: 20 cells, 36 channels, auxiliary head, drop-path, cutout, 600 epochs; every number a
--retrain-* flag) and the test accuracy printed. On a GPU, autocast bfloat16 is used unless --no-amp.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
from torch.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from model import SearchNetwork  # noqa: E402
from retrain import add_recipe_flags, recipe_from, retrain  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.data import cifar10_datasets  # noqa: E402
from autolab.nas.training import evaluate, loader  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="folder holding cifar-10-batches-py")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--unrolled", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images (quick runs)")
    parser.add_argument("--no-amp", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="darts_cifar10_arch.json")
    add_recipe_flags(parser, "retrain-")
    args = parser.parse_args()
    try:
        train, test = cifar10_datasets(args.data, args.limit)
    except nas.NasError as exc:
        sys.exit(str(exc))
    torch.manual_seed(args.seed)
    model = SearchNetwork(args.channels, args.layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs, eta_min=1e-3)
    trainer = nas.DartsTrainer(
        model,
        F.cross_entropy,
        opt,
        train,
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        unrolled=args.unrolled,
        export_exclude=["none"],
        lr_scheduler=sched,
        amp=not args.no_amp,
        workers=args.workers,
        seed=args.seed,
        log=lambda e: print(
            f"epoch {e['epoch']}: loss {e['train_loss']:.3f} acc {e['train_metric']:.3f} "
            f"val loss {e['val_loss']:.3f} ({e['seconds']:.0f}s)",
            flush=True,
        ),
    )
    start = time.perf_counter()
    trainer.fit()
    arch = nas.export(trainer)
    print(f"search: {time.perf_counter() - start:.0f}s\n{json.dumps(arch, indent=1)}")
    nas.save_arch(arch, args.output)
    recipe = recipe_from(args, "retrain-")
    final = retrain(arch, train, recipe, amp=not args.no_amp, seed=args.seed, workers=args.workers)
    print(f"test accuracy: {evaluate(final, loader(test, 256, shuffle=False), amp=not args.no_amp):.4f}")


if __name__ == "__main__":
    main()
