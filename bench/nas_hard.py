"""NAS methods on a harder proxy task made here (no download): sklearn digits placed at a random
spot of a larger canvas, a random patch blanked, Gaussian noise on top.

Three steps, each a subcommand; every method searches the same space (5 blocks, each a LayerChoice
of 6 operations, so every method, ProxylessNAS included, applies):

    calibrate  random architectures trained on train, scored on VALIDATION: their spread and the
               per-architecture std over seeds (used to fix the task before any method runs)
    search     each method x each search seed: its architecture and search wall time (JSON)
    evaluate   the random architectures and each method's architectures (of --search-seeds) retrained
               from scratch on train+val with --seeds seeds, scored on the held-out test set;
               the found mean against the random median and a one-sided permutation p-value of
               "found mean > random mean" (found scores against all random scores)

    nice -n 10 python bench/nas_hard.py calibrate --random 8 --seeds 2
    nice -n 10 python bench/nas_hard.py search --search-seeds 0,1 --output search.json
    nice -n 10 python bench/nas_hard.py evaluate --searched search.json   # 20 random x 3 seeds
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F
from torch.utils.data import ConcatDataset, TensorDataset

from autolab import nas
from autolab.nas.training import evaluate, forever, loader, train_model

OPS = ["conv3x3", "conv5x5", "dil_conv3x3", "sep_conv3x3", "max_pool", "skip"]
BLOCKS = 5
METHODS = "darts1,darts2,gumbel,enas,proxyless,spos"
# DARTS's architecture step: Adam lr 3e-4 over 50 epochs x 391 steps (CIFAR-10 half, batch 64).
PAPER_ARCH_LR, PAPER_ARCH_STEPS = 3e-4, 50 * 391


def render(x: np.ndarray, copies: int, canvas: int, patch: int, noise: float, rng: Any) -> np.ndarray:
    """`copies` corrupted renderings of each 8x8 digit: random placement on the canvas, a random
    patch x patch square blanked, Gaussian noise of std `noise`."""
    digits = np.repeat(x.reshape(-1, 8, 8) / 16.0, copies, axis=0)
    images = np.zeros((len(digits), 1, canvas, canvas), dtype=np.float32)
    for i, digit in enumerate(digits):
        dy, dx = rng.integers(0, canvas - 8 + 1, size=2)
        images[i, 0, dy : dy + 8, dx : dx + 8] = digit
        if patch:
            oy, ox = rng.integers(0, canvas - patch + 1, size=2)
            images[i, 0, oy : oy + patch, ox : ox + patch] = 0.0
    images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    return images


def make_task(args: argparse.Namespace, seed: int = 0) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """Digits split 60/15/25 (stratified) into train / val / test before rendering, so no digit
    appears in two splits; train is rendered --train-copies times (more data, less seed noise), val
    and test --eval-copies times (less evaluation noise)."""
    x, y = load_digits(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.25, random_state=seed, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.2, random_state=seed, stratify=y_rest
    )
    rng = np.random.default_rng(seed)

    def make(a: np.ndarray, b: np.ndarray, copies: int) -> TensorDataset:
        images = render(a, copies, args.canvas, args.patch, args.noise, rng)
        return TensorDataset(
            torch.from_numpy(images), torch.from_numpy(np.repeat(b, copies).astype(np.int64))
        )

    return (
        make(x_train, y_train, args.train_copies),
        make(x_val, y_val, args.eval_copies),
        make(x_test, y_test, args.eval_copies),
    )


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

    def __init__(self, width: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.ModuleList(
            nas.LayerChoice({name: op(name, width) for name in OPS}, label=f"block{i + 1}")
            for i in range(BLOCKS)
        )
        self.head = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == 1:
                x = F.max_pool2d(x, 2)
        return self.head(x.mean(dim=(2, 3)))


def search(
    method: str, args: argparse.Namespace, seed: int, data: tuple[Any, Any, Any], history: list[Any]
) -> dict[str, Any]:
    """One search; the weights' optimizer is DARTS's (SGD 0.025, momentum 0.9, wd 3e-4) for all
    (--weight-decay: R-DARTS's L2 remedy raises the wd, 3x / 9x / 27x ... the default).
    The trainer's per-epoch log (losses; ENAS's shared-weight reward) is appended to `history`."""
    train, val, _ = data
    torch.manual_seed(seed)
    model = Space(args.width)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=args.weight_decay)
    common: dict[str, Any] = {
        "num_epochs": args.search_epochs,
        "batch_size": 64,
        "device": "cpu",
        "seed": seed,
        "log": history.append,
    }
    if method in ("darts1", "darts2", "gumbel", "proxyless"):
        # The paper's total Adam travel of alpha over our (far fewer) alpha steps (none in the
        # --darts-warmup-epochs); betas and decay as DARTS.
        # --darts-arch-lr-epochs: under early stopping --search-epochs is a cap, not the search's length.
        epochs = args.darts_arch_lr_epochs or args.search_epochs - args.darts_warmup_epochs
        steps = epochs * math.ceil(len(train) / 64)
        kwargs = {**common, "arch_lr": PAPER_ARCH_LR * PAPER_ARCH_STEPS / steps, "val_dataset": val}
        kwargs["warmup_epochs"] = args.darts_warmup_epochs
        if args.darts_early_stop_ops:  # DARTS+: stop at this many parameter-free ops / a stable ranking
            kwargs["early_stop_ops"] = args.darts_early_stop_ops.split(",")
            kwargs["early_stop_count"] = args.darts_early_stop_count
        kwargs["early_stop_stable_epochs"] = args.darts_early_stop_stable_epochs
        kwargs["auxiliary_skip"] = args.darts_auxiliary_skip  # DARTS-
        if method == "darts2":
            kwargs["unrolled"] = True
        if method == "proxyless":
            kwargs["example_input"] = torch.zeros(1, 1, args.canvas, args.canvas)
        cls = {
            "darts1": nas.DartsTrainer,
            "darts2": nas.DartsTrainer,
            "gumbel": nas.GumbelDartsTrainer,
            "proxyless": nas.ProxylessTrainer,
        }[method]
        trainer = cls(model, F.cross_entropy, opt, train, **kwargs).fit()
        if trainer.stopped:
            history.append({"stopped": trainer.stopped})
        return nas.export(trainer)
    if method == "enas":
        enas = enas_trainer(args, model, opt, train, val, common).fit()
        arch = nas.export(enas)
        if enas.retrained:  # the pick by short retrains: its candidates, best first, in the search's row
            history.append({"retrained": enas.retrained})
        return arch
    if method == "spos":  # evolution: population / generations from the flags, 10 parents, half mutation
        schedule = None  # and half crossover children (autolab's defaults; the SPOS paper's 50 / 20)
        if args.spos_lr_schedule == "linear":  # SPOS's paper: the supernet's lr decays linearly to 0
            epochs = args.search_epochs
            schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1.0 - epoch / epochs)
        trainer = nas.SposTrainer(
            model,
            F.cross_entropy,
            opt,
            train,
            val,
            sampling=args.spos_sampling,
            recalibrate_batches=args.spos_recalibrate_batches,
            lr_scheduler=schedule,
            few_shot_epochs=args.spos_few_shot_epochs,
            few_shot_split=args.spos_few_shot_split,
            **common,
        ).fit()
        found = trainer.search(population_size=args.spos_population, generations=args.spos_generations)
        if args.spos_rank_random:  # after the search, so the search is the same with or without it
            history.append({"rank": rank_random(trainer, args.spos_rank_random)})
        return found
    raise SystemExit(f"unknown method {method!r}")


def enas_trainer(
    args: argparse.Namespace, model: nn.Module, opt: Any, train: Any, val: Any, common: dict[str, Any]
) -> nas.EnasTrainer:
    """ENAS with NNI's / the paper's controller settings (autolab's defaults) unless the flags say
    otherwise (also built by nas_enas_derive.py, which saves the fitted state and derives from it)."""
    steps = {"controller_steps_per_batch": args.enas_steps_per_batch} if args.enas_steps_per_batch else {}
    batches = None if args.enas_derive_batches == "all" else int(args.enas_derive_batches)
    cls: Any = nas.EnasTrainer
    if args.enas_warmup_epochs:  # the tenth round's uniform warm-up, a bench-only patch (not adopted)
        from nas_enas_warmup import WarmupEnasTrainer

        cls, steps["warmup_epochs"] = WarmupEnasTrainer, args.enas_warmup_epochs
    if args.enas_uniform_prob:  # the twelfth round's mixture of uniform paths, a bench-only patch
        if args.enas_warmup_epochs:
            raise SystemExit("--enas-uniform-prob and --enas-warmup-epochs do not combine")
        from nas_enas_mix import MixEnasTrainer

        cls, steps["uniform_prob"] = MixEnasTrainer, args.enas_uniform_prob
    return cls(
        model,
        F.cross_entropy,
        opt,
        train,
        val,
        controller_aggregate=args.enas_aggregate,
        derive_samples=args.enas_derive_samples,
        derive_batches=batches,
        derive_bn=args.enas_derive_bn,
        recalibrate_batches=args.enas_recalibrate_batches,
        few_shot_epochs=args.enas_few_shot_epochs,
        few_shot_split=args.enas_few_shot_split,
        # the pick by short retrains (autolab's default since the fourteenth round, 3 epochs); 0 here by
        # default, as every stored round searched; with it, built as nas_enas_short.py builds (seed 3)
        derive_retrain_epochs=args.enas_derive_retrain_epochs,
        derive_retrain_seed=3,
        model_fn=lambda: Space(args.width),
        **common,
        **steps,
    )


def rank_random(trainer: nas.SposTrainer, path: str) -> list[dict[str, Any]]:
    """The random architectures of an `evaluate` JSON scored by the trainer (with a few-shot split: on
    their sub-supernet) and on the one-shot supernet itself, next to their standalone test means;
    prints Kendall tau of each score with the standalone mean."""
    from scipy.stats import kendalltau

    with open(path, encoding="utf-8") as fh:
        randoms = json.load(fh)["random"]
    rows = []
    for r in randoms:
        row = {
            "arch": r["arch"],
            "standalone": statistics.mean(r["scores"]),
            "score": trainer.evaluate(r["arch"]),
        }
        if trainer.subs:
            nas.set_arch(trainer.model, r["arch"])
            nas.recalibrate_bn(trainer.model, forever(trainer.calib_loader), 20)
            row["one_shot"] = evaluate(trainer.model, trainer.val_loader, device=torch.device("cpu"))
        rows.append(row)
    stand = [r["standalone"] for r in rows]
    for key in ("score", "one_shot") if trainer.subs else ("score",):
        free = [sum(v in ("max_pool", "skip") for v in r["arch"].values()) for r in rows]
        tau, tau_free = (
            kendalltau(stand, [r[key] for r in rows])[0],
            kendalltau(free, [r[key] for r in rows])[0],
        )
        print(
            f"rank of the {len(rows)} random archs, {key}: Kendall tau {tau:.3f}, tau(#pool/skip) {tau_free:.3f}"
        )
    return rows


def retrain(arch: dict[str, Any], seed: int, args: argparse.Namespace, train: Any, test: Any) -> float:
    torch.manual_seed(seed)
    with nas.fixed_arch(arch):
        model = Space(args.width)
    train_model(model, train, epochs=args.retrain_epochs, batch_size=64, lr=0.05, device="cpu", seed=seed)
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


def random_archs(args: argparse.Namespace, train: Any, score_on: Any) -> list[dict[str, Any]]:
    """--random architectures (fixed draw, seed 12345) x --seeds retrains; prints the spread of
    their seed means and the per-architecture std over seeds (the noise a method must beat)."""
    rng, space, seeds = random.Random(12345), Space(args.width), range(args.seeds)
    rows = []
    for i in range(args.random):
        arch = nas.random_arch(space, rng)
        scores = [retrain(arch, s, args, train, score_on) for s in seeds]
        rows.append({"arch": arch, "scores": scores})
        print(
            f"random {i + 1}: mean {statistics.mean(scores):.4f} {[round(s, 4) for s in scores]}", flush=True
        )
    means = sorted(statistics.mean(r["scores"]) for r in rows)
    stds = [statistics.stdev(r["scores"]) for r in rows] if args.seeds > 1 else [0.0]
    q1, _, q3 = statistics.quantiles(means, n=4)
    print(
        f"random archs' seed means: median {statistics.median(means):.4f}, min {means[0]:.4f}, "
        f"max {means[-1]:.4f}, IQR {q1:.4f}-{q3:.4f}, std {statistics.stdev(means):.4f}; "
        f"per-arch std over seeds: mean {statistics.mean(stds):.4f}, max {max(stds):.4f}",
        flush=True,
    )
    return rows


def cmd_calibrate(args: argparse.Namespace) -> dict[str, Any]:
    train, val, _ = make_task(args)
    return {"random": random_archs(args, train, val)}


def cmd_search(args: argparse.Namespace) -> dict[str, Any]:
    data = make_task(args)
    rows = []
    for method in args.methods.split(","):
        for seed in [int(s) for s in args.search_seeds.split(",")]:
            t0, history = time.perf_counter(), []
            arch = search(method, args, seed, data, history)
            seconds = time.perf_counter() - t0
            rows.append(
                {"method": method, "seed": seed, "search_s": seconds, "arch": arch, "history": history}
            )
            stop = next((h["stopped"] for h in history if "stopped" in h), None)
            print(
                f"{method} seed {seed}: {seconds:.0f}s {arch}" + (f" stopped {stop}" if stop else ""),
                flush=True,
            )
    for method in args.methods.split(","):
        archs = [r["arch"] for r in rows if r["method"] == method]
        same = sum(a == b for a, b in zip(archs, archs[1:], strict=False))
        agree = [sum(a[k] == archs[0][k] for a in archs[1:]) for k in archs[0]]
        print(f"{method}: {len(archs)} search seeds, identical pairs {same}, block agreement {agree}")
    return {"searches": rows}


def cmd_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    train, val, test = make_task(args)
    both = ConcatDataset([train, val])
    with open(args.searched, encoding="utf-8") as fh:
        wanted = {int(seed) for seed in args.search_seeds.split(",")}
        searches = [r for r in json.load(fh)["searches"] if r["seed"] in wanted]
    if args.reuse_random:  # the same draw and seeds give the same scores: retrain only the methods
        with open(args.reuse_random, encoding="utf-8") as fh:
            saved = json.load(fh)
        keys = ("random", "seeds", "retrain_epochs", "width", "canvas", "patch", "noise", "train_copies")
        if any(saved["args"][k] != getattr(args, k) for k in keys + ("eval_copies",)):
            raise SystemExit(
                f"--reuse-random {args.reuse_random}: made with other settings ({saved['args']})"
            )
        randoms = saved["random"]
    else:
        randoms = random_archs(args, both, test)
    random_scores = [s for r in randoms for s in r["scores"]]
    median = statistics.median(statistics.mean(r["scores"]) for r in randoms)
    rows, retrained = [], {}  # the same architecture and seeds retrain to the same scores
    for r in searches:
        key = json.dumps(r["arch"], sort_keys=True)
        if key not in retrained:
            retrained[key] = [retrain(r["arch"], s, args, both, test) for s in range(args.seeds)]
        scores = retrained[key]
        rows.append({**r, "scores": scores, "p": permutation_p(scores, random_scores)})
        print(
            f"{r['method']} {r['seed']}: {statistics.mean(scores):.4f} {scores} p={rows[-1]['p']:.4f}",
            flush=True,
        )
    print("\n| method | search seed | search time | found: mean test acc (seeds) | random median | p |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        scores = ", ".join(f"{s:.3f}" for s in r["scores"])
        print(
            f"| {r['method']} | {r['seed']} | {r['search_s']:.0f} s | {statistics.mean(r['scores']):.4f} "
            f"({scores}) | {median:.4f} | {r['p']:.4f} |"
        )
    return {"random": randoms, "methods": rows}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["calibrate", "search", "evaluate"])
    parser.add_argument("--methods", default=METHODS)
    parser.add_argument("--search-seeds", default="0,1")
    parser.add_argument("--searched", help="evaluate: the JSON that `search --output` wrote")
    parser.add_argument(
        "--reuse-random", help="evaluate: take the random architectures' scores from this JSON"
    )
    parser.add_argument("--search-epochs", type=int, default=8)
    parser.add_argument(
        "--spos-sampling", default="uniform", choices=["uniform", "fair"], help="SposTrainer(sampling=...)"
    )
    parser.add_argument(
        "--darts-warmup-epochs",
        type=int,
        default=0,
        help="DARTS / GumbelDARTS / ProxylessNAS: epochs of weight training before the first alpha step",
    )
    parser.add_argument(
        "--darts-arch-lr-epochs",
        type=int,
        default=None,
        help="DARTS family: spread the paper's alpha travel over this many epochs (default: the search's "
        "alpha epochs, --search-epochs minus the warm-up)",
    )
    parser.add_argument(
        "--darts-early-stop-ops",
        default="",
        help="DARTS family, DARTS+ early stopping: these options, comma-separated (e.g. skip,max_pool), "
        "counted in the derived architecture at each epoch's end",
    )
    parser.add_argument("--darts-early-stop-count", type=int, default=2, help="stop at this many of them")
    parser.add_argument(
        "--darts-early-stop-stable-epochs",
        type=int,
        default=None,
        help="stop when the alphas' ranking is stable",
    )
    parser.add_argument(
        "--darts-auxiliary-skip",
        action="store_true",
        help="DARTS family, DARTS-: a skip around every block, its weight decayed from 1 to 0 over the search",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=3e-4,
        help="search: the weights' SGD weight decay, every method (DARTS's 3e-4; R-DARTS's L2 remedy: "
        "3x / 9x, 9e-4 / 2.7e-3)",
    )
    parser.add_argument("--spos-population", type=int, default=20, help="evolution (the paper: 50)")
    parser.add_argument("--spos-generations", type=int, default=10, help="evolution (the paper: 20)")
    parser.add_argument("--spos-recalibrate-batches", type=int, default=20, help="BN recalibration batches")
    parser.add_argument(
        "--spos-few-shot-epochs",
        type=int,
        default=0,
        help="SposTrainer(few_shot_epochs=...): few-shot NAS, epochs of each sub-supernet (0: no split)",
    )
    parser.add_argument("--spos-few-shot-split", default=None, help="SposTrainer(few_shot_split=...)")
    parser.add_argument(
        "--spos-rank-random",
        default=None,
        help="search: after SPOS's search, score the random architectures of this evaluate JSON (tau)",
    )
    parser.add_argument("--spos-lr-schedule", default="constant", choices=["constant", "linear"])
    parser.add_argument(
        "--enas-steps-per-batch",
        type=float,
        default=None,
        help="EnasTrainer(controller_steps_per_batch=...); the reference's ratio is 50/390 = 0.128 "
        "(default: 50 controller steps an epoch)",
    )
    parser.add_argument(
        "--enas-aggregate",
        type=int,
        default=20,
        help="EnasTrainer(controller_aggregate=...): samples per controller step (the third round ran 1)",
    )
    parser.add_argument(
        "--enas-derive-samples",
        type=int,
        default=10,
        help="EnasTrainer(derive_samples=...): 0 is the greedy decode (the third round's export)",
    )
    parser.add_argument(
        "--enas-derive-batches",
        default="1",
        help="EnasTrainer(derive_batches=...): validation batches each derived sample is scored on, or "
        "'all' (None: the whole validation split)",
    )
    parser.add_argument(
        "--enas-derive-bn",
        default="train",
        choices=["train", "recalibrate"],
        help="EnasTrainer(derive_bn=...): score derived samples with batch statistics (the default) or "
        "recalibrated BN in eval mode (round 11)",
    )
    parser.add_argument(
        "--enas-recalibrate-batches",
        type=int,
        default=20,
        help="EnasTrainer(recalibrate_batches=...): training batches of derive_bn='recalibrate'",
    )
    parser.add_argument(
        "--enas-few-shot-epochs",
        type=int,
        default=0,
        help="EnasTrainer(few_shot_epochs=...): few-shot NAS, epochs of each sub-supernet (0: no split)",
    )
    parser.add_argument("--enas-few-shot-split", default=None, help="EnasTrainer(few_shot_split=...)")
    parser.add_argument(
        "--enas-warmup-epochs",
        type=int,
        default=0,
        help="nas_enas_warmup.WarmupEnasTrainer (tenth round, not adopted): the first epochs train the weights "
        "on uniform paths, no controller step",
    )
    parser.add_argument(
        "--enas-uniform-prob",
        type=float,
        default=0.0,
        help="nas_enas_mix.MixEnasTrainer (twelfth round): the share of weight batches that train a uniform "
        "path instead of the controller's sample, for the whole search",
    )
    parser.add_argument(
        "--enas-derive-retrain-epochs",
        type=int,
        default=0,
        help="EnasTrainer(derive_retrain_epochs=...): the export is the best of the derivation's top 5 after "
        "this many epochs of standalone training (validation split); 0 (here): the shared-weight best",
    )
    parser.add_argument("--retrain-epochs", type=int, default=10)
    parser.add_argument("--random", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--width", type=int, default=16, help="channels of every block")
    parser.add_argument("--canvas", type=int, default=12)
    parser.add_argument("--patch", type=int, default=3, help="side of the blanked square (0: none)")
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--train-copies", type=int, default=3, help="renderings of each train digit")
    parser.add_argument("--eval-copies", type=int, default=4, help="renderings of each val/test digit")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", default=None, help="write the results as JSON here")
    return parser


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    if args.weight_decay < 0:
        parser.error(f"--weight-decay must be >= 0, got {args.weight_decay}")
    if args.enas_derive_batches != "all" and not (
        args.enas_derive_batches.isdigit() and int(args.enas_derive_batches) >= 1
    ):
        parser.error(
            f"--enas-derive-batches must be an integer >= 1 or 'all', got {args.enas_derive_batches!r}"
        )
    if args.command == "evaluate" and not args.searched:
        parser.error("evaluate needs --searched (the JSON of a `search` run)")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    result = {"calibrate": cmd_calibrate, "search": cmd_search, "evaluate": cmd_evaluate}[args.command](args)
    print(f"total {time.perf_counter() - start:.0f}s; {vars(args)}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump({**result, "args": vars(args)}, fh, indent=1)


if __name__ == "__main__":
    main()
