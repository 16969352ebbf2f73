"""Several objectives as one rank for the multi-objective tuners (MOTPE, NSGA-II).

Both only ever compare trials, so each trial gets one number whose order is theirs:

    front number (non-domination rank of the feasible trials) + a tie-break in [0, 1)

the tie-break ordering a front by hypervolume contribution (MOTPE: the trials that add most to the
front come first) or by crowding distance (NSGA-II: the least crowded first). Infeasible trials
come after every feasible one, ordered by their constraint violation (Optuna's constrained
semantics); trials without every objective (a failed trial, an early-stopped one that reported only
its `default` number) are left for the tuners' own worst-value rule. The tuner then runs on a copy
of the history whose trial values are these numbers: every other part of it (kernels, liars,
believer, mutation) is unchanged.
"""

from __future__ import annotations

from ..history import History, Trial
from ..objectives import Objectives
from ..pareto import contributions, crowding_distance, nadir_reference, nondominated_sort
from ..statuses import TrialStatus

#: MOTPE orders by hypervolume contribution only the fronts that reach this many trials (l holds
#: at most 25, see tpe.MAX_BELOW); later fronts by crowding, far cheaper and never in l
HV_TRIALS = 32


def rank_values(objectives: Objectives, trials: list[Trial], tiebreak: str) -> dict[str, float]:
    """trial id -> its rank number (lower is better) for every SUCCEEDED trial with all objectives."""
    feasible: list[tuple[str, list[float]]] = []
    infeasible: list[tuple[str, float]] = []
    for t in trials:
        if t.status != TrialStatus.SUCCEEDED:
            continue
        raw = t.raw_value if t.raw_value is not None else t.value
        losses = objectives.losses(raw)
        if losses is None:
            continue
        violation = objectives.violation(raw)
        if violation > 0:
            infeasible.append((t.trial_id, violation))
        else:
            feasible.append((t.trial_id, losses))
    out: dict[str, float] = {}
    points = _normalised([loss for _, loss in feasible])
    fronts = nondominated_sort(points)
    ref = nadir_reference(points) if points else []
    placed = 0
    for number, front in enumerate(fronts):
        members = [points[i] for i in front]
        if tiebreak == "hypervolume" and placed < HV_TRIALS and len(front) > 1:
            score = contributions(members, ref)
        else:
            score = crowding_distance(members)
        order = sorted(range(len(front)), key=lambda k: -score[k])
        for position, k in enumerate(order):
            out[feasible[front[k]][0]] = number + position / len(front)
        placed += len(front)
    worst = len(fronts)
    for position, (trial_id, _) in enumerate(sorted(infeasible, key=lambda r: r[1])):
        out[trial_id] = worst + 1 + position / max(1, len(infeasible))
    return out


def _normalised(points: list[list[float]]) -> list[list[float]]:
    """Each objective scaled to [0, 1] over the trials (so no objective's unit dominates the
    hypervolume or the crowding distance)."""
    if not points:
        return []
    low = [min(col) for col in zip(*points, strict=True)]
    high = [max(col) for col in zip(*points, strict=True)]
    span = [(h - lo) or 1.0 for lo, h in zip(low, high, strict=True)]
    return [[(x - lo) / s for x, lo, s in zip(p, low, span, strict=True)] for p in points]


def ranked_history(history: History, ranks: dict[str, float], maximize: bool) -> History:
    """The history as a single-objective tuner should see it: ranked trials SUCCEEDED with their
    rank as the value (negated when the tuner maximises), every other finished trial FAILED
    (the tuner's worst), running ones as they are. Parameters are the same objects (the tuners'
    encoding caches hit)."""
    out = []
    for t in history.trials:
        rank = ranks.get(t.trial_id)
        if rank is not None:
            value: float | None = -rank if maximize else rank
            status = TrialStatus.SUCCEEDED
        else:
            value = None
            status = t.status if t.running or t.status == TrialStatus.USER_CANCELED else TrialStatus.FAILED
        out.append(Trial(t.trial_id, t.sequence, t.parameters, status, value=value, raw_value=value))
    return History(out)
