"""Digits figures of autolab.compress (examples/compress): (1) 50% of the FLOPs pruned (uniform L1),
finetuned with and without KD from the unpruned teacher; (2) per-layer ratios searched by an autolab
experiment (examples/compress/config.yml, TPE, validation accuracy) against uniform ratios, both at
the same FLOPs and finetuned alike, on the test set.

    nice -n 10 python3 bench/compress_digits.py --seeds 3 --epochs 5 --trials 20 --json /tmp/compress_digits.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "compress"
sys.path[:0] = [str(ROOT), str(EXAMPLE)]

import digits  # noqa: E402
from prune_kd import pruned_student  # noqa: E402


def kd_recovery(seeds: list[int], epochs: int, flops: float) -> dict:
    train_set, _, test_set = digits.datasets()
    rows = []
    for seed in seeds:
        teacher, plain, _ = pruned_student(flops, None)
        _, kd, _ = pruned_student(flops, None)
        pruned = digits.accuracy(plain, test_set)
        digits.train(plain, train_set, epochs, lr=0.01, seed=seed)
        digits.train(kd, train_set, epochs, lr=0.01, teacher=teacher, seed=seed)
        row = {"seed": seed, "teacher": digits.accuracy(teacher, test_set), "pruned": pruned}
        row.update(finetuned=digits.accuracy(plain, test_set), finetuned_kd=digits.accuracy(kd, test_set))
        rows.append(row)
        print(json.dumps(row), flush=True)
    mean = {
        k: statistics.mean(r[k] for r in rows) for k in ("teacher", "pruned", "finetuned", "finetuned_kd")
    }
    lost = mean["teacher"] - mean["finetuned"]
    mean["kd_recovered_fraction"] = (
        (mean["finetuned_kd"] - mean["finetuned"]) / lost if lost > 0 else float("nan")
    )
    return {"rows": rows, "mean": mean}


def search(trials: int, search_epochs: int, flops: float, work: Path) -> dict[str, float]:
    """Run the example's autolab experiment; the best trial's ratios (by validation accuracy)."""
    code = work / "code"
    shutil.copytree(EXAMPLE, code, ignore=shutil.ignore_patterns("__pycache__"))
    config = (code / "config.yml").read_text()
    config = config.replace(
        "python3 trial.py --flops 0.5 --epochs 2",
        f"{sys.executable} trial.py --flops {flops} --epochs {search_epochs}",
    )
    config = re.sub(r"maxTrialNumber: \d+", f"maxTrialNumber: {trials}", config)
    config = re.sub(r"maxExperimentDuration: \w+", "maxExperimentDuration: 60m", config)
    (code / "config.yml").write_text(config)
    env = {**os.environ, "AUTOLAB_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "autolab.cli"]
    out = subprocess.run([*cli, "create", "--config", str(code / "config.yml"), "--foreground", "--port", "0"],
                         env=env, capture_output=True, text=True, check=True, timeout=3600).stdout  # fmt: skip
    exp_id = re.search(r"Experiment (\S+)", out).group(1)  # type: ignore[union-attr]
    exported = work / "export.json"
    subprocess.run(
        [*cli, "experiment", "export", exp_id, "-f", str(exported), "--type", "json"], env=env, check=True
    )
    done = [r for r in json.loads(exported.read_text()) if r.get("value") is not None]
    best = max(done, key=lambda r: r["value"]["default"] if isinstance(r["value"], dict) else r["value"])
    print(f"search: {len(done)} trials, best validation accuracy {best['value']}", flush=True)
    return {k: float(v) for k, v in best["parameter"].items()}


def searched_vs_uniform(ratios: dict[str, float], seeds: list[int], epochs: int, flops: float) -> dict:
    train_set, _, test_set = digits.datasets()
    rows = []
    for seed in seeds:
        row: dict = {"seed": seed}
        for name, given in (("uniform", None), ("searched", ratios)):
            _, student, plan = pruned_student(flops, given)
            digits.train(student, train_set, epochs, lr=0.01, seed=seed)
            row[name] = digits.accuracy(student, test_set)
            row[f"{name}_flops_kept"] = plan.flops() / type(plan)(plan.graph, {}).flops()
        rows.append(row)
        print(json.dumps(row), flush=True)
    mean = {k: statistics.mean(r[k] for r in rows) for k in rows[0] if k != "seed"}
    return {"ratios": ratios, "rows": rows, "mean": mean}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5, help="finetuning epochs (KD figure, final finetune)")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--search-epochs", type=int, default=2)
    parser.add_argument("--flops", type=float, default=0.5)
    parser.add_argument("--json")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    digits.teacher()  # trained once (cached in examples/compress/teacher.pt) before any trial needs it
    result = {"kd": kd_recovery(seeds, args.epochs, args.flops)}
    print(json.dumps(result["kd"]["mean"]), flush=True)
    with tempfile.TemporaryDirectory(prefix="compress-bench-") as tmp:
        ratios = search(args.trials, args.search_epochs, args.flops, Path(tmp))
    result["search"] = searched_vs_uniform(ratios, seeds, args.epochs, args.flops)
    print(json.dumps(result["search"]["mean"]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
