"""NAS methods on a harder proxy task: sklearn digits with noise, shifts and occlusion (made here,
no download), where random architectures spread by several points.

Every method searches the same space (5 blocks, each a LayerChoice of 6 operations, so every
method, ProxylessNAS included, applies); its architecture and `--random` random architectures from
the space are retrained from scratch with `--seeds` seeds each and scored on the held-out test set.
Reported: the found architecture's mean test accuracy, the random architectures' median (of their
seed means), a one-sided permutation p-value of "found mean > random mean" (found scores against
all random scores, 20,000 permutations), and the search wall time.

    nice -n 10 python bench/nas_hard.py                       # the issue's size: 20 random x 3 seeds
    nice -n 10 python bench/nas_hard.py --random 8 --seeds 2 --methods darts1,spos
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from autolab import nas
from autolab.nas.training import evaluate, loader, train_model

OPS = ["conv3x3", "conv5x5", "dil_conv3x3", "sep_conv3x3", "max_pool", "skip"]
WIDTH, BLOCKS, CANVAS = 16, 5, 12


def hard_digits(seed: int = 0) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """Each 8x8 digit at a random place on a 12x12 canvas, a random 4x4 patch blanked, Gaussian
    noise (sigma 0.35) on top; split 60/15/25 into train / val / test, stratified."""
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    images = np.zeros((len(x), 1, CANVAS, CANVAS), dtype=np.float32)
    for i, digit in enumerate(x.reshape(-1, 8, 8) / 16.0):
        dy, dx = rng.integers(0, CANVAS - 8 + 1, size=2)
        images[i, 0, dy : dy + 8, dx : dx + 8] = digit
        oy, ox = rng.integers(0, CANVAS - 4 + 1, size=2)
        images[i, 0, oy : oy + 4, ox : ox + 4] = 0.0
    images += rng.normal(0.0, 0.35, images.shape).astype(np.float32)
    x_rest, x_test, y_rest, y_test = train_test_split(
        images, y, test_size=0.25, random_state=seed, stratify=y
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.2, random_state=seed, stratify=y_rest
    )

    def make(a: np.ndarray, b: np.ndarray) -> TensorDataset:
        return TensorDataset(torch.from_numpy(a), torch.from_numpy(b.astype(np.int64)))

    return make(x_train, y_train), make(x_val, y_val), make(x_test, y_test)


def op(name: str, c: int) -> nn.Module:
    def conv(k: int, dilation: int = 1, groups: int = 1) -> nn.Module:
        layers: list[nn.Module] = [
            nn.Conv2d(c, c, k, padding=dilation * (k // 2), dilation=dilation, groups=groups)
        ]
        if groups > 1:
            layers.append(nn.Conv2d(c, c, 1))
        return nn.Sequential(*layers, nn.BatchNorm2d(c), nn.ReLU())

    return {
        "conv3x3": lambda: conv(3),
        "conv5x5": lambda: conv(5),
        "dil_conv3x3": lambda: conv(3, dilation=2),
        "sep_conv3x3": lambda: conv(3, groups=c),
        "max_pool": lambda: nn.MaxPool2d(3, 1, 1),
        "skip": lambda: nn.Identity(),
    }[name]()


class Space(nn.Module):
    """stem conv; 5 blocks, each a choice of operation (no residual: a weak op costs accuracy);
    2x2 max-pool after block 2; global average pool; linear."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, WIDTH, 3, padding=1), nn.BatchNorm2d(WIDTH), nn.ReLU())
        self.blocks = nn.ModuleList(
            nas.LayerChoice({name: op(name, WIDTH) for name in OPS}, label=f"block{i + 1}")
            for i in range(BLOCKS)
        )
        self.head = nn.Linear(WIDTH, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == 1:
                x = F.max_pool2d(x, 2)
        return self.head(x.mean(dim=(2, 3)))


def search(method: str, epochs: int, train: TensorDataset, val: TensorDataset) -> dict[str, Any]:
    torch.manual_seed(0)
    model = Space()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=3e-4)
    common: dict[str, Any] = {"num_epochs": epochs, "batch_size": 64, "device": "cpu", "seed": 0}
    if method in ("darts1", "darts2", "gumbel", "proxyless"):
        kwargs = {**common, "arch_lr": 3e-3, "val_dataset": val}
        if method == "darts2":
            kwargs["unrolled"] = True
        cls: Callable[..., Any] = {
            "darts1": nas.DartsTrainer,
            "darts2": nas.DartsTrainer,
            "gumbel": nas.GumbelDartsTrainer,
            "proxyless": nas.ProxylessTrainer,
        }[method]
        if method == "proxyless":
            kwargs.update(cost_penalty=0.0, example_input=torch.zeros(1, 1, CANVAS, CANVAS))
        trainer = cls(model, F.cross_entropy, opt, train, **kwargs).fit()
        return nas.export(trainer)
    if method == "enas":
        trainer = nas.EnasTrainer(
            model, F.cross_entropy, opt, train, val, controller_steps=30, controller_lr=5e-3, **common
        ).fit()
        return nas.export(trainer)
    if method == "spos":
        trainer = nas.SposTrainer(
            model, F.cross_entropy, opt, train, val, recalibrate_batches=5, **common
        ).fit()
        return trainer.search(population_size=16, generations=4, parents=4)
    raise SystemExit(f"unknown method {method!r}")


