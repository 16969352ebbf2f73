"""SMAC's surrogate: a random forest over the search space, with the trees' spread as uncertainty.

Rows are observations.Encoder's (numeric dims in sampling coordinates, choices as option index);
the forest sees numeric dims scaled to [0, 1] and each choice one-hot. A dim inactive in a row
(the other branch of a nested choice) is set to -1, outside every active value, so a tree can
split active from inactive on it: conditional parameters need no imputation guess (SMAC does the
same). The prediction at x is the mixture of the leaves x falls in, one per tree, each leaf a
distribution with the mean and variance of its training values (sklearn keeps both: value and
impurity), so the variance is the law of total variance over trees, as SMAC's pyrfr forest gives.
Settings are SMAC3's: 10 trees, bootstrap, 5/6 of the features per split, at least 3 samples a leaf.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..searchspace import SearchSpace

N_TREES = 10
MIN_LEAF = 3
MAX_FEATURES = 5 / 6


class Features:
    """Encoder rows -> the forest's feature matrix, and each row's active dims."""

    def __init__(self, space: SearchSpace) -> None:
        self.dims = space.dims
        index = {d.key: i for i, d in enumerate(self.dims)}
        self.parent = [index[d.parent] if d.parent is not None else -1 for d in self.dims]
        self.low = np.array([0.0 if d.is_choice else d.low for d in self.dims])
        self.span = np.array([1.0 if d.is_choice else d.high - d.low for d in self.dims])
        self.choice = [i for i, d in enumerate(self.dims) if d.is_choice]
        self.sizes = [len(self.dims[i].choices) for i in self.choice]
        self.n_columns = len(self.dims) - len(self.choice) + sum(self.sizes)

    def active(self, rows: np.ndarray) -> np.ndarray:
        """(m, n_dims) mask of the dims active under each row's choices (parents come first)."""
        act = np.ones(rows.shape, dtype=bool)
        for i, dim in enumerate(self.dims):
            p = self.parent[i]
            if p >= 0:
                act[:, i] = act[:, p] & (np.round(rows[:, p]) == dim.parent_index)
        return act

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        act = self.active(rows)
        unit = np.where(act, (np.nan_to_num(rows) - self.low) / self.span, -1.0)
        numeric = [i for i in range(len(self.dims)) if i not in set(self.choice)]
        blocks = [unit[:, numeric]]
        for i, size in zip(self.choice, self.sizes, strict=True):
            hot = np.zeros((len(rows), size))
            on = np.flatnonzero(act[:, i])
            hot[on, np.clip(np.round(rows[on, i]).astype(int), 0, size - 1)] = 1.0
            hot[~act[:, i]] = -1.0
            blocks.append(hot)
        return np.hstack(blocks)


class Forest:
    """A fitted random forest giving a mean and a variance at any feature row."""

    def __init__(self, x: np.ndarray, y: np.ndarray, seed: int) -> None:
        # not at the top: autolab.tuners loads its builtins lazily, and scikit-learn is slow to import
        from sklearn.ensemble import RandomForestRegressor

        self.model: Any = RandomForestRegressor(
            n_estimators=N_TREES,
            max_features=MAX_FEATURES,
            min_samples_split=2 * MIN_LEAF,
            min_samples_leaf=MIN_LEAF if len(y) >= 2 * MIN_LEAF else 1,
            bootstrap=True,
            random_state=seed,
        ).fit(x, y)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance (m,) each."""
        x32 = np.ascontiguousarray(x, dtype=np.float32)
        first = np.zeros(len(x))
        second = np.zeros(len(x))
        for est in self.model.estimators_:
            tree = est.tree_
            leaf = tree.apply(x32)
            mean = tree.value[leaf, 0, 0]
            first += mean
            second += tree.impurity[leaf] + mean * mean
        mu = first / N_TREES
        return mu, np.maximum(second / N_TREES - mu * mu, 0.0)
