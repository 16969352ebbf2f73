"""NAS on sklearn digits: search wall time, and the retrained test accuracy of the architecture each
search finds against the median of 5 random architectures from the same space, all retrained the
same way (from scratch, same epochs, same seeds, test set held out from search and retraining).

    python bench/nas_digits.py                  # DARTS and SPOS, ~10 minutes on a 2-core CPU
    python bench/nas_digits.py --only spos --retrain-epochs 10
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from typing import Any

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_example(name: str) -> Any:
    """The example's search.py as a module (each example directory has its own model.py)."""
    import importlib.util

    directory = os.path.join(ROOT, "examples", "nas", name)
    sys.path.insert(0, directory)
    sys.modules.pop("model", None)
    spec = importlib.util.spec_from_file_location(f"{name}_search", os.path.join(directory, "search.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.remove(directory)
    return module


def run(
    name: str, search_epochs: int, retrain_epochs: int, seeds: list[int], n_random: int
) -> dict[str, Any]:
    from autolab import nas

    example = load_example(name)
    print(f"[{name}] searching ({search_epochs} epochs)...", flush=True)
    if name == "darts_digits":
        arch, seconds = example.search(search_epochs, unrolled=False, seed=0, verbose=False)
        space_model = example.DigitsNet()
    else:
        arch, seconds, _ = example.search(search_epochs, seed=0, verbose=False)
        space_model = example.DigitsSupernet()
    print(f"[{name}] search {seconds:.0f}s: {arch}", flush=True)
    found = [example.retrain(arch, retrain_epochs, s) for s in seeds]
    rng = random.Random(12345)
    randoms = []
    for i in range(n_random):
        candidate = nas.random_arch(space_model, rng)
        accs = [example.retrain(candidate, retrain_epochs, s) for s in seeds]
        randoms.append(statistics.median(accs))
        print(f"[{name}] random {i + 1}: {statistics.median(accs):.4f}  {candidate}", flush=True)
    return {
        "name": name,
        "search_s": seconds,
        "found": statistics.median(found),
        "found_all": found,
        "random_median": statistics.median(randoms),
        "random_all": randoms,
        "arch": arch,
        "space": nas.space_size(space_model),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["darts", "spos"], default=None)
    parser.add_argument("--darts-epochs", type=int, default=15)
    parser.add_argument("--spos-epochs", type=int, default=20)
    parser.add_argument("--retrain-epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, default=3, help="retraining seeds per architecture (median)")
    parser.add_argument("--random", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(min(torch.get_num_threads(), 4))
    seeds = list(range(args.seeds))
    results = []
    start = time.perf_counter()
    if args.only in (None, "darts"):
        results.append(run("darts_digits", args.darts_epochs, args.retrain_epochs, seeds, args.random))
    if args.only in (None, "spos"):
        results.append(run("spos_digits", args.spos_epochs, args.retrain_epochs, seeds, args.random))
    print(
        f"\nCPU: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; total {time.perf_counter() - start:.0f}s; "
        f"retrain {args.retrain_epochs} epochs, median of {args.seeds} seeds per architecture\n"
    )
    print(
        "| search | space size | search wall time | found arch, test acc | median of "
        f"{args.random} random archs | random archs (each a median over seeds) |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        rand = ", ".join(f"{a:.3f}" for a in r["random_all"])
        print(
            f"| {r['name']} | {r['space']:,} | {r['search_s']:.0f} s | {r['found']:.4f} | "
            f"{r['random_median']:.4f} | {rand} |"
        )
    for r in results:
        print(f"\n{r['name']} found: {r['arch']}")


if __name__ == "__main__":
    main()
