"""Pareto utilities over points to be minimised: dominance, non-dominated sorting, crowding
distance, exact hypervolume and each point's hypervolume contribution.

Plain Python (no numpy) so the CLI's `top` and the REST API can use it without a heavy import.
Sizes are those of an experiment (hundreds to a few thousand trials): non-dominated sorting is
O(M N^2) (O(N log N) per front for two objectives), the hypervolume is exact by slicing (2-D: one
sweep, O(N log N); 3-D and more: slices along the last objective over the lower-dimensional
volume, fine for the 2-4 objectives a tuning run has).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

Point = Sequence[float]


def dominates(a: Point, b: Point) -> bool:
    """a is no worse than b in every objective and better in one (both minimised)."""
    better = False
    for x, y in zip(a, b, strict=True):
        if x > y:
            return False
        if x < y:
            better = True
    return better


def nondominated_sort(points: Sequence[Point]) -> list[list[int]]:
    """Indices of points by front: front 0 is the non-dominated set, front 1 what only front 0
    dominates, ... (Deb et al.'s fast non-dominated sort). Equal points share a front."""
    n = len(points)
    if n == 0:
        return []
    if len(points[0]) == 2:
        return _sort_2d(points)
    dominated_by: list[list[int]] = [[] for _ in range(n)]  # i -> the points i dominates
    count = [0] * n  # how many points dominate i
    for i in range(n):
        for j in range(i + 1, n):
            if dominates(points[i], points[j]):
                dominated_by[i].append(j)
                count[j] += 1
            elif dominates(points[j], points[i]):
                dominated_by[j].append(i)
                count[i] += 1
    fronts: list[list[int]] = []
    current = [i for i in range(n) if count[i] == 0]
    while current:
        fronts.append(sorted(current))
        following: list[int] = []
        for i in current:
            for j in dominated_by[i]:
                count[j] -= 1
                if count[j] == 0:
                    following.append(j)
        current = following
    return fronts


def _sort_2d(points: Sequence[Point]) -> list[list[int]]:
    """Two objectives: sorted by (f1, f2), a point's front is the first whose best f2 so far it
    beats (binary search over the fronts' last f2, which increase with the front's number)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    fronts: list[list[int]] = []
    tails: list[tuple[float, float]] = []  # per front: its last point (f1, f2)
    for i in order:
        p = (points[i][0], points[i][1])
        lo, hi = 0, len(fronts)
        while lo < hi:  # first front whose tail does not dominate p
            mid = (lo + hi) // 2
            if dominates(tails[mid], p):
                lo = mid + 1
            else:
                hi = mid
        if lo == len(fronts):
            fronts.append([])
            tails.append(p)
        fronts[lo].append(i)
        tails[lo] = p
    return [sorted(f) for f in fronts]


def pareto_front(points: Sequence[Point]) -> list[int]:
    """Indices of the non-dominated points."""
    fronts = nondominated_sort(points)
    return fronts[0] if fronts else []


def crowding_distance(points: Sequence[Point]) -> list[float]:
    """NSGA-II's crowding distance of each point within its set: the boundary points of each
    objective get infinity; the others the sum over objectives of the normalised gap between
    their neighbours."""
    n = len(points)
    if n == 0:
        return []
    distance = [0.0] * n
    for m in range(len(points[0])):
        order = sorted(range(n), key=lambda i: points[i][m])
        low, high = points[order[0]][m], points[order[-1]][m]
        distance[order[0]] = distance[order[-1]] = math.inf
        if high == low:
            continue
        for k in range(1, n - 1):
            distance[order[k]] += (points[order[k + 1]][m] - points[order[k - 1]][m]) / (high - low)
    return distance


def hypervolume(points: Sequence[Point], reference: Point) -> float:
    """The volume dominated by the points and bounded by the reference point (minimisation);
    points not strictly better than the reference in every objective add nothing."""
    inside = [tuple(p) for p in points if all(x < r for x, r in zip(p, reference, strict=True))]
    if not inside:
        return 0.0
    return _volume(inside, tuple(reference))


def _volume(points: list[tuple[float, ...]], ref: tuple[float, ...]) -> float:
    if len(ref) == 1:
        return ref[0] - min(p[0] for p in points)
    if len(ref) == 2:
        return _volume_2d(points, ref)
    if len(ref) == 3:
        return _volume_3d(points, ref)
    # slices along the last objective: between consecutive values, the points at or below the
    # slice's floor dominate a (d-1)-dimensional volume
    pts = sorted(points, key=lambda p: p[-1])
    total = 0.0
    for k, p in enumerate(pts):
        top = pts[k + 1][-1] if k + 1 < len(pts) else ref[-1]
        if top > p[-1]:
            below = [q[:-1] for q in pts[: k + 1]]
            total += (top - p[-1]) * _volume(_front_of(below), ref[:-1])
    return total


def _front_of(points: list[tuple[float, ...]]) -> list[tuple[float, ...]]:
    """The non-dominated ones (the volume is theirs alone; fewer points, faster slices)."""
    return [points[i] for i in pareto_front(points)]


def _volume_3d(points: list[tuple[float, ...]], ref: tuple[float, ...]) -> float:
    """Slices along z, the (x, y) staircase of the points below each slice kept incrementally:
    O(n^2) instead of a fresh 2-D front per slice."""
    pts = sorted(points, key=lambda p: p[2])
    xs: list[float] = []  # the staircase: x ascending, y descending, no point dominating another
    ys: list[float] = []
    total = 0.0
    for k, p in enumerate(pts):
        x, y = p[0], p[1]
        i = bisect.bisect_right(xs, x)
        if not (i > 0 and ys[i - 1] <= y):  # not dominated by a point with x' <= x
            j = i
            while j < len(xs) and ys[j] >= y:  # the points it dominates follow it
                j += 1
            if i > 0 and xs[i - 1] == x:  # same x, lower y: it replaces that step
                i -= 1
            xs[i:j], ys[i:j] = [x], [y]
        top = pts[k + 1][2] if k + 1 < len(pts) else ref[2]
        if top > p[2]:
            area, upper = 0.0, ref[1]
            for sx, sy in zip(xs, ys, strict=True):
                area += (ref[0] - sx) * (upper - sy)
                upper = sy
            total += (top - p[2]) * area
    return total


def _volume_2d(points: list[tuple[float, ...]], ref: tuple[float, ...]) -> float:
    total, best_y = 0.0, ref[1]
    for x, y in sorted((p[0], p[1]) for p in points):
        if y < best_y:
            total += (ref[0] - x) * (best_y - y)
            best_y = y
    return total


def contributions(points: Sequence[Point], reference: Point) -> list[float]:
    """Each point's exclusive hypervolume: the volume lost when it alone is removed."""
    whole = hypervolume(points, reference)
    return [
        whole - hypervolume([p for j, p in enumerate(points) if j != i], reference)
        for i in range(len(points))
    ]


def nadir_reference(points: Sequence[Point], margin: float = 0.1) -> list[float]:
    """A reference point a little beyond the worst value of each objective (for hypervolume
    when none is given): worst + margin x (worst - best), or + margin when they are equal."""
    dims = len(points[0])
    ref = []
    for m in range(dims):
        column = [p[m] for p in points]
        worst, best = max(column), min(column)
        ref.append(worst + margin * ((worst - best) or 1.0))
    return ref
