"""PNG plots of sampled and searched subnets. matplotlib is imported inside each function so that
the BigNAS modules load without it (it comes with the `nas` extra; the Agg backend needs no display)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

Record = dict[str, Any]
Range = tuple[float | None, float | None]


def _figure() -> Any:
    import matplotlib  # here, not at the top: only a plot needs it (see the module doc)

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # likewise

    return plt


def _save(plt: Any, fig: Any, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _bounds(ax: Any, flops_range: Range) -> None:
    for bound in flops_range:
        if bound is not None:
            ax.axvline(bound / 1e6, color="grey", linestyle=":", linewidth=1)


def flops_histogram(
    records: Sequence[Record],
    path: str,
    flops_range: Range = (None, None),
    baselines: dict[str, float] | None = None,
    bins: int = 30,
) -> None:
    """Histogram of the subnets' MFLOPs, the range's bounds dotted and each baseline (name ->
    FLOPs, e.g. a hand-designed model's) a labelled vertical line."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([r["flops"] / 1e6 for r in records], bins=bins, color="tab:blue", alpha=0.8)
    _bounds(ax, flops_range)
    colours = iter(["tab:red", "tab:green", "tab:orange", "tab:purple", "tab:brown"])
    for name, flops in (baselines or {}).items():
        ax.axvline(
            flops / 1e6, color=next(colours, "black"), linewidth=1.5, label=f"{name} ({flops / 1e6:.2f}M)"
        )
    if baselines:
        ax.legend(fontsize=8)
    ax.set_xlabel("MFLOPs (multiply-adds, one input)")
    ax.set_ylabel("subnets")
    ax.set_title(f"FLOPs of {len(records)} subnets")
    _save(plt, fig, path)


def accuracy_vs_flops(
    records: Sequence[Record],
    path: str,
    front: Sequence[Record] = (),
    flops_range: Range = (None, None),
    title: str = "",
) -> None:
    """Every evaluated subnet as a point, the Pareto front as a line (accuracy up, FLOPs left)."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(
        [r["flops"] / 1e6 for r in records],
        [r["accuracy"] for r in records],
        s=12,
        color="grey",
        label="evaluated",
    )
    if front:
        ordered = sorted(front, key=lambda r: r["flops"])
        ax.plot(
            [r["flops"] / 1e6 for r in ordered],
            [r["accuracy"] for r in ordered],
            "o-",
            color="tab:red",
            label="Pareto front",
        )
        ax.legend(fontsize=8)
    _bounds(ax, flops_range)
    ax.set_xlabel("MFLOPs (multiply-adds, one input)")
    ax.set_ylabel("accuracy")
    ax.set_title(title or f"{len(records)} subnets")
    _save(plt, fig, path)
