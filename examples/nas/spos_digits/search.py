"""SPOS on sklearn digits: train the supernet, evolution search, retrain the best architecture.

    python examples/nas/spos_digits/search.py                       # about a minute on an idle 2-core CPU
    python examples/nas/spos_digits/search.py --max-params 5000     # with a parameter budget

It also saves the supernet (supernet.pt) and the space (search_space.json) next to this file, for
the autolab experiment in config.yml that scores architectures on that supernet (see trial.py).
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from model import DigitsSupernet  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.data import digits_datasets  # noqa: E402
from autolab.nas.training import evaluate, loader, train_model  # noqa: E402


def train_supernet(epochs: int, seed: int, verbose: bool = True) -> nas.SposTrainer:
    train, val, _ = digits_datasets(seed=0)
    torch.manual_seed(seed)
    model = DigitsSupernet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=3e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    log = (
        (
            lambda e: print(
                f"  epoch {e['epoch']:2d}  loss {e['train_loss']:.3f}  acc {e['train_metric']:.3f}  "
                f"{e['seconds']:.1f}s",
                flush=True,
            )
        )
        if verbose
        else None
    )
    trainer = nas.SposTrainer(
        model,
        F.cross_entropy,
        opt,
        train,
        val,
        num_epochs=epochs,
        batch_size=64,
        lr_scheduler=sched,
        seed=seed,
        recalibrate_batches=5,
        log=log,
    )
    return trainer.fit()


def search(
    epochs: int,
    seed: int,
    max_params: int | None = None,
    population: int = 10,
    generations: int = 5,
    verbose: bool = True,
) -> tuple[dict, float, nas.SposTrainer]:
    """Returns the best architecture, the search wall time (supernet + evolution) and the trainer."""
    start = time.perf_counter()
    trainer = train_supernet(epochs, seed, verbose)
    log = (
        (lambda g, best: print(f"  generation {g}: best val accuracy {best:.4f}", flush=True))
        if verbose
        else None
    )
    arch = trainer.search(
        population_size=population,
        generations=generations,
        parents=max(2, population // 2),
        mutation_prob=0.2,
        max_params=max_params,
        log=log,
    )
    return arch, time.perf_counter() - start, trainer


def retrain(arch: dict, epochs: int, seed: int) -> float:
    train, val, test = digits_datasets(seed=0)
    torch.manual_seed(seed)
    with nas.fixed_arch(arch):
        model = DigitsSupernet()
    train_model(
        model, ConcatDataset([train, val]), epochs=epochs, batch_size=64, lr=0.05, seed=seed, device="cpu"
    )
    return evaluate(model, loader(test, 256, shuffle=False))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=20, help="supernet epochs")
    parser.add_argument("--retrain-epochs", type=int, default=30)
    parser.add_argument("--max-params", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="spos_digits_arch.json")
    args = parser.parse_args()
    torch.set_num_threads(min(torch.get_num_threads(), 4))
    print(f"SPOS: supernet for {args.epochs} epochs, then evolution")
    arch, seconds, trainer = search(args.epochs, args.seed, args.max_params)
    torch.save(trainer.model.state_dict(), os.path.join(HERE, "supernet.pt"))
    nas.write_search_space(trainer.model, os.path.join(HERE, "search_space.json"))
    cost = nas.arch_cost(trainer.model, arch)
    print(
        f"search took {seconds:.0f}s; architecture ({cost['params']} parameters):\n{json.dumps(arch, indent=1)}"
    )
    nas.save_arch(arch, args.output)
    print(f"saved to {args.output}; retraining from scratch for {args.retrain_epochs} epochs")
    print(f"test accuracy of the found architecture: {retrain(arch, args.retrain_epochs, args.seed):.4f}")


if __name__ == "__main__":
    main()
