"""One trial of the ratio search: prune the trained digits ResNet with the tuner's per-layer ratios
(scaled together to the FLOPs target, so every trial costs the same), finetune briefly and report
the validation accuracy. The test set is left for the final finetune (prune_kd.py --ratios)."""

from __future__ import annotations

import argparse

import digits

import autolab
from autolab import compress
from autolab.compress import count_macs as count_flops


def run(ratios: dict[str, float], flops: float, epochs: int, kd: bool, seed: int = 0) -> dict:
    teacher = digits.teacher()
    graph = compress.build_graph(teacher, digits.EXAMPLE)
    scores = compress.group_importance(graph, "l1")
    plan = compress.flops_plan(graph, scores, flops, mode="layer", layer_ratios=ratios)
    student = compress.apply_plan(plan)
    train_set, val_set, _ = digits.datasets()
    digits.train(student, train_set, epochs, lr=0.01, teacher=teacher if kd else None, seed=seed)
    kept = count_flops(student, digits.EXAMPLE) / count_flops(teacher, digits.EXAMPLE)
    return {"default": digits.accuracy(student, val_set), "flops_kept": kept, "ratios": plan.ratios()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flops", type=float, default=0.5, help="fraction of the FLOPs to keep")
    parser.add_argument("--epochs", type=int, default=2, help="finetuning epochs per trial")
    parser.add_argument("--kd", action="store_true", help="finetune with distillation from the teacher")
    args = parser.parse_args()
    ratios = {k: float(v) for k, v in autolab.get_next_parameter().items()}
    autolab.report_final_result(run(ratios, args.flops, args.epochs, args.kd))


if __name__ == "__main__":
    main()
