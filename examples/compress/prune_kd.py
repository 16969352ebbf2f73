"""Prune the digits ResNet to a FLOPs target, then finetune it with and without distillation from
the unpruned teacher (CPU, a minute or two).

    python3 prune_kd.py                        # uniform ratios, 50% of the FLOPs
    python3 prune_kd.py --ratios best.json     # per-layer ratios (e.g. the search's best), same FLOPs
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import digits

from autolab import compress
from autolab.compress import count_macs as count_flops
from autolab.nas.cost import count_params


def read_ratios(value: str) -> dict[str, float]:
    """{group leader: ratio} as JSON, inline or in a file; or the file `autolab experiment export`
    writes (its best trial's parameters are taken)."""
    text = Path(value).read_text() if Path(value).is_file() else value
    try:
        ratios = json.loads(text)
    except json.JSONDecodeError as e:
        sys.exit(f"--ratios {value}: not JSON ({e})")
    if isinstance(ratios, list) and all(isinstance(t, dict) and "parameter" in t for t in ratios):
        done = [t for t in ratios if t.get("value") is not None]
        if not done:
            sys.exit(f"--ratios {value}: no trial of that export has a result")
        ratios = max(
            done, key=lambda t: t["value"]["default"] if isinstance(t["value"], dict) else t["value"]
        )
        ratios = ratios["parameter"]
    if not isinstance(ratios, dict) or not all(isinstance(v, int | float) for v in ratios.values()):
        sys.exit(f"--ratios {value}: want an object of group leader -> ratio")
    return {str(k): float(v) for k, v in ratios.items()}


def pruned_student(flops: float, ratios: dict[str, float] | None, metric: str = "l1") -> tuple:
    teacher = digits.teacher()
    graph = compress.build_graph(teacher, digits.EXAMPLE)
    scores = compress.group_importance(graph, metric)
    mode = "layer" if ratios is not None else "uniform"
    plan = compress.flops_plan(graph, scores, flops, mode=mode, layer_ratios=ratios)
    return teacher, compress.apply_plan(plan), plan


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--flops", type=float, default=0.5, help="fraction of the teacher's FLOPs to keep")
    parser.add_argument("--epochs", type=int, default=5, help="finetuning epochs")
    parser.add_argument("--ratios", help="per-layer ratios: JSON object or file (scaled to the FLOPs target)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    start = time.time()
    teacher, student, plan = pruned_student(args.flops, read_ratios(args.ratios) if args.ratios else None)
    train_set, _, test_set = digits.datasets()
    results = {
        "teacher": digits.accuracy(teacher, test_set),
        "pruned": digits.accuracy(student, test_set),
        "flops_kept": count_flops(student, digits.EXAMPLE) / count_flops(teacher, digits.EXAMPLE),
        "params_kept": count_params(student) / count_params(teacher),
    }
    plain = digits.train(student, train_set, args.epochs, lr=0.01, seed=args.seed)
    results["finetuned"] = digits.accuracy(plain, test_set)
    _, again, _ = pruned_student(args.flops, read_ratios(args.ratios) if args.ratios else None)
    kd = digits.train(again, train_set, args.epochs, lr=0.01, teacher=teacher, seed=args.seed)
    results["finetuned_kd"] = digits.accuracy(kd, test_set)
    results["ratios"] = plan.ratios()
    results["seconds"] = time.time() - start
    for key in ("teacher", "pruned", "finetuned", "finetuned_kd"):
        print(f"{key:>13}: test accuracy {results[key]:.4f}")
    print(f"  FLOPs kept {results['flops_kept']:.3f}, params kept {results['params_kept']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    try:
        main()
    except compress.CompressError as e:
        sys.exit(f"error: {e}")
