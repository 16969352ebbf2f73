"""BigNAS on CIFAR-shaped data: the digits example's code at 3x32x32 (the full run wants a GPU).

    python examples/nas/bignas_cifar10/search.py --synthetic 512 --epochs 1 --device cpu  # smoke, no data
    python examples/nas/bignas_cifar10/search.py --data ~/data/cifar10 --epochs 100        # GPU
    python -m autolab.nas.bignas search OUT/supernet.pt --data cifar10:DIR --flops-range 20M:40M

Without --data the images are generated here (no download): CIFAR-shaped 3x32x32 tensors whose
class decides a coloured blob's colour and place, plus noise, so a run shows learning. --data DIR
reads torchvision's python batches (cifar-10-batches-py) from DIR; 10% of the training images are
held out for validation, the test batch only scores the final subnet. bfloat16 autocast on GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch
from torch.nn import functional as F
from torch.utils.data import Dataset, Subset, TensorDataset

from autolab.nas import NasError
from autolab.nas.bignas import BigNASSpace, SandwichTrainer, build_supernet, save_supernet
from autolab.nas.bignas.commands import parse_range
from autolab.nas.bignas.evaluate import evaluate_subnet, export_subnet, finetune_subnet
from autolab.nas.bignas.sampling import sample_flops
from autolab.nas.bignas.search import save_result, search
from autolab.nas.data import cifar10_datasets
from autolab.nas.training import evaluate, loader, resolve_device

HERE = os.path.dirname(os.path.abspath(__file__))


def generated(n: int = 2048, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) of n CIFAR-shaped images each: class c puts a blob of colour c at place c."""
    gen = torch.Generator().manual_seed(seed)
    colours = torch.rand(10, 3, 1, 1, generator=gen) * 2 - 1

    def make(count: int) -> TensorDataset:
        y = torch.randint(0, 10, (count,), generator=gen)
        x = 0.5 * torch.randn(count, 3, 32, 32, generator=gen)
        for i, c in enumerate(y.tolist()):
            r, q = 4 + 6 * (c // 4), 4 + 6 * (c % 4)
            x[i, :, r : r + 8, q : q + 8] += 1.5 * colours[c, :, :, :]
        return TensorDataset(x, y)

    return make(n), make(max(256, n // 4))


def split(train: Dataset, seed: int) -> tuple[Subset, Subset]:
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()  # type: ignore[arg-type]
    n_val = max(1, len(order) // 10)
    return Subset(train, order[n_val:]), Subset(train, order[:n_val])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", help="folder holding cifar-10-batches-py (default: generated images)")
    parser.add_argument(
        "--synthetic", type=int, default=2048, help="generated training images without --data"
    )
    parser.add_argument("--space", default=os.path.join(HERE, "space.yml"))
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--flops-range", default=None, help="LOW:HIGH (default: the lower half of the span)")
    parser.add_argument("--samples", type=int, default=500, help="random subnets in the FLOPs histogram")
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--finetune-epochs", type=int, default=10)
    parser.add_argument("--device", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bignas_cifar10_out")
    args = parser.parse_args()
    try:
        flops_range = parse_range(args.flops_range)
        train_all, test = cifar10_datasets(args.data) if args.data else generated(args.synthetic, args.seed)
        space = BigNASSpace.from_yaml(args.space)
    except NasError as exc:
        sys.exit(str(exc))
    train, val = split(train_all, args.seed)
    device = resolve_device(args.device)
    amp = device.type == "cuda"
    torch.manual_seed(args.seed)
    supernet = build_supernet(space, num_classes=10, in_channels=3, strides=[1, 2, 2])
    opt = torch.optim.SGD(supernet.parameters(), lr=args.lr, momentum=0.9, weight_decay=3e-5, nesterov=True)
    SandwichTrainer(
        supernet,
        F.cross_entropy,
        opt,
        train,
        val,
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        lr_scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, args.epochs)),
        device=device,
        amp=amp,
        workers=args.workers,
        seed=args.seed,
        log=lambda e: print(json.dumps({k: v for k, v in e.items() if not isinstance(v, list)}), flush=True),
    ).fit()
    os.makedirs(args.out, exist_ok=True)
    save_supernet(os.path.join(args.out, "supernet.pt"), supernet)
    calib = loader(train, args.batch_size, True, seed=1, workers=args.workers)
    valid = loader(val, 256, False, workers=args.workers)
    x = torch.zeros(1, 3, 32, 32, device=device)
    sampled = sample_flops(
        supernet, args.samples, example_input=x, seed=args.seed, plot=os.path.join(args.out, "flops.png")
    )
    flops = sorted(r["flops"] for r in sampled)
    print(
        f"{len(sampled)} random subnets: {flops[0]:,} to {flops[-1]:,} FLOPs (histogram in {args.out}/flops.png)"
    )
    if flops_range == (None, None):
        flops_range = (None, (flops[0] + flops[-1]) / 2)
    try:
        result = search(
            supernet,
            flops_range,
            calib,
            valid,
            example_input=x,
            population_size=args.population,
            generations=args.generations,
            parents=max(2, args.population // 5),
            mutation_prob=0.2,
            seed=args.seed,
            log=lambda g, best: print(f"generation {g}: best val accuracy {best:.4f}", flush=True),
        )
    except NasError as exc:
        sys.exit(f"search: {exc}")
    save_result(result, os.path.join(args.out, "search.json"), os.path.join(args.out, "search.png"))
    best = result.best
    print(f"best in FLOPs {list(flops_range)}: val accuracy {best['accuracy']:.4f}, {best['flops']:,} FLOPs")
    print(json.dumps(best["settings"]))
    held_out = loader(test, 256, False, workers=args.workers)
    straight = evaluate_subnet(supernet, best["settings"], calib, held_out, example_input=x, latency_runs=0)
    model = finetune_subnet(
        supernet,
        best["settings"],
        train,
        epochs=args.finetune_epochs,
        batch_size=args.batch_size,
        device=device,
        amp=amp,
        seed=args.seed,
    )
    export_subnet(model, best["settings"], os.path.join(args.out, "subnet.pt"))
    tuned = evaluate(model, held_out, device=device, amp=amp)
    print(
        f"test accuracy: {straight['accuracy']:.4f} straight from the supernet, {tuned:.4f} after finetuning"
    )


if __name__ == "__main__":
    main()
