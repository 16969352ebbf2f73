"""DARTS on sklearn digits: search the cell space, export, retrain the architecture from scratch.

python examples/nas/darts_digits/search.py            # about a minute on an idle 2-core CPU
python examples/nas/darts_digits/search.py --unrolled # second-order DARTS (slower)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
from torch.nn import functional as F
from torch.utils.data import ConcatDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from model import DigitsNet  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.data import digits_datasets  # noqa: E402
from autolab.nas.training import evaluate, loader, train_model  # noqa: E402


def search(epochs: int, unrolled: bool, seed: int, verbose: bool = True) -> tuple[dict, float]:
    """Returns the exported architecture and the search wall time in seconds."""
    train, val, _ = digits_datasets(seed=0)
    torch.manual_seed(seed)
    model = DigitsNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    log = (
        (
            lambda e: print(
                f"  epoch {e['epoch']:2d}  loss {e['train_loss']:.3f}  acc {e['train_metric']:.3f}  "
                f"val loss {e['val_loss']:.3f}  {e['seconds']:.1f}s",
                flush=True,
            )
        )
        if verbose
        else None
    )
    start = time.perf_counter()
    # DARTS splits its data itself: weights on one half, architecture on the other
    trainer = nas.DartsTrainer(
        model,
        F.cross_entropy,
        opt,
        ConcatDataset([train, val]),
        num_epochs=epochs,
        batch_size=64,
        arch_lr=3e-3,
        unrolled=unrolled,
        lr_scheduler=sched,
        seed=seed,
        log=log,
    )
    trainer.fit()
    return nas.export(trainer), time.perf_counter() - start


def retrain(arch: dict, epochs: int, seed: int) -> float:
    """Test accuracy of the architecture trained from scratch on train + val."""
    train, val, test = digits_datasets(seed=0)
    torch.manual_seed(seed)
    with nas.fixed_arch(arch):
        model = DigitsNet()
    train_model(
        model, ConcatDataset([train, val]), epochs=epochs, batch_size=64, lr=0.05, seed=seed, device="cpu"
    )
    return evaluate(model, loader(test, 256, shuffle=False))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=15, help="search epochs")
    parser.add_argument("--retrain-epochs", type=int, default=30)
    parser.add_argument("--unrolled", action="store_true", help="second-order DARTS")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="darts_digits_arch.json")
    args = parser.parse_args()
    torch.set_num_threads(min(torch.get_num_threads(), 4))
    print(f"DARTS search ({'second' if args.unrolled else 'first'} order), {args.epochs} epochs")
    arch, seconds = search(args.epochs, args.unrolled, args.seed)
    print(f"search took {seconds:.0f}s; architecture:\n{json.dumps(arch, indent=1)}")
    nas.save_arch(arch, args.output)
    print(f"saved to {args.output}; retraining from scratch for {args.retrain_epochs} epochs")
    acc = retrain(arch, args.retrain_epochs, args.seed)
    print(f"test accuracy of the found architecture: {acc:.4f}")


if __name__ == "__main__":
    main()
