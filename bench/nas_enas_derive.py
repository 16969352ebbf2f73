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
        "uniform_batches": getattr(trainer, "uniform_batches", 0),
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
    parser.add_argument(
        "--rank-known",
        default=None,
        help="a nas_known_archs.py JSON: score its architectures too (tau, the top picks' test means)",
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
        warm += f"_u{hard.enas_uniform_prob:g}" if hard.enas_uniform_prob else ""
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
                if own.rank_known:
                    rows[-1][key.replace("random", "known")] = rank_known(trainer, own.rank_known)
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


def rank_known(trainer: Any, path: str) -> dict[str, Any]:
    """The known architectures (nas_known_archs.py) on the whole validation split: Kendall tau of their
    shared-weight scores against their test means, the test means of the 1 / 5 best scored, and the
    mean score of those with and without a pool / skip op."""
    from scipy.stats import kendalltau

    with open(path, encoding="utf-8") as fh:
        archs = json.load(fh)["archs"]
    stand = [statistics.mean(r["scores"]) for r in archs]
    scores = [trainer.evaluate(r["arch"]) for r in archs]
    free = [sum(v in ("max_pool", "avg_pool", "skip") for v in r["arch"].values()) for r in archs]
    order = sorted(range(len(archs)), key=lambda i: -scores[i])
    out = {
        "tau": float(kendalltau(stand, scores)[0]),
        "tau_top": float(kendalltau([stand[i] for i in order[:30]], [scores[i] for i in order[:30]])[0]),
        "top1_test": stand[order[0]],
        "top5_test": statistics.mean(stand[i] for i in order[:5]),
        "score_no_free": statistics.mean(s for s, f in zip(scores, free, strict=True) if f == 0),
        "score_free": statistics.mean(s for s, f in zip(scores, free, strict=True) if f > 0),
        "scores": scores,
        "standalone": stand,
    }
    print(
        f"rank of the {len(archs)} known archs ({trainer.derive_bn}): tau {out['tau']:.3f}, tau of the top 30 "
        f"{out['tau_top']:.3f}, test mean of the best-scored {out['top1_test']:.4f}, of the top 5 "
        f"{out['top5_test']:.4f}; score without / with pool-skip {out['score_no_free']:.3f} / "
        f"{out['score_free']:.3f}; best-scored {list(archs[order[0]]['arch'].values())}",
        flush=True,
    )
    return out


if __name__ == "__main__":
    main()
