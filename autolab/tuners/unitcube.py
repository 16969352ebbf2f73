"""The search space as a unit cube, for the Gaussian-process models (GP tuner, TPE's believer).

Numeric parameters take one column each, scaled to [0, 1] in their sampling coordinates (log for
log types); a choice takes one column per option (one-hot). A parameter that is inactive in a row
(the other branch of a nested choice) sits at the middle of its column, or with no option set;
its parent choice's one-hot columns already tell the branches apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..searchspace import SearchSpace


class UnitCube:
    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.columns: list[tuple[int, int, int]] = []  # (dim index, first column, width)
        col = 0
        for i, dim in enumerate(space.dims):
            width = len(dim.choices) if dim.is_choice else 1
            self.columns.append((i, col, width))
            col += width
        self.n_columns = col

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Rows of encoded trials (observations.Encoder's coordinates, NaN = inactive) -> cube."""
        out = np.zeros((len(x), self.n_columns))
        for i, col, _width in self.columns:
            dim = self.space.dims[i]
            active = ~np.isnan(x[:, i])
            if dim.is_choice:
                rows = np.flatnonzero(active)
                out[rows, col + x[rows, i].astype(int)] = 1.0
            else:
                out[:, col] = np.where(active, (np.nan_to_num(x[:, i]) - dim.low) / (dim.high - dim.low), 0.5)
        return out

    def to_params(self, u: np.ndarray) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        for i, col, width in self.columns:
            dim = self.space.dims[i]
            if dim.is_choice:
                flat[dim.key] = int(np.argmax(u[col : col + width]))
            else:
                flat[dim.key] = dim.from_internal(
                    dim.low + float(np.clip(u[col], 0, 1)) * (dim.high - dim.low)
                )
        return self.space.to_parameters(flat)

    def random(self, rng: np.random.Generator, m: int) -> np.ndarray:
        u = rng.random((m, self.n_columns))
        for i, col, width in self.columns:
            if self.space.dims[i].is_choice:
                pick = rng.integers(width, size=m)
                u[:, col : col + width] = 0.0
                u[np.arange(m), col + pick] = 1.0
        return u

    def project(self, u: np.ndarray) -> np.ndarray:
        """Snap one-hot blocks back to a single option, and numeric columns into [0, 1]."""
        for i, col, width in self.columns:
            if self.space.dims[i].is_choice:
                pick = np.argmax(u[:, col : col + width], axis=1)
                u[:, col : col + width] = 0.0
                u[np.arange(len(u)), col + pick] = 1.0
        return np.clip(u, 0.0, 1.0)
