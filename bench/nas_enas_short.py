"""ENAS's pick chosen by short standalone retrains of the derivation's top candidates (fourteenth round,
bench/nas_r14_declared.md), measured on STORED searches: nothing is searched again.

    score     for each stored search row (file, derivation): the distinct architectures among its stored
              `top` list (the derivation's 5 best by shared-weight score, duplicates included), each
              retrained standalone for --epochs on the search's TRAINING split with seed --seed (width,
              lr, batch and schedule as nas_hard.retrain), scored on the search's VALIDATION split; the
              pick is the best (ties: the higher shared-weight score, then the earlier in the list).
              The test split is never built. One jsonl row per search row (appended).
    evaluate  each scored pick as nas_hard.py evaluate does (3 retrain seeds 0-2, 10 epochs, train+val,
              test split) against the 20 random architectures x 3 seeds of evaluate_8ep.json, one-sided
              nas_hard.permutation_p; scores reused from an earlier evaluate*.json of the same settings
              (nas_known_archs.SETTINGS) when the architecture was retrained there (`source` says which),
              retrained otherwise. One jsonl row per pick (appended).
    table     the rows, pass counts and the scorer's wall time.

    PYTHONPATH=.. python3 nas_enas_short.py score --rows nas_r14_scorer.jsonl \\
        --searches nas_hard_results/search_r12_enas200_u1_s12.json --methods "enas d100 ball"
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import torch
from nas_hard import Space, build_parser, make_task, permutation_p, retrain
from nas_known_archs import SETTINGS, retrained_rows
from torch.utils.data import ConcatDataset

from autolab import nas
from autolab.nas.training import evaluate, loader, train_model

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "nas_hard_results")


def key(arch: dict[str, Any]) -> str:
    return json.dumps(arch, sort_keys=True)


def task_args(search_args: dict[str, Any]) -> argparse.Namespace:
    """nas_hard's namespace with the search's task settings (canvas, noise, copies, width)."""
    hard = build_parser().parse_args(["evaluate", "--searched", "-"])
    for name in ("width", "canvas", "patch", "noise", "train_copies", "eval_copies"):
        setattr(hard, name, search_args[name])
    return hard


def short_score(
    arch: dict[str, Any], hard: argparse.Namespace, train: Any, val: Any, epochs: int, seed: int
) -> float:
    torch.manual_seed(seed)
    with nas.fixed_arch(arch):
        model = Space(hard.width)
    train_model(model, train, epochs=epochs, batch_size=64, lr=0.05, device="cpu", seed=seed)
    return evaluate(model, loader(val, 512, shuffle=False), device=torch.device("cpu"))


def candidates(top: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """The distinct architectures among the first k entries, in order, each with its best (first) score."""
    out: dict[str, dict[str, Any]] = {}
    for entry in top[:k]:
        out.setdefault(key(entry["arch"]), {"arch": entry["arch"], "shared": entry["score"]})
    return list(out.values())


def cmd_score(args: argparse.Namespace) -> None:
    methods = args.methods.split(",")
    for path in args.searches.split(","):
        with open(path, encoding="utf-8") as fh:
            stored = json.load(fh)
        hard = task_args(stored["args"])
        train, val, _ = make_task(hard)  # the search's split (seed 0); the test split is not used
        for r in stored["searches"]:
            if r["method"] not in methods or "top" not in r:
                continue
            t0, cands = time.perf_counter(), candidates(r["top"], args.k)
            for i, c in enumerate(cands):
                c["val"] = short_score(c["arch"], hard, train, val, args.epochs, args.seed)
                c["rank"] = i
            pick = max(cands, key=lambda c: (c["val"], c["shared"], -c["rank"]))
            seconds = time.perf_counter() - t0
            row = {
                "file": os.path.basename(path),
                "method": r["method"],
                "seed": r["seed"],
                "uniform_prob": stored["args"].get("enas_uniform_prob") or 0.0,
                "epochs": args.epochs,
                "scorer_seed": args.seed,
                "k": args.k,
                "candidates": cands,
                "arch": pick["arch"],
                "derived": r["arch"],
                "changed": key(pick["arch"]) != key(r["arch"]),
                "scorer_s": seconds,
                "search_s": r["search_s"] + seconds,
                "stored_search_s": r["search_s"],
                "time": time.strftime("%H:%M:%S", time.gmtime()),
            }
            with open(args.rows, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
            vals = [round(c["val"], 4) for c in cands]
            print(
                f"{row['file']} {r['method']} s{r['seed']}: {len(cands)} candidates, val {vals}, "
                f"pick {list(pick['arch'].values())} (changed {row['changed']}), {seconds:.0f}s",
                flush=True,
            )


def known_scores() -> dict[str, tuple[list[float], str]]:
    """Every architecture a stored evaluate*.json retrained with the default settings: its scores."""
    out: dict[str, tuple[list[float], str]] = {}
    for path, _, row in retrained_rows(RESULTS):
        k = key(row["arch"])
        if k in out and out[k][0] != row["scores"]:
            raise SystemExit(f"{path}: {k} retrained to other scores than before")
        out.setdefault(k, (row["scores"], os.path.basename(path)))
    return out


def random_scores() -> list[float]:
    with open(os.path.join(RESULTS, "evaluate_8ep.json"), encoding="utf-8") as fh:
        return [s for r in json.load(fh)["random"] for s in r["scores"]]


def cmd_evaluate(args: argparse.Namespace) -> None:
    with open(args.scored, encoding="utf-8") as fh:
        scored = [json.loads(line) for line in fh if line.strip()]
    done: set[tuple[str, str, int, int]] = set()
    if os.path.exists(args.rows):
        with open(args.rows, encoding="utf-8") as fh:
            done = {(r["file"], r["method"], r["seed"], r["epochs"]) for r in map(json.loads, fh)}
    hard = task_args(
        {k: SETTINGS[k] for k in ("width", "canvas", "patch", "noise", "train_copies", "eval_copies")}
    )
    known, others = known_scores(), random_scores()
    data = None
    for s in scored:
        if (s["file"], s["method"], s["seed"], s["epochs"]) in done:
            continue
        if args.only and s["file"] not in args.only.split(","):
            continue
        k = key(s["arch"])
        if k in known and not args.force_retrain:
            scores, source = known[k][0], f"reused from {known[k][1]}"
        else:
            if data is None:
                train, val, test = make_task(hard)
                data = (ConcatDataset([train, val]), test)
            t0 = time.perf_counter()
            scores = [retrain(s["arch"], seed, hard, data[0], data[1]) for seed in range(SETTINGS["seeds"])]
            source = f"retrained ({time.perf_counter() - t0:.0f}s)"
            known[k] = (scores, "this run")
        row = {
            "file": s["file"],
            "method": s["method"],
            "seed": s["seed"],
            "epochs": s["epochs"],
            "arch": s["arch"],
            "scores": scores,
            "mean": statistics.mean(scores),
            "p": permutation_p(scores, others),
            "source": source,
        }
        with open(args.rows, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
        print(
            f"{s['file']} {s['method']} s{s['seed']}: {row['mean']:.4f} p={row['p']:.4f} ({source})",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["score", "evaluate"])
    parser.add_argument("--searches", help="score: comma-separated stored search JSONs")
    parser.add_argument("--methods", default="enas d100 ball", help="score: derivations, comma-separated")
    parser.add_argument("--k", type=int, default=5, help="score: entries of the stored top list")
    parser.add_argument("--epochs", type=int, default=3, help="score: the short retrain's epochs")
    parser.add_argument("--seed", type=int, default=3, help="score: the short retrain's seed")
    parser.add_argument("--scored", help="evaluate: the score command's jsonl")
    parser.add_argument("--only", default="", help="evaluate: only these search files")
    parser.add_argument("--force-retrain", action="store_true", help="evaluate: retrain even known archs")
    parser.add_argument("--rows", required=True, help="jsonl to append rows to")
    args = parser.parse_args()
    torch.set_num_threads(1)
    {"score": cmd_score, "evaluate": cmd_evaluate}[args.command](args)


if __name__ == "__main__":
    main()
