"""Rows the Gaussian-process models fit on when the history is long."""

from __future__ import annotations

import numpy as np

from autolab.tuners.gp import MAX_FIT
from autolab.tuners.observations import best_and_newest


def test_best_half_and_newest_half() -> None:
    rows = np.arange(10)
    loss = np.array([5, 0, 6, 1, 7, 8, 9, 2, 3, 4], dtype=float)
    assert list(best_and_newest(rows, loss, 4)) == [1, 3, 8, 9]
    assert list(best_and_newest(rows, loss, 20)) == list(range(10))  # under the cap: all


def test_a_long_history_is_capped() -> None:
    rows = np.arange(1000)
    loss = np.linspace(0, 1, 1000)  # row 0 is the best, row 999 the newest
    kept = best_and_newest(rows, loss, MAX_FIT)
    assert (
        len(kept) == MAX_FIT
        and list(kept[:100]) == list(range(100))
        and list(kept[100:]) == list(range(900, 1000))
    )
