"""Evolution inside a FLOPs range: every scored subnet in range, each once, the Pareto front."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from autolab.nas import NasError  # noqa: E402
from autolab.nas.bignas.evaluate import settings_key  # noqa: E402
from autolab.nas.bignas.search import front_of, save_result, search  # noqa: E402

from .subnets import loaders, small_supernet, train_briefly  # noqa: E402
from .test_sampling import PNG, X, span  # noqa: E402


def test_search_stays_in_the_range_and_returns_the_front(tmp_path) -> None:
    supernet = small_supernet()
    train, val = loaders()
    train_briefly(supernet, train, steps=10)
    low, high = span(supernet)
    limits = (low + (high - low) // 5, high - (high - low) // 5)
    result = search(
        supernet,
        limits,
        train,
        val,
        example_input=X,
        population_size=4,
        generations=3,
        parents=2,
        calib_batches=2,
        latency_runs=2,
    )
    keys = [settings_key(r["settings"]) for r in result.history]
    assert len(keys) == len(set(keys)) >= 4  # each subnet scored once
    assert all(limits[0] <= r["flops"] <= limits[1] for r in result.history)
    assert result.best["accuracy"] == max(r["accuracy"] for r in result.history)
    assert result.best in result.front
    for a in result.front:  # nothing scored beats a front member on both
        assert not any(b["accuracy"] > a["accuracy"] and b["flops"] < a["flops"] for b in result.history)
        assert a["latency_ms"] > 0
    assert [r["flops"] for r in result.front] == sorted(r["flops"] for r in result.front)
    assert supernet.active_settings == result.best["settings"]
    save_result(result, str(tmp_path / "front.json"), plot=str(tmp_path / "front.png"))
    saved = json.loads((tmp_path / "front.json").read_text())
    assert saved["best"] == json.loads(json.dumps(result.best))
    assert len(saved["front"]) == len(result.front) and len(saved["history"]) == len(result.history)
    assert (tmp_path / "front.png").read_bytes()[:8] == PNG


def test_front_of_keeps_the_non_dominated() -> None:
    records = [
        {"accuracy": 0.9, "flops": 100},
        {"accuracy": 0.8, "flops": 50},
        {"accuracy": 0.7, "flops": 80},  # beaten by the second
        {"accuracy": 0.95, "flops": 200},
    ]
    assert [r["flops"] for r in front_of(records)] == [50, 100, 200]


def test_search_outside_the_space_is_an_error() -> None:
    supernet = small_supernet()
    train, val = loaders()
    _, high = span(supernet)
    with pytest.raises(NasError, match="no subnet has FLOPs"):
        search(supernet, (high * 2, None), train, val, example_input=X)
