"""sample_flops / sample_accuracy inside a FLOPs range, random and traverse modes, the histogram."""

from __future__ import annotations

import itertools
import json

import pytest

torch = pytest.importorskip("torch")

from autolab.nas import NasError  # noqa: E402
from autolab.nas.bignas.evaluate import settings_key, subnet_cost  # noqa: E402
from autolab.nas.bignas.sampling import sample_accuracy, sample_flops  # noqa: E402

from .subnets import loaders, small_supernet  # noqa: E402

X = torch.zeros(1, 1, 8, 8)
PNG = b"\x89PNG\r\n\x1a\n"


def span(supernet) -> tuple[int, int]:
    space = supernet.space
    return subnet_cost(supernet, space.min(), X)["flops"], subnet_cost(supernet, space.max(), X)["flops"]


def test_sample_flops_keeps_distinct_subnets_inside_the_range_and_plots(tmp_path) -> None:
    supernet = small_supernet()
    low, high = span(supernet)
    middle = (low + (high - low) // 4, low + 3 * (high - low) // 4)
    plot = tmp_path / "flops.png"
    records = sample_flops(supernet, 8, middle, example_input=X, plot=str(plot), baselines={"mine": 30000})
    assert len(records) == 8
    assert len({settings_key(r["settings"]) for r in records}) == 8
    assert all(middle[0] <= r["flops"] <= middle[1] for r in records)
    for r in records:  # the counts are the extracted subnet's
        assert r["flops"] == subnet_cost(supernet, r["settings"], X)["flops"]
    assert plot.read_bytes()[:8] == PNG
    json.dumps(records)  # plain data


def test_traverse_walks_the_grid_in_order() -> None:
    supernet = small_supernet()
    records = sample_flops(supernet, 5, None, example_input=X, mode="traverse")
    expected = list(itertools.islice(supernet.space.traverse(), 5))
    assert [r["settings"] for r in records] == expected
    every = sample_flops(supernet, 10_000, None, example_input=X, mode="traverse")
    assert len(every) == len(list(supernet.space.traverse()))  # the whole grid, each once


def test_bad_ranges_and_modes_are_clear_errors() -> None:
    supernet = small_supernet()
    low, high = span(supernet)
    with pytest.raises(NasError, match="low is above high"):
        sample_flops(supernet, 3, (high, low), example_input=X)
    with pytest.raises(NasError, match=f"span {low:,} to {high:,}"):
        sample_flops(supernet, 3, (high + 1, None), example_input=X)
    with pytest.raises(NasError, match="subnet_sample_mode 'grid'"):
        sample_flops(supernet, 3, None, example_input=X, mode="grid")
    with pytest.raises(NasError, match="n must be >= 1"):
        sample_flops(supernet, 0, None, example_input=X)


def test_sample_accuracy_scores_each_subnet(tmp_path) -> None:
    supernet = small_supernet()
    train, val = loaders()
    plot = tmp_path / "acc.png"
    records = sample_accuracy(
        supernet, 4, None, train, val, example_input=X, calib_batches=2, plot=str(plot), mode="traverse"
    )
    assert len(records) == 4
    assert all(0.0 <= r["accuracy"] <= 1.0 and r["flops"] > 0 for r in records)
    assert plot.read_bytes()[:8] == PNG
