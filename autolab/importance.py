"""Parameter importance: permutation importance of a random forest fitted on the finished trials.

Why permutation importance of a forest (not fANOVA, not the forest's impurity importance):
- it asks the question a user asks ("how much worse does the model predict the metric when this
  parameter's values are shuffled?") on trials the forest did not train on, so a parameter the
  forest merely overfits gets ~0, where impurity importance favours parameters with many distinct
  values (every continuous one) over a 3-option choice;
- scikit-learn's forest is the well-kept model; fANOVA needs its own tree walk over the whole space
  (Optuna keeps ~500 lines for it) and costs far more at 10,000 trials;
- nested parameters fit it directly: a parameter inactive in a trial takes a value below its range
  (as SMAC's forest does, tuners/forest.py), so a tree splits active from inactive on it; a choice
  is permuted together with the parameters nested under it (the importance of the branch), and a
  nested parameter only among the trials where it is active.

Rows: numeric parameters in their sampling coordinates (log for log types, so a loguniform
learning rate is split as the tuner samples it), a choice as its option index; the metric as
reported (one objective of a multi-objective experiment at a time). At most MAX_TRIALS trials
(a seeded random subsample above that), a quarter held out for the permutations when there are
at least HOLDOUT_FROM trials (below that, the training trials: few trials, rough figures, said so
in the answer's `evaluatedOn`). numpy and scikit-learn are imported inside the functions: this
module is reached from the API, and `import autolab` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .searchspace import SearchSpace, SearchSpaceError

MIN_TRIALS = 5
MAX_TRIALS = 2000
HOLDOUT_FROM = 40
N_TREES = 32
REPEATS = 4
SEED = 0
METHOD = (
    "permutation importance of a scikit-learn random forest fitted on the finished trials: the rise "
    "in the forest's squared error on held-out trials when one parameter's values are shuffled, "
    "as a share of the total"
)


def encode(
    space: SearchSpace, trials: Sequence[tuple[Mapping[str, Any], float]], order: Iterable[int], limit: int
) -> tuple[Any, Any, int]:
    """(x, y, skipped): rows of the trials taken in `order` whose parameters fit the space (NaN where
    inactive), at most `limit` of them; skipped: those tried that did not fit."""
    import numpy as np  # not at the top: `import autolab` stays light

    dims = space.dims
    index = {d.key: i for i, d in enumerate(dims)}
    rows: list[list[float]] = []
    values: list[float] = []
    skipped = 0
    for k in order:
        if len(rows) >= limit:
            break
        params, value = trials[k]
        try:
            flat = space.to_flat(dict(params))
        except (SearchSpaceError, TypeError, ValueError):
            skipped += 1  # from an earlier search space, or imported with other keys
            continue
        row = [math.nan] * len(dims)
        for key, v in flat.items():
            dim = dims[index[key]]
            row[index[key]] = float(v) if dim.is_choice else dim.to_internal(float(v))
        rows.append(row)
        values.append(value)
    x = np.array(rows, dtype=float).reshape(len(rows), len(dims))
    return x, np.array(values, dtype=float), skipped


def inactive_below(space: SearchSpace, x: Any) -> Any:
    """x with each NaN (inactive) replaced by a value below its dim's range: scikit-learn's forests
    before 1.4 refuse NaN."""
    import numpy as np  # not at the top: `import autolab` stays light

    below = np.array([-1.0 if d.is_choice else d.low - max(1.0, d.high - d.low) for d in space.dims])
    return np.where(np.isnan(x), below, x)


def groups(space: SearchSpace) -> list[list[int]]:
    """Per dim, the columns permuted together: the dim and every dim nested under it."""
    dims = space.dims
    index = {d.key: i for i, d in enumerate(dims)}
    out: list[list[int]] = [[i] for i in range(len(dims))]
    for i, dim in enumerate(dims):
        parent = dim.parent
        while parent is not None:
            out[index[parent]].append(i)
            parent = space.by_key[parent].parent
    return out


def importance(space: SearchSpace, trials: Sequence[tuple[Mapping[str, Any], float]]) -> dict[str, Any]:
    """{"importances": [{"parameter", "importance", "type"}, ...] (largest first, summing to 1),
    "trials", "used", "skipped", "evaluatedOn", "r2", "method"} over (parameters, metric) pairs."""
    import numpy as np  # not at the top: `import autolab` stays light
    from sklearn.ensemble import RandomForestRegressor  # not at the top: slow to import, API-only

    rng = np.random.default_rng(SEED)
    # a seeded random subsample above MAX_TRIALS, drawn before encoding (encoding costs too)
    order = range(len(trials)) if len(trials) <= MAX_TRIALS else rng.permutation(len(trials))
    x, y, skipped = encode(space, trials, order, MAX_TRIALS)
    answer: dict[str, Any] = {
        "method": METHOD,
        "trials": len(trials),
        "skipped": skipped,  # of the trials tried (all, or until MAX_TRIALS fitted)
        "used": 0,
        "evaluatedOn": None,
        "r2": None,
        "importances": [],
    }
    if len(y) < MIN_TRIALS or not space.dims:
        answer["message"] = f"needs at least {MIN_TRIALS} finished trials with a result; has {len(y)}"
        return answer
    answer["used"] = len(y)
    order = rng.permutation(len(y))
    if len(y) >= HOLDOUT_FROM:
        cut = len(y) * 3 // 4
        train, test = order[:cut], order[cut:]
        answer["evaluatedOn"] = "held-out trials"
    else:
        train = test = order
        answer["evaluatedOn"] = f"training trials (fewer than {HOLDOUT_FROM})"
    known = ~np.isnan(x)
    x = inactive_below(space, x)
    forest = RandomForestRegressor(
        n_estimators=N_TREES, min_samples_leaf=2, max_features=1.0, random_state=SEED, n_jobs=1
    ).fit(x[train], y[train])
    xt, yt, known_t = x[test], y[test], known[test]
    base = float(np.mean((forest.predict(xt) - yt) ** 2))
    spread = float(np.var(yt))
    answer["r2"] = None if spread == 0 else 1.0 - base / spread
    # every permuted copy of the test rows in one predict call (the forest's cost is per call)
    copies, owners = [], []
    for i, group in enumerate(groups(space)):
        cols = np.array(group)
        rows = np.flatnonzero(known_t[:, i])
        if len(rows) < 2:
            continue
        for _ in range(REPEATS):
            shuffled = xt.copy()
            # a nested dim: shuffled among the trials where it is active; a choice: with its children
            moved = rng.permutation(rows)
            shuffled[np.ix_(rows, cols)] = xt[np.ix_(moved, cols)]
            copies.append(shuffled)
            owners.append(i)
    raw = np.zeros(len(space.dims))
    if copies:
        predicted = forest.predict(np.vstack(copies)).reshape(len(copies), len(yt))
        errors = np.mean((predicted - yt) ** 2, axis=1)
        for i, err in zip(owners, errors, strict=True):
            raw[i] += max(0.0, float(err) - base) / REPEATS
    total = float(raw.sum())
    answer["importances"] = sorted(
        (
            {
                "parameter": dim.key,
                "type": dim.type,
                "importance": float(raw[i] / total) if total > 0 else 0.0,
                "nested": dim.parent is not None,
            }
            for i, dim in enumerate(space.dims)
        ),
        key=lambda r: -r["importance"],
    )
    return answer
