"""The shipped scorer (autolab.nas.enas_options, as EnasTrainer(derive_retrain_epochs=3, derive_retrain_seed=3,
model_fn=Space) runs it) against the bench scorer's stored rows (nas_enas_short.py): the same validation
scores and pick on a stored search, bit for bit. Rows: nas_r14_autolab_check.jsonl.

    PYTHONPATH=.. python3 nas_r14_autolab_check.py search_r12_enas200_u1_s13.json "enas d100 ball" \\
        nas_r14_score_d100.jsonl
"""

from __future__ import annotations

import json
import os
import sys
from types import SimpleNamespace

import torch
from nas_enas_short import RESULTS, task_args
from nas_hard import Space, make_task
from torch.nn import functional as F

from autolab.nas.effective import arch_key
from autolab.nas.enas_options import pick, short_retrain_score
from autolab.nas.space import choice_groups
from autolab.nas.training import accuracy


def main() -> None:
    name, method, rows_file = sys.argv[1:4]
    torch.set_num_threads(1)
    with open(os.path.join(RESULTS, name), encoding="utf-8") as fh:
        stored = json.load(fh)
    row = next(r for r in stored["searches"] if r["method"] == method)
    with open(rows_file, encoding="utf-8") as fh:
        bench = next(r for r in map(json.loads, fh) if r["file"] == name and r["method"] == method)
    hard = task_args(stored["args"])
    train, val, _ = make_task(hard)
    trainer = SimpleNamespace(
        model=None,
        model_fn=lambda: Space(hard.width),
        derive_retrain_seed=3,
        train_dataset=train,
        val_dataset=val,
        derive_retrain_epochs=3,
        batch_size=64,
        derive_retrain_lr=0.05,
        loss=F.cross_entropy,
        device=torch.device("cpu"),
        amp=True,
        metric=accuracy,
    )
    scored = [(t["arch"], t["score"]) for t in row["top"]]
    groups = choice_groups(Space(hard.width))  # the key EnasTrainer.export passes (effective.arch_key)
    shipped = pick(scored, 5, lambda arch: short_retrain_score(trainer, arch), lambda a: arch_key(groups, a))
    by_arch = {json.dumps(c["arch"], sort_keys=True): c["val"] for c in bench["candidates"]}
    same = all(by_arch[json.dumps(r["arch"], sort_keys=True)] == r["retrain"] for r in shipped)
    out = {
        "file": name,
        "method": method,
        "shipped": shipped,
        "bench_pick": bench["arch"],
        "same_scores": same and len(shipped) == len(by_arch),
        "same_pick": shipped[0]["arch"] == bench["arch"],
    }
    print(out, flush=True)
    with open("nas_r14_autolab_check.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
