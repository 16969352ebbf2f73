"""BigNAS (issue 19): subnets straight from the supernet vs trained alone, search vs random, step time.

    nice -n 10 python bench/bignas.py                            # the sizes in bench/README.md
    python bench/bignas.py --epochs 30 --seeds 0 1 2 --datasets digits shapes
    python bench/bignas.py --table bench/bignas_*.json     # tables and medians of several runs

Per data set (sklearn digits, 1x8x8, 10 classes; `shapes`, generated here: 1x16x16 noisy bars,
squares, crosses and diagonals at random places and sizes, 6 classes) and seed:
1. the supernet is sandwich-trained for E epochs with in-place distillation on and off; its max,
   min and two middle subnets (the random subnets at the 1/3 and 2/3 FLOPs quantiles of 200) are
   scored on the held-out test set straight from it (BN calibrated on 10 training batches);
   the same four architectures are trained alone from scratch for the same E epochs (same
   optimizer, learning rate, batch size and seed) and scored on the same test set;
2. with the distilled supernet, evolution (population 10, 5 generations, scored on the validation
   set) inside FLOPs <= the middle of the span, against 20 random subnets in that range: test
   accuracy of the searched subnet vs the median of the 20 (all straight from the supernet);
3. one sandwich step (4 subnets, distillation) vs one step of the plain (extracted) max model, same
   batch of 64, alternated, mean of 20 steps after 3 warm-up steps, in CPU time (one torch thread)
   and wall time.
Results go to bench/bignas_results.json and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from autolab.nas.bignas import BigNASSpace, SandwichTrainer, build_subnet, build_supernet
from autolab.nas.bignas.evaluate import evaluate_subnet, subnet_cost
from autolab.nas.bignas.sampling import CostCache, sample_in_range
from autolab.nas.bignas.search import search
from autolab.nas.data import digits_datasets
from autolab.nas.training import evaluate, loader, train_model

HERE = os.path.dirname(os.path.abspath(__file__))
LR, BATCH, WD = 0.05, 64, 3e-5

SPACES = {
    "digits": {
        "out_channel": {"space": {"min": [8, 8, 16], "max": [16, 24, 48], "stride": [8, 8, 16]}},
        "kernel_size": {"space": {"min": 3, "max": [3, 5, 5], "stride": 2}},
        "depth": {"space": {"min": [1, 1, 1], "max": [1, 2, 3], "stride": 1}},
        "expand_ratio": {"space": {"min": [1, 2, 2], "max": [1, 4, 4], "stride": 2}},
    },
    "shapes": {
        "out_channel": {"space": {"min": [8, 8, 16], "max": [16, 24, 48], "stride": [8, 8, 16]}},
        "kernel_size": {"space": {"min": 3, "max": [3, 5, 5], "stride": 2}},
        "depth": {"space": {"min": [1, 1, 1], "max": [1, 2, 3], "stride": 1}},
        "expand_ratio": {"space": {"min": [1, 2, 2], "max": [1, 4, 4], "stride": 2}},
    },
}
SHAPES = {
    "digits": (1, 8, 8, 10, [1, 1, 2]),
    "shapes": (1, 16, 16, 6, [1, 2, 2]),
}  # C, H, W, classes, strides


def shapes_datasets(
    n_train: int = 900, n_val: int = 1500, n_test: int = 1500, seed: int = 0
) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """(train, val, test): noisy 16x16 images of 6 shape classes. Validation and test are larger than
    the training set so that one image is 0.07 points: subnets a point apart are told apart, and the
    search is not just picking validation noise."""
    n = n_train + n_val + n_test
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.35, size=(n, 1, 16, 16)).astype(np.float32)
    y = rng.integers(0, 6, size=n)
    for i, c in enumerate(y):
        s = int(rng.integers(5, 10))  # size
        r, q = (int(v) for v in rng.integers(0, 16 - s + 1, size=2))  # top-left corner
        img = x[i, 0]
        mid = s // 2
        if c == 0:
            img[r + mid, q : q + s] += 1.5  # horizontal bar
        elif c == 1:
            img[r : r + s, q + mid] += 1.5  # vertical bar
        elif c == 2:
            img[r : r + s, q : q + s] += 1.0  # filled square
        elif c == 3:
            img[r, q : q + s] += 1.5  # hollow square
            img[r + s - 1, q : q + s] += 1.5
            img[r : r + s, q] += 1.5
            img[r : r + s, q + s - 1] += 1.5
        elif c == 4:
            img[r + mid, q : q + s] += 1.5  # cross
            img[r : r + s, q + mid] += 1.5
        else:
            for k in range(s):  # diagonal
                img[r + k, q + k] += 1.5
    data = [
        TensorDataset(torch.from_numpy(x[a:b]), torch.from_numpy(y[a:b].astype(np.int64)))
        for a, b in ((0, n_train), (n_train, n_train + n_val), (n_train + n_val, n))
    ]
    return data[0], data[1], data[2]


def datasets(name: str) -> tuple[Any, Any, Any]:
    return digits_datasets(seed=0) if name == "digits" else shapes_datasets()


def build(name: str, seed: int) -> Any:
    c, _, _, classes, strides = SHAPES[name]
    torch.manual_seed(seed)
    return build_supernet(
        BigNASSpace.from_dict(SPACES[name]), num_classes=classes, in_channels=c, strides=strides
    )


def train_supernet(name: str, epochs: int, seed: int, distill: bool) -> tuple[Any, float]:
    train, val, _ = datasets(name)
    supernet = build(name, seed)
    opt = torch.optim.SGD(supernet.parameters(), lr=LR, momentum=0.9, weight_decay=WD, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, epochs))
    trainer = SandwichTrainer(
        supernet,
        F.cross_entropy,
        opt,
        train,
        None,
        num_epochs=epochs,
        batch_size=BATCH,
        distill=distill,
        lr_scheduler=sched,
        device="cpu",
        seed=seed,
    )
    start = time.perf_counter()
    trainer.fit()
    return supernet, time.perf_counter() - start


def probe(name: str) -> torch.Tensor:
    c, h, w, _, _ = SHAPES[name]
    return torch.zeros(1, c, h, w)


def picked_subnets(name: str) -> dict[str, Any]:
    """max, min and the random subnets at the 1/3 and 2/3 FLOPs quantiles of 200 (fixed seed)."""
    supernet = build(name, 0)
    space = supernet.space
    rng = random.Random(123)
    drawn = sorted(
        (subnet_cost(supernet, space.random(rng), probe(name)) for _ in range(200)), key=lambda r: r["flops"]
    )
    return {
        "max": space.max(),
        "mid-high": drawn[133]["settings"],
        "mid-low": drawn[66]["settings"],
        "min": space.min(),
    }


def scratch(name: str, settings: Any, epochs: int, seed: int) -> float:
    c, _, _, classes, strides = SHAPES[name]
    train, _, test = datasets(name)
    torch.manual_seed(seed)
    model = build_subnet(SPACES[name], settings, num_classes=classes, in_channels=c, strides=strides)
    train_model(
        model,
        train,
        epochs=epochs,
        batch_size=BATCH,
        lr=LR,
        weight_decay=WD,
        device="cpu",
        seed=seed,
        grad_clip=None,
    )
    return evaluate(model, loader(test, 256, False), device=torch.device("cpu"))


def step_times(name: str, steps: int = 20, warmup: int = 3) -> dict[str, float]:
    train, _, _ = datasets(name)
    supernet = build(name, 0)
    opt = torch.optim.SGD(supernet.parameters(), lr=LR, momentum=0.9)
    trainer = SandwichTrainer(
        supernet, F.cross_entropy, opt, train, None, num_epochs=0, batch_size=BATCH, device="cpu"
    )
    plain = supernet.extract(supernet.space.max()).train()
    plain_opt = torch.optim.SGD(plain.parameters(), lr=LR, momentum=0.9)
    x, y = next(iter(loader(train, BATCH, True)))
    # CPU time of this process (one torch thread) beside wall time: on a shared machine the wall
    # time is mostly waiting for a core
    times: dict[str, list[float]] = {"sandwich": [], "plain_max": [], "sandwich_cpu": [], "plain_max_cpu": []}

    def plain_step() -> None:
        plain_opt.zero_grad()
        F.cross_entropy(plain(x), y).backward()
        plain_opt.step()

    for i in range(warmup + steps):
        for name, step in (("sandwich", lambda: trainer.train_step(x, y)), ("plain_max", plain_step)):
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            if i >= warmup:
                times[name].append((time.perf_counter() - wall) * 1000)
                times[name + "_cpu"].append((time.process_time() - cpu) * 1000)
    out = {f"{k}_ms": statistics.mean(v) for k, v in times.items()}
    out["ratio"] = out["sandwich_ms"] / out["plain_max_ms"]
    out["cpu_ratio"] = out["sandwich_cpu_ms"] / out["plain_max_cpu_ms"]
    return out


def run(name: str, epochs: int, seed: int) -> dict[str, Any]:
    train, val, test = datasets(name)
    calib, valid, held_out = (
        loader(train, BATCH, True, seed=1),
        loader(val, 256, False),
        loader(test, 256, False),
    )
    x = probe(name)
    subnets = picked_subnets(name)
    out: dict[str, Any] = {"dataset": name, "seed": seed, "epochs": epochs, "subnets": {}}
    for label, settings in subnets.items():
        out["subnets"][label] = {
            "settings": settings,
            **{k: v for k, v in subnet_cost(build(name, 0), settings, x).items() if k != "settings"},
        }
    supernets = {}
    for distill in (True, False):
        supernet, seconds = train_supernet(name, epochs, seed, distill)
        supernets[distill] = supernet
        key = "distill" if distill else "no_distill"
        out[f"train_seconds_{key}"] = seconds
        for label, settings in subnets.items():
            r = evaluate_subnet(
                supernet, settings, calib, held_out, calib_batches=10, example_input=x, latency_runs=0
            )
            out["subnets"][label][key] = r["accuracy"]
        print(
            f"[{name} seed {seed}] supernet ({key}) {seconds:.0f}s: "
            + ", ".join(f"{k} {v[key]:.4f}" for k, v in out["subnets"].items()),
            flush=True,
        )
    for label, settings in subnets.items():
        out["subnets"][label]["scratch"] = scratch(name, settings, epochs, seed)
    print(
        f"[{name} seed {seed}] scratch: "
        + ", ".join(f"{k} {v['scratch']:.4f}" for k, v in out["subnets"].items()),
        flush=True,
    )
    supernet = supernets[True]
    cost = CostCache(supernet, x)
    smallest, largest = cost.span()
    budget = (None, (smallest + largest) / 2)
    randoms = sample_in_range(cost, 20, budget, seed=seed + 1)
    random_test = [
        evaluate_subnet(
            supernet, r["settings"], calib, held_out, calib_batches=10, example_input=x, latency_runs=0
        )["accuracy"]
        for r in randoms
    ]
    result = search(
        supernet,
        budget,
        calib,
        valid,
        example_input=x,
        population_size=10,
        generations=5,
        parents=5,
        mutation_prob=0.3,
        calib_batches=10,
        latency_runs=0,
        seed=seed,
    )
    best_test = evaluate_subnet(
        supernet, result.best["settings"], calib, held_out, calib_batches=10, example_input=x, latency_runs=0
    )
    out["search"] = {
        "flops_budget": budget[1],
        "searched_test": best_test["accuracy"],
        "searched_flops": best_test["flops"],
        "searched_val": result.best["accuracy"],
        "scored": len(result.history),
        "random_median_test": statistics.median(random_test),
        "random_best_test": max(random_test),
        "random_median_flops": statistics.median(r["flops"] for r in randoms),
    }
    print(f"[{name} seed {seed}] search: {out['search']}", flush=True)
    return out


def table(results: list[dict[str, Any]], times: dict[str, Any]) -> str:
    lines = [
        "| data set | seed | subnet | FLOPs | params | supernet, distill | supernet, no distill "
        "| alone from scratch | gap (distill) | gap (no distill) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for label, s in r["subnets"].items():
            lines.append(
                f"| {r['dataset']} | {r['seed']} | {label} | {s['flops']:,} | {s['params']:,} | {s['distill']:.4f} | "
                f"{s['no_distill']:.4f} | {s['scratch']:.4f} | {100 * (s['distill'] - s['scratch']):+.2f} | "
                f"{100 * (s['no_distill'] - s['scratch']):+.2f} |"
            )
    lines += [
        "",
        "| data set | seed | FLOPs budget | searched: test acc (FLOPs) | 20 random: median test acc (best) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        s = r["search"]
        lines.append(
            f"| {r['dataset']} | {r['seed']} | <= {s['flops_budget']:,.0f} | "
            f"{s['searched_test']:.4f} ({s['searched_flops']:,}) | "
            f"{s['random_median_test']:.4f} ({s['random_best_test']:.4f}) |"
        )
    if not times:
        return "\n".join(lines)
    lines += [
        "",
        "| data set | sandwich step: CPU ms (wall) | plain max model step: CPU ms (wall) | ratio: CPU (wall) |",
        "|---|---|---|---|",
    ]
    for name, t in times.items():
        lines.append(
            f"| {name} | {t['sandwich_cpu_ms']:.1f} ({t['sandwich_ms']:.1f}) | {t['plain_max_cpu_ms']:.1f} "
            f"({t['plain_max_ms']:.1f}) | {t['cpu_ratio']:.2f} ({t['ratio']:.2f}) |"
        )
    return "\n".join(lines)


def medians(results: list[dict[str, Any]]) -> str:
    """Per data set: the median over seeds of each subnet's accuracies and gaps, and how often the
    searched subnet beat the random median."""
    lines = [
        "| data set | seeds | subnet | supernet, distill | supernet, no distill | alone | gap (distill) "
        "| gap (no distill) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = sorted({r["dataset"] for r in results}, key=list(SHAPES).index)
    med = statistics.median
    for name in names:
        runs = [r for r in results if r["dataset"] == name]
        for label in runs[0]["subnets"]:
            s = [r["subnets"][label] for r in runs]
            lines.append(
                f"| {name} | {len(runs)} | {label} | {med(x['distill'] for x in s):.4f} | "
                f"{med(x['no_distill'] for x in s):.4f} | {med(x['scratch'] for x in s):.4f} | "
                f"{med(100 * (x['distill'] - x['scratch']) for x in s):+.2f} | "
                f"{med(100 * (x['no_distill'] - x['scratch']) for x in s):+.2f} |"
            )
    lines += [
        "",
        "| data set | seeds | searched: median test acc | random median: median over seeds | "
        "searched > random median |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        runs = [r["search"] for r in results if r["dataset"] == name]
        wins = sum(s["searched_test"] > s["random_median_test"] for s in runs)
        lines.append(
            f"| {name} | {len(runs)} | {med(s['searched_test'] for s in runs):.4f} | "
            f"{med(s['random_median_test'] for s in runs):.4f} | {wins} of {len(runs)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "shapes"], choices=list(SHAPES))
    parser.add_argument("--output", default=os.path.join(HERE, "bignas_results.json"))
    parser.add_argument("--no-step-times", action="store_true", help="skip the step-time measurement")
    parser.add_argument(
        "--table",
        nargs="+",
        metavar="JSON",
        help="print the tables of these result files (e.g. one per seed)",
    )
    args = parser.parse_args()
    if args.table:
        loaded = [json.load(open(path)) for path in args.table]
        results = [r for d in loaded for r in d["results"]]
        print(table(results, {k: v for d in loaded for k, v in d["step_times"].items()}))
        print("\nMedians over seeds:\n\n" + medians(results))
        return
    torch.set_num_threads(1)  # the bench machine is shared: one thread is steadier
    start = time.perf_counter()
    times = {} if args.no_step_times else {name: step_times(name) for name in args.datasets}
    print(f"step times: {times}", flush=True)
    results = [run(name, args.epochs, seed) for name in args.datasets for seed in args.seeds]
    meta = {
        "epochs": args.epochs,
        "seeds": args.seeds,
        "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "load_average": os.getloadavg(),
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time(),
    }
    with open(args.output, "w") as fh:
        json.dump({"meta": meta, "step_times": times, "results": results}, fh, indent=1)
    print(table(results, times))
    print("\nMedians over seeds:\n\n" + medians(results))
    print(f"\n{meta}")


if __name__ == "__main__":
    main()
