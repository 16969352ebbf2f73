"""Retrain a found DARTS cell the way the paper evaluates it (Liu et al., 2019, section 3.3 / A.2):

    python examples/nas/darts_cifar10/retrain.py --data DIR --arch darts_cifar10_arch.json
    python examples/nas/darts_cifar10/retrain.py --data DIR --arch v2   # the paper's DARTS_V2 cell
    python examples/nas/darts_cifar10/retrain.py --data DIR --arch v2 --limit 500 --epochs 1 --layers 8 --channels 16

The network: 20 cells, 36 initial channels, auxiliary head (loss weight 0.4). The recipe: 600
epochs, batch 96, SGD lr 0.025 with cosine annealing, momentum 0.9, weight decay 3e-4, gradient
clipping 5, drop-path 0.2 increased linearly over the epochs, random crop (padding 4), horizontal
flip and cutout (16 pixels). Every number is a flag.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.data import Dataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from model import DARTS_V2, EvalNetwork  # noqa: E402

from autolab import nas  # noqa: E402
from autolab.nas.data import CIFAR_MEAN, CIFAR_STD, cifar10_datasets  # noqa: E402
from autolab.nas.training import autocast, evaluate, loader, resolve_device, seed_everything, to_device  # noqa: E402


@dataclass
class Recipe:
    epochs: int = 600
    batch_size: int = 96
    lr: float = 0.025
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    channels: int = 36
    layers: int = 20
    auxiliary_weight: float = 0.4  # 0: no auxiliary head
    drop_path: float = 0.2
    cutout: int = 16  # 0: no cutout


def augment(x: torch.Tensor, cutout: int, gen: torch.Generator | None = None) -> torch.Tensor:
    """Random crop with 4 pixels of padding, horizontal flip and cutout, on a normalised batch.

    The padding is black before normalisation (as torchvision pads the image), and cutout zeroes
    the normalised tensor (as the paper's code does)."""
    n, c, h, w = x.shape
    dev = x.device
    black = (-torch.tensor(CIFAR_MEAN) / torch.tensor(CIFAR_STD)).to(dev, x.dtype).view(1, c, 1, 1)
    padded = black.expand(n, c, h + 8, w + 8).clone()
    padded[:, :, 4 : 4 + h, 4 : 4 + w] = x
    dy, dx = (torch.randint(0, 9, (n,), generator=gen).to(dev) for _ in range(2))
    rows = (dy[:, None] + torch.arange(h, device=dev))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w, device=dev))[:, None, None, :]
    out = padded[
        torch.arange(n, device=dev)[:, None, None, None],
        torch.arange(c, device=dev)[None, :, None, None],
        rows,
        cols,
    ]
    flip = (torch.rand(n, generator=gen) < 0.5).to(dev)
    out = torch.where(flip[:, None, None, None], out.flip(3), out)
    if cutout > 0:
        cy, cx = (
            torch.randint(0, h, (n,), generator=gen).to(dev),
            torch.randint(0, w, (n,), generator=gen).to(dev),
        )
        ys = torch.arange(h, device=dev)[None, :, None]
        xs = torch.arange(w, device=dev)[None, None, :]
        inside = ((ys - cy[:, None, None]).abs() * 2 < cutout) & ((xs - cx[:, None, None]).abs() * 2 < cutout)
        out = out * (~inside)[:, None].to(out.dtype)
    return out


def retrain(
    arch: dict[str, Any],
    train: Dataset[Any],
    recipe: Recipe,
    *,
    device: str | torch.device | None = None,
    amp: bool = True,
    seed: int = 0,
    workers: int = 2,
    log: Any = print,
) -> EvalNetwork:
    """Build the evaluation network for the cell and train it with the recipe."""
    dev = resolve_device(device)
    seed_everything(seed)
    with nas.fixed_arch(arch):
        model = EvalNetwork(recipe.channels, recipe.layers, auxiliary=recipe.auxiliary_weight > 0)
    model.to(dev)
    data = loader(train, recipe.batch_size, shuffle=True, seed=seed, workers=workers)
    opt = torch.optim.SGD(
        model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
    )
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, recipe.epochs)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(recipe.epochs):
        start = time.perf_counter()
        model.set_drop_path(recipe.drop_path * epoch / recipe.epochs)
        model.train()
        total, steps = 0.0, 0
        for batch in data:
            x, y = to_device(batch, dev)
            x = augment(x, recipe.cutout, gen)
            opt.zero_grad(set_to_none=True)
            with autocast(dev, amp):
                out = model(x)
            logits, aux = out if isinstance(out, tuple) else (out, None)
            loss = F.cross_entropy(logits.float(), y)
            if aux is not None:
                loss = loss + recipe.auxiliary_weight * F.cross_entropy(aux.float(), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
            opt.step()
            total += float(loss.detach())
            steps += 1
        sched.step()
        log(
            f"retrain epoch {epoch + 1}: loss {total / max(steps, 1):.3f} ({time.perf_counter() - start:.0f}s)"
        )
    return model


def add_recipe_flags(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    defaults = Recipe()
    for name, value in vars(defaults).items():
        flag = f"--{prefix}{name.replace('_', '-')}"
        parser.add_argument(flag, type=type(value), default=value, help=f"(default {value})")


def recipe_from(args: argparse.Namespace, prefix: str = "") -> Recipe:
    key = prefix.replace("-", "_")
    return Recipe(**{name: getattr(args, f"{key}{name}") for name in vars(Recipe())})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="folder holding cifar-10-batches-py")
    parser.add_argument("--arch", required=True, help="an exported architecture (JSON), or v2 for DARTS_V2")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images (quick runs)")
    parser.add_argument("--no-amp", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    add_recipe_flags(parser)
    args = parser.parse_args()
    try:
        arch = DARTS_V2 if args.arch == "v2" else nas.load_arch(args.arch)
        train, test = cifar10_datasets(args.data, args.limit)
        model = retrain(
            arch, train, recipe_from(args), amp=not args.no_amp, seed=args.seed, workers=args.workers
        )
    except nas.NasError as exc:
        sys.exit(f"{args.arch}: {exc}")
    acc = evaluate(model, loader(test, 256, shuffle=False), amp=not args.no_amp)
    print(json.dumps({"test_accuracy": round(acc, 4)}))


if __name__ == "__main__":
    main()
