"""Pareto utilities against hand-computed values and brute force."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from autolab.pareto import (
    contributions,
    crowding_distance,
    dominates,
    hypervolume,
    nadir_reference,
    nondominated_sort,
    pareto_front,
)


def test_dominates() -> None:
    assert dominates((1, 2), (2, 2))
    assert not dominates((1, 2), (1, 2))  # equal: neither
    assert not dominates((1, 3), (2, 2))
    assert dominates((0, 0, 0), (0, 0, 1))


def test_sort_by_hand() -> None:
    points = [(1, 5), (2, 3), (3, 1), (2, 4), (4, 4), (5, 5), (2, 3)]
    assert nondominated_sort(points) == [[0, 1, 2, 6], [3], [4], [5]]
    assert pareto_front(points) == [0, 1, 2, 6]
    assert nondominated_sort([]) == []


@pytest.mark.parametrize("dims", [2, 3])
def test_sort_matches_brute_force(dims: int) -> None:
    rng = random.Random(dims)
    points = [tuple(rng.randint(0, 6) for _ in range(dims)) for _ in range(80)]
    fronts = nondominated_sort(points)
    assert sorted(i for f in fronts for i in f) == list(range(80))
    left = set(range(80))
    for front in fronts:  # each front is exactly the non-dominated points of what is left
        expected = sorted(i for i in left if not any(dominates(points[j], points[i]) for j in left))
        assert front == expected
        left -= set(front)


def test_crowding_distance_by_hand() -> None:
    points = [(0, 4), (1, 2), (3, 1), (4, 0)]
    d = crowding_distance(points)
    assert d[0] == d[3] == math.inf
    assert d[1] == pytest.approx((3 - 0) / 4 + (4 - 1) / 4)
    assert d[2] == pytest.approx((4 - 1) / 4 + (2 - 0) / 4)


def test_hypervolume_2d_by_hand() -> None:
    # staircase: (1,3) (2,2) (3,1) against (4,4): 3x1 + 2x1 + 1x1... = 1*3 + 1*2 + 1*1 = 6
    assert hypervolume([(1, 3), (2, 2), (3, 1)], (4, 4)) == pytest.approx(6.0)
    # a dominated point and one outside the reference change nothing
    assert hypervolume([(1, 3), (2, 2), (3, 1), (3, 3), (5, 0)], (4, 4)) == pytest.approx(6.0)
    assert hypervolume([], (1, 1)) == 0.0
    assert hypervolume([(1, 1)], (1, 2)) == 0.0  # on the reference's boundary: nothing


def test_hypervolume_3d_by_hand() -> None:
    assert hypervolume([(0, 0, 0)], (1, 2, 3)) == pytest.approx(6.0)
    # two boxes [0,2]x[0,1]x[0,1] and [0,1]x[0,2]x[0,1] (reference 2,2,2 after shifting): union
    # of (1,0,1)->vol 1*2*1=2 and (0,1,1)->2*1*1=2 overlapping 1*1*1: 3
    assert hypervolume([(1, 0, 1), (0, 1, 1)], (2, 2, 2)) == pytest.approx(3.0)
    # plus (1,1,0): box 1x1x2 = 2, overlapping the union in 1x1x1 = 1 -> 4
    assert hypervolume([(1, 0, 1), (0, 1, 1), (1, 1, 0)], (2, 2, 2)) == pytest.approx(4.0)


def test_hypervolume_3d_matches_grid_count() -> None:
    rng = random.Random(3)
    points = [tuple(rng.randint(0, 5) for _ in range(3)) for _ in range(12)]
    ref = (6, 6, 6)
    cells = sum(
        1
        for c in itertools.product(range(6), repeat=3)
        if any(all(p[m] <= c[m] for m in range(3)) for p in points)
    )
    assert hypervolume(points, ref) == pytest.approx(cells)


def test_hypervolume_4d_and_contributions() -> None:
    assert hypervolume([(0, 0, 0, 0), (1, 1, 1, 1)], (2, 2, 2, 2)) == pytest.approx(16.0)
    c = contributions([(1, 3), (2, 2), (3, 1), (3, 3)], (4, 4))
    assert c == pytest.approx([1.0, 1.0, 1.0, 0.0])


def test_nadir_reference() -> None:
    assert nadir_reference([(0, 5), (10, 5)]) == pytest.approx([11.0, 5.1])


def _slices_3d(points: list[tuple[float, float, float]], ref: tuple[float, float, float]) -> float:
    """The plain definition: slices along z, each a fresh 2-D hypervolume."""
    zs = sorted({p[2] for p in points})
    total = 0.0
    for k, z in enumerate(zs):
        top = zs[k + 1] if k + 1 < len(zs) else ref[2]
        total += (top - z) * hypervolume([p[:2] for p in points if p[2] <= z], ref[:2])
    return total


def test_hypervolume_3d_matches_plain_slicing() -> None:
    rng = random.Random(7)
    for n in (1, 5, 40, 150):
        points = [(rng.random(), rng.random(), rng.random()) for _ in range(n)]
        points += [points[0], (points[0][0], points[0][1] / 2, points[0][2])]  # a duplicate, a same-x step
        assert hypervolume(points, (1.1, 1.2, 1.3)) == pytest.approx(_slices_3d(points, (1.1, 1.2, 1.3)))