def retrain(arch: dict[str, Any], seed: int, epochs: int, train: TensorDataset, test: TensorDataset) -> float:
    torch.manual_seed(seed)
    with nas.fixed_arch(arch):
        model = Space()
    train_model(model, train, epochs=epochs, batch_size=64, lr=0.05, device="cpu", seed=seed)
    return evaluate(model, loader(test, 512, shuffle=False), device=torch.device("cpu"))


def permutation_p(found: list[float], others: list[float], n: int = 20000, seed: int = 0) -> float:
    """One-sided: how often a random relabelling gives the 'found' group a mean at least as high."""
    rng = random.Random(seed)
    pooled = found + others
    observed = statistics.mean(found) - statistics.mean(others)
    k, hits = len(found), 0
    for _ in range(n):
        rng.shuffle(pooled)
        if statistics.mean(pooled[:k]) - statistics.mean(pooled[k:]) >= observed - 1e-12:
            hits += 1
    return (hits + 1) / (n + 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--methods", default="darts1,darts2,gumbel,enas,proxyless,spos")
    parser.add_argument("--search-epochs", type=int, default=10)
    parser.add_argument("--retrain-epochs", type=int, default=10)
    parser.add_argument("--random", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", default=None, help="write the results as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train, val, test = hard_digits()
    both = torch.utils.data.ConcatDataset([train, val])
    seeds = list(range(args.seeds))
    rng = random.Random(12345)
    space = Space()
    start = time.perf_counter()
    randoms = []
    for i in range(args.random):
        arch = nas.random_arch(space, rng)
        scores = [retrain(arch, s, args.retrain_epochs, both, test) for s in seeds]
        randoms.append((arch, scores))
        print(f"random {i + 1}: mean {statistics.mean(scores):.4f} {scores}", flush=True)
    random_scores = [s for _, scores in randoms for s in scores]
    random_means = [statistics.mean(scores) for _, scores in randoms]
    rows = []
    for method in args.methods.split(","):
        t0 = time.perf_counter()
        arch = search(method, args.search_epochs, train, val)
        seconds = time.perf_counter() - t0
        scores = [retrain(arch, s, args.retrain_epochs, both, test) for s in seeds]
        p = permutation_p(scores, random_scores)
        rows.append({"method": method, "search_s": seconds, "scores": scores, "p": p, "arch": arch})
        print(
            f"{method}: search {seconds:.0f}s, mean {statistics.mean(scores):.4f} {scores} p={p:.4f} {arch}",
            flush=True,
        )
    print(
        f"\n{args.random} random archs x {args.seeds} seeds, retrain {args.retrain_epochs} epochs, "
        f"search {args.search_epochs} epochs, {args.threads} thread(s); total {time.perf_counter() - start:.0f}s"
    )
    print(
        f"random: median of means {statistics.median(random_means):.4f}, "
        f"min {min(random_means):.4f}, max {max(random_means):.4f}\n"
    )
    print("| method | search wall time | found: mean test acc (seeds) | random median | p (found > random) |")
    print("|---|---|---|---|---|")
    for r in rows:
        scores = ", ".join(f"{s:.3f}" for s in r["scores"])
        print(
            f"| {r['method']} | {r['search_s']:.0f} s | {statistics.mean(r['scores']):.4f} ({scores}) | "
            f"{statistics.median(random_means):.4f} | {r['p']:.4f} |"
        )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump({"random": randoms, "methods": rows, "args": vars(args)}, fh, indent=1)


if __name__ == "__main__":
    main()
