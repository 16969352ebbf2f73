"""Markdown tables from bench/tuners.py's JSON:  python bench/tuner_table.py [bench/tuner_results.json]"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fmt(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2g}" if abs(x) < 0.01 else f"{x:.3f}" if abs(x) < 1 else f"{x:.2f}"


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "tuner_results.json")
    with open(path) as fh:
        res = json.load(fh)
    quality = res["quality"]
    cols: list[str] = []
    for row in quality.values():
        cols += [c for c in row if c not in cols]
    print("| function | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for func, row in quality.items():
        print(
            f"| {func} | "
            + " | ".join(fmt(row[c]["median_regret"]) if c in row else "—" for c in cols)
            + " |"
        )
    print()
    names = {t: f"autolab {t}" for t in ("tpe", "smac", "gp")}
    par_cols: list[str] = []
    for par in res["parallel"].values():
        par_cols += [c for c in par if c not in par_cols]
    print("| function | " + " | ".join(f"{names.get(c, c)} seq / 8 running (ratio)" for c in par_cols) + " |")
    print("|---|" + "---:|" * len(par_cols))
    for func, par in res["parallel"].items():
        cells = []
        for c in par_cols:
            seq = quality[func].get(names.get(c, c), {}).get("median_regret")
            p = par.get(c, {}).get("median_regret")
            ratio = f" ({p / seq:.2f}x)" if seq and p is not None else ""
            cells.append(f"{fmt(seq)} / {fmt(p)}{ratio}" if p is not None else "—")
        print(f"| {func} | " + " | ".join(cells) + " |")
    print()
    print(
        "| tuner | 1000th suggestion of a 1000-eval run (ms, wall) | with 1000 finished trials: median wall / CPU (ms) "
        "| same, 7 more running (ms, wall) |"
    )
    print("|---|---:|---:|---:|")
    for name, lat in res["latency"].items():
        hist = (
            f"{lat['history_median_ms']:.2f} / {lat['history_cpu_median_ms']:.2f}"
            if "history_cpu_median_ms" in lat
            else "—"
        )
        running = f"{lat['history_7_running_median_ms']:.1f}" if "history_7_running_median_ms" in lat else "—"
        print(f"| {name} | {lat['lat_last_ms']:.1f} | {hist} | {running} |")
    print(f"\nload average during the run: {res.get('load_average')}")


if __name__ == "__main__":
    main()
