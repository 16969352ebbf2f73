"""ENAS on nas_hard's task: fit once per search seed, save the fitted state, derive several ways.

A fitted ENAS (shared weights, controller, the sampling generator's state) is saved to
`--checkpoint-dir` and reloaded when it is there, so several derivations read the same search; each
derivation starts from a fresh trainer with that state loaded, i.e. it draws exactly the samples the
first derivation after `fit()` would draw (`10:1` reproduces `nas_hard.py search`'s export). The rows
are a `search` JSON for `nas_hard.py evaluate --searched` (method "enas d<samples> b<batches>";
search_s = the fit's seconds + the derivation's). Flags this script does not know go to nas_hard's
parser (`--search-epochs 200 --enas-steps-per-batch 0.128205128`, ...).

    python nas_enas_derive.py --search-seeds 0 --derive 10:1,10:all,100:all \\
        --checkpoint-dir /tmp/ckpt --output search.json --search-epochs 200 --enas-steps-per-batch 0.128205128

A setting `samples:batches:recal` derives with `derive_bn="recalibrate"` (BN recalibrated on 20 training
batches, eval mode; the eleventh round). `--rank-random evaluate.json` also scores that JSON's random
architectures on the whole validation split with the fitted shared weights (Kendall tau against their
standalone test means: how well the shared weights rank; it does not change any derivation), once per
`--rank-bn` setting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import torch
from nas_hard import Space, build_parser, enas_trainer, make_task


def build(hard: argparse.Namespace, seed: int, data: Any, history: list[Any]) -> Any:
    """The trainer nas_hard.search builds for ENAS (same seeding, model, optimizer, flags)."""
    train, val, _ = data
    torch.manual_seed(seed)
    model = Space(hard.width)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9, weight_decay=hard.weight_decay)
    common = {"num_epochs": hard.search_epochs, "batch_size": 64, "device": "cpu", "seed": seed}
    return enas_trainer(hard, model, opt, train, val, {**common, "log": history.append})


def fitted(hard: argparse.Namespace, seed: int, data: Any, path: str) -> dict[str, Any]:
    if os.path.exists(path):
        print(f"seed {seed}: loading {path}", flush=True)
        return torch.load(path, weights_only=False)
    history: list[Any] = []
    trainer = build(hard, seed, data, history)
    t0 = time.perf_counter()
    trainer.fit()
    state = {
        "model": trainer.model.state_dict(),
        "controller": trainer.controller.state_dict(),
        "generator": trainer.generator.get_state(),
        "baseline": trainer.baseline,
        "history": trainer.history,
        "fit_s": time.perf_counter() - t0,
        "args": vars(hard),
    }
    torch.save(state, path)
    print(f"seed {seed}: fit {state['fit_s']:.0f}s, last {trainer.history[-1]}", flush=True)
    return state


def restored(hard: argparse.Namespace, seed: int, data: Any, state: dict[str, Any]) -> Any:
    trainer = build(hard, seed, data, [])
    trainer.model.load_state_dict(state["model"])
    trainer.controller.load_state_dict(state["controller"])
    trainer.generator.set_state(state["generator"])
    trainer.baseline = state["baseline"]
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--search-seeds", default="0")
    parser.add_argument(
        "--derive",
        default="10:1,10:all,100:all",
        help="samples:batches[:recal], comma-separated (recal: derive_bn='recalibrate')",
    )
    parser.add_argument("--checkpoint-dir", required=True)
    parser.add_argument("--rank-random", default=None, help="an evaluate JSON whose random archs to score")
    parser.add_argument(
        "--rank-bn",
        default="train",
        help="derive_bn settings to rank the random archs with (train,recalibrate)",
    )
    parser.add_argument("--output", required=True)
    own, rest = parser.parse_known_args()
    hard = build_parser().parse_args(["search", "--methods", "enas", *rest])
    torch.set_num_threads(hard.threads)
    data = make_task(hard)
    os.makedirs(own.checkpoint_dir, exist_ok=True)
    rows = []
    for seed in [int(s) for s in own.search_seeds.split(",")]:
        warm = f"_w{hard.enas_warmup_epochs}" if hard.enas_warmup_epochs else ""
        path = os.path.join(own.checkpoint_dir, f"enas_e{hard.search_epochs}{warm}_s{seed}.pt")
        state = fitted(hard, seed, data, path)
        for setting in own.derive.split(","):
            samples, batches, *bn = setting.split(":")
            trainer = restored(hard, seed, data, state)
            trainer.derive_samples = int(samples)
            trainer.derive_batches = None if batches == "all" else int(batches)
            trainer.derive_bn = {"recal": "recalibrate", "train": "train"}[bn[0]] if bn else "train"
            t0 = time.perf_counter()
            scored = trainer.derive()
            seconds = time.perf_counter() - t0
            distinct = len({json.dumps(a, sort_keys=True) for a, _ in scored})
            row = {
                "method": f"enas d{samples} b{batches}"
                + (" recal" if trainer.derive_bn == "recalibrate" else ""),
                "seed": seed,
                "search_s": state["fit_s"] + seconds,
                "fit_s": state["fit_s"],
                "derive_s": seconds,
                "arch": scored[0][0],
                "distinct_samples": distinct,
                "top": [{"arch": a, "score": s} for a, s in scored[:5]],
                "history": state["history"],
            }
            rows.append(row)
            print(
                f"seed {seed} {setting}: {seconds:.0f}s, {distinct} distinct, best {scored[0][1]:.4f} "
                f"{list(scored[0][0].values())}; next {[round(s, 4) for _, s in scored[1:5]]}",
                flush=True,
            )
        if own.rank_random:
            for bn in own.rank_bn.split(","):
                trainer = restored(hard, seed, data, state)
                trainer.derive_bn = bn
                key = "rank_random" if bn == "train" else f"rank_random_{bn}"
                rows[-1][key] = rank(trainer, own.rank_random)
    with open(own.output, "w", encoding="utf-8") as fh:
        json.dump({"searches": rows, "args": {**vars(hard), **vars(own)}}, fh, indent=1)


def rank(trainer: Any, path: str) -> dict[str, Any]:
    from scipy.stats import kendalltau, spearmanr

    with open(path, encoding="utf-8") as fh:
        randoms = json.load(fh)["random"]
    stand = [statistics.mean(r["scores"]) for r in randoms]
    scores = [trainer.evaluate(r["arch"]) for r in randoms]
    tau, rho = float(kendalltau(stand, scores)[0]), float(spearmanr(stand, scores)[0])
    print(
        f"rank of the {len(randoms)} random archs ({trainer.derive_bn}): Kendall tau {tau:.3f}, Spearman {rho:.3f}",
        flush=True,
    )
    return {"tau": tau, "spearman": rho, "scores": scores, "standalone": stand}


if __name__ == "__main__":
    main()
