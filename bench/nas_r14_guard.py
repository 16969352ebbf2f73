"""Guard of the fourteenth round's declaration: the first reused pick retrained here, compared with its
stored scores (rows: nas_r14_guard.jsonl)."""

import json

import torch
from nas_enas_short import SETTINGS, task_args
from nas_hard import make_task, retrain
from torch.utils.data import ConcatDataset

torch.set_num_threads(1)
rows = [json.loads(line) for line in open("nas_r14_eval_d100.jsonl")]
first = next(r for r in rows if r["source"].startswith("reused"))
hard = task_args(
    {k: SETTINGS[k] for k in ("width", "canvas", "patch", "noise", "train_copies", "eval_copies")}
)
train, val, test = make_task(hard)
both = ConcatDataset([train, val])
scores = [retrain(first["arch"], s, hard, both, test) for s in range(3)]
out = {
    "guard": "first reused pick retrained",
    "file": first["file"],
    "method": first["method"],
    "seed": first["seed"],
    "arch": first["arch"],
    "stored": first["scores"],
    "retrained": scores,
    "equal": scores == first["scores"],
}
print(out)
with open("nas_r14_guard.jsonl", "a") as fh:
    fh.write(json.dumps(out) + "\n")
