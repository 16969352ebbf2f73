"""SPOS on CIFAR-10 from a local folder (torchvision's python format; nothing is downloaded).

    python examples/nas/spos_cifar10/search.py --data ~/data/cifar10 --epochs 60
    python examples/nas/spos_cifar10/search.py --data DIR --limit 2000 --epochs 1 --retrain-epochs 1  # smoke
    python examples/nas/spos_cifar10/search.py --data DIR --min-flops 30000000 --max-flops 60000000

The supernet: 3 stages (32x32, 16x16, 8x8), each with a width choice and 3 residual blocks, each
block a LayerChoice of conv 3x3, conv 5x5, a conv with a kernel choice (3/5) or skip. Supernet
training samples one path a batch; evolution scores paths on 5000 held-out training images after
BatchNorm recalibration; the best is retrained from scratch. bfloat16 autocast on GPU unless
--no-amp.

FLOPs (multiply-adds of one 32x32 image) span about 10M to 984M in this space, the median random
architecture about 300M. A range given by --min-flops / --max-flops (or --min-params /
--max-params) is sampled directly, so any range inside the span works, however rare it is among
uniform random architectures.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Subset

from autolab import nas
from autolab.nas.data import cifar10_datasets
from autolab.nas.training import evaluate, loader, train_model

Width = nas.ValueChoice | int


class Residual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def conv_bn(c_in: Width, c_out: Width, k: Width, stride: int = 1) -> nn.Module:
    return nn.Sequential(
        nas.MutableConv2d(c_in, c_out, k, stride, bias=False), nas.MutableBatchNorm2d(c_out), nn.ReLU()
    )


class CifarSupernet(nn.Module):
    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        widths = [
            nas.ValueChoice(v, label=f"stage{s + 1}_width")
            for s, v in enumerate([[32, 48, 64], [64, 96, 128], [128, 192, 256]])
        ]
        layers: list[nn.Module] = [conv_bn(3, widths[0], 3)]
        for s, width in enumerate(widths):
            if s > 0:
                layers.append(conv_bn(widths[s - 1], width, 3, stride=2))
            for b in range(3):
                tag = f"s{s + 1}b{b + 1}"
                layers.append(
                    nas.LayerChoice(
                        {
                            "conv3x3": Residual(conv_bn(width, width, 3)),
                            "conv5x5": Residual(conv_bn(width, width, 5)),
                            "conv_k": Residual(
                                conv_bn(width, width, nas.ValueChoice([3, 5], label=f"{tag}_kernel"))
                            ),
                            "skip": nn.Identity(),
                        },
                        label=tag,
                    )
                )
        self.features = nn.Sequential(*layers)
        self.head = nas.MutableLinear(widths[-1], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="folder holding cifar-10-batches-py")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--retrain-epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--min-flops", type=int, default=None)
    parser.add_argument("--max-flops", type=int, default=None)
    parser.add_argument("--min-params", type=int, default=None)
    parser.add_argument("--max-params", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images (quick runs)")
    parser.add_argument("--no-amp", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default="spos_cifar10_arch.json")
    args = parser.parse_args()
    try:
        train_all, test = cifar10_datasets(args.data, args.limit)
    except nas.NasError as exc:
        sys.exit(str(exc))
    n_val = min(5000, len(train_all) // 10)
    gen = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(len(train_all), generator=gen).tolist()
    train, val = Subset(train_all, order[n_val:]), Subset(train_all, order[:n_val])
    torch.manual_seed(args.seed)
    model = CifarSupernet()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    trainer = nas.SposTrainer(
        model,
        F.cross_entropy,
        opt,
        train,
        val,
        num_epochs=args.epochs,
        batch_size=args.batch_size,
        lr_scheduler=sched,
        amp=not args.no_amp,
        workers=args.workers,
        seed=args.seed,
        log=lambda e: print(
            f"epoch {e['epoch']}: loss {e['train_loss']:.3f} "
            f"acc {e['train_metric']:.3f} ({e['seconds']:.0f}s)",
            flush=True,
        ),
    )
    trainer.fit()
    probe = torch.zeros(1, 3, 32, 32)
    try:
        arch = trainer.search(
            population_size=args.population,
            generations=args.generations,
            parents=max(2, args.population // 5),
            min_flops=args.min_flops,
            max_flops=args.max_flops,
            min_params=args.min_params,
            max_params=args.max_params,
            example_input=probe,
            log=lambda g, best: print(f"generation {g}: best {best:.4f}", flush=True),
        )
    except nas.NasError as exc:
        sys.exit(f"search: {exc}")
    print(json.dumps({**arch, **nas.arch_cost(model, arch, probe.to(trainer.device))}, indent=1))
    nas.save_arch(arch, args.output)
    with nas.fixed_arch(arch):
        final = CifarSupernet()
    train_model(
        final,
        train_all,
        epochs=args.retrain_epochs,
        batch_size=96,
        lr=0.05,
        amp=not args.no_amp,
        seed=args.seed,
    )
    print(f"test accuracy: {evaluate(final, loader(test, 256, shuffle=False), amp=not args.no_amp):.4f}")


if __name__ == "__main__":
    main()
