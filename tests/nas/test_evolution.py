from __future__ import annotations

import pytest

pytest.importorskip("torch")

from autolab import nas  # noqa: E402

SPACE = {f"x{i}": [0, 1, 2, 3] for i in range(6)}


def test_evolution_beats_its_random_first_generation() -> None:
    calls: list[dict] = []

    def score(arch: dict) -> float:
        calls.append(arch)
        return float(sum(arch.values()))

    result = nas.evolution_search(
        SPACE, score, population_size=10, generations=8, parents=4, mutation_prob=0.3, seed=1
    )
    first = max(s for _, s in result.history[:10])
    assert result.best_score > first
    assert result.best_score >= 15
    assert len(calls) == len(result.history) == len({str(sorted(a.items())) for a in calls})


def test_constraint_filters_every_scored_architecture() -> None:
    result = nas.evolution_search(
        SPACE,
        lambda a: float(sum(a.values())),
        population_size=8,
        generations=4,
        constraint=lambda a: sum(a.values()) <= 6,
        seed=0,
    )
    assert all(sum(a.values()) <= 6 for a, _ in result.history)
    assert result.best_score == 6


def test_impossible_constraint_is_a_clear_error() -> None:
    with pytest.raises(nas.NasError, match="no architecture satisfies"):
        nas.evolution_search({"a": [1, 2]}, lambda a: 1.0, constraint=lambda a: False, generations=2)
