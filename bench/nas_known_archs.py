"""Every architecture nas_hard.py has retrained on the test set (the 20 random ones and every method's
picks of every round: `evaluate*.json`, the default task and retrain settings, 3 seeds), one row each
with its 3 test scores. The twelfth round's diagnostic ranks these with a search's shared weights
(`nas_enas_derive.py --rank-known`): a larger, top-heavy set than the 20 random architectures.

    python nas_known_archs.py --output nas_hard_results/known_archs_test.json
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
from collections.abc import Iterator
from typing import Any

SETTINGS = {"seeds": 3, "retrain_epochs": 10, "width": 16, "canvas": 12, "patch": 3, "noise": 0.2}
SETTINGS.update({"train_copies": 3, "eval_copies": 4, "random": 20})


def retrained_rows(results: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, kind, row) for every architecture an `evaluate*.json` under `results` retrained with
    SETTINGS; kind "random" or "methods", row {"arch", "scores", ...}."""
    for path in sorted(glob.glob(os.path.join(results, "evaluate*.json"))):
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if any(data["args"].get(k) != v for k, v in SETTINGS.items()):
            continue
        for kind in ("random", "methods"):
            for row in data.get(kind, []):
                yield path, kind, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "nas_hard_results"))
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    known: dict[str, dict] = {}
    for path, kind, row in retrained_rows(args.results):
        key = json.dumps(row["arch"], sort_keys=True)
        entry = known.setdefault(
            key, {"arch": row["arch"], "scores": row["scores"], "random": False, "sources": []}
        )
        if entry["scores"] != row["scores"]:
            raise SystemExit(f"{path}: {key} retrained to other scores than before")
        entry["random"] |= kind == "random"
        if os.path.basename(path) not in entry["sources"]:
            entry["sources"].append(os.path.basename(path))
    rows = sorted(known.values(), key=lambda r: -statistics.mean(r["scores"]))
    means = [statistics.mean(r["scores"]) for r in rows]
    print(
        f"{len(rows)} architectures ({sum(r['random'] for r in rows)} random), means {means[-1]:.4f}-{means[0]:.4f}"
    )
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump({"archs": rows, "settings": SETTINGS}, fh, indent=1)


if __name__ == "__main__":
    main()
