"""The unit-cube encoding shared by the GP tuner and TPE's believer."""

from __future__ import annotations

import numpy as np

from autolab.history import History, Trial
from autolab.searchspace import SearchSpace
from autolab.statuses import TrialStatus
from autolab.tuners.observations import Encoder
from autolab.tuners.unitcube import UnitCube

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1]},
    "opt": {"_type": "choice", "_value": ["a", "b", "c"]},
    "m": {
        "_type": "choice",
        "_value": [{"_name": "svm", "c": {"_type": "uniform", "_value": [0, 2]}}, {"_name": "tree"}],
    },
}


def test_encode_scales_numbers_and_one_hots_choices() -> None:
    space = SearchSpace(SPACE)
    cube = UnitCube(space)
    trials = [
        Trial("a", 0, {"lr": 0.01, "opt": "b", "m": {"_name": "svm", "c": 1.5}}, TrialStatus.SUCCEEDED, 1.0),
        Trial("b", 1, {"lr": 1.0, "opt": "c", "m": {"_name": "tree"}}, TrialStatus.SUCCEEDED, 2.0),
    ]
    raw, _ = Encoder(space).observe(History(trials))
    u = cube.encode(raw.x)
    assert cube.n_columns == 1 + 3 + 2 + 1
    cols = {space.dims[i].key: (c, w) for i, c, w in cube.columns}
    lr, opt, m, c = cols["lr"], cols["opt"], cols["m"], cols["m/svm/c"]
    assert np.isclose(u[0, lr[0]], 0.5) and np.isclose(u[1, lr[0]], 1.0)  # log scale: 0.01 is halfway
    assert list(u[0, opt[0] : opt[0] + 3]) == [0, 1, 0] and list(u[1, opt[0] : opt[0] + 3]) == [0, 0, 1]
    assert list(u[1, m[0] : m[0] + 2]) == [0, 1]
    assert np.isclose(u[0, c[0]], 0.75) and u[1, c[0]] == 0.5  # inactive: the middle


def test_random_project_and_back() -> None:
    space = SearchSpace(SPACE)
    cube = UnitCube(space)
    u = cube.random(np.random.default_rng(0), 50)
    assert np.all((u >= 0) & (u <= 1))
    for i, col, width in cube.columns:
        if space.dims[i].is_choice:
            assert np.all(u[:, col : col + width].sum(axis=1) == 1)
    noisy = cube.project(u + np.random.default_rng(1).normal(0, 0.3, u.shape))
    assert np.all((noisy >= 0) & (noisy <= 1))
    params = cube.to_params(noisy[0])
    assert (
        1e-4 <= params["lr"] <= 1
        and params["opt"] in ("a", "b", "c")
        and params["m"]["_name"] in ("svm", "tree")
    )
