"""Issue 18: the DARTS CIFAR-10 search epoch time (8 cells, 16 channels, batch 64), without the data set.

    python bench/nas_darts_cifar_timing.py --steps 20 --out ROWS.jsonl             # CPU, both orders
    python bench/nas_darts_cifar_timing.py --device cuda --steps 100 --out ROWS.jsonl   # on a lent GPU

The step's cost does not depend on the pixel values, so the network of examples/nas/darts_cifar10 is searched
on random CIFAR-shaped tensors (3 x 32 x 32, 10 classes) with `DartsTrainer` exactly as search.py runs it
(SGD 0.025 momentum 0.9 wd 3e-4, arch Adam 3e-4, half the images for the weights, half for the alphas,
export_exclude none, bfloat16 autocast on a GPU unless --no-amp). Each order runs two epochs of `--steps`
weight steps; the second is timed (the first pays for allocation and kernel selection). The projected epoch is
that epoch's seconds x 391 / steps: the paper's search epoch is 25,000 images at batch 64 = 391 steps, each a
weight step and an architecture step, and the trainer's epoch time includes its validation pass in the same
proportion. One JSON row per order: device, order, steps, seconds, seconds a step, projected epoch seconds,
projected 50-epoch search in hours.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import torch
from torch.nn import functional as F
from torch.utils.data import TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [
    os.path.dirname(HERE),
    os.path.join(os.path.dirname(HERE), "examples", "nas", "darts_cifar10"),
]

from model import SearchNetwork  # noqa: E402

from autolab import nas  # noqa: E402

PAPER_STEPS = 391  # 25,000 training images (half of CIFAR-10's 50,000) at batch 64, rounded up
EPOCHS = 50


def time_order(unrolled: bool, steps: int, device: str, amp: bool, seed: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    n = 2 * steps * 64  # half for the weights, half for the alphas: `steps` full batches each
    data = TensorDataset(torch.randn(n, 3, 32, 32, generator=gen), torch.randint(0, 10, (n,), generator=gen))
    torch.manual_seed(seed)
    model = SearchNetwork(16, 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    epochs: list[dict] = []
    trainer = nas.DartsTrainer(
        model,
        F.cross_entropy,
        opt,
        data,
        num_epochs=2,
        batch_size=64,
        unrolled=unrolled,
        export_exclude=["none"],
        device=device,
        amp=amp,
        seed=seed,
        log=epochs.append,
    )
    start = time.perf_counter()
    trainer.fit()
    total = time.perf_counter() - start
    timed = float(epochs[-1]["seconds"])
    per_epoch = timed * PAPER_STEPS / steps
    return {
        "device": str(trainer.device),
        "name": torch.cuda.get_device_name()
        if str(trainer.device).startswith("cuda")
        else platform.processor(),
        "threads": torch.get_num_threads(),
        "order": "second" if unrolled else "first",
        "amp": amp,
        "steps": steps,
        "seconds": round(timed, 3),
        "s_per_step": round(timed / steps, 4),
        "epoch_s": round(per_epoch, 1),
        "search_h": round(per_epoch * EPOCHS / 3600, 2),
        "wall_s": round(total, 1),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "load": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=20, help="weight steps in each of the two epochs")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-amp", action="store_true")
    parser.add_argument("--orders", default="first,second")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="append the rows to this JSON-lines file")
    args = parser.parse_args()
    for order in args.orders.split(","):
        if order not in ("first", "second"):
            sys.exit(f"--orders: 'first' or 'second', got {order!r}")
        row = time_order(order == "second", args.steps, args.device, not args.no_amp, args.seed)
        print(json.dumps(row), flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
