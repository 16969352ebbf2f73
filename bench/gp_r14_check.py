"""Fourteenth round, step 4's check (bench/gp_r14_declared.md): with `ls40c`'s believer the running
trials join the noisy posterior without the noise and the finished trials keep it.

    python bench/gp_r14_check.py

A noisy model (gp_try.py's `noise+init1` fit) on 40 rippled-bowl rows, 7 pending points; prints the
posterior sd (normalised units) at the finished and the pending points before and after the believer,
for the shipped `_believe` and for gp_try.py's `believe_with_noise`.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
import gp_try  # noqa: E402

rng = np.random.default_rng(0)
x = rng.random((40, 4))
y = np.sum((x - 0.5) ** 2, axis=1) + 0.02 * np.sin(40 * x[:, 0]) + rng.normal(0, 0.03, 40)
pending = rng.random((7, 4))
fit = gp_try.make_fit(False, True, True)
gp = fit(x, y, np.arange(40), alpha=1e-6, length_scale=1.0, prior=True)
me = SimpleNamespace(alpha=1e-6)
print(f"fitted noise variance (normalised): {gp.noise_:.3g}")
for name, believe in (
    ("shipped _believe", gp_try.SHIPPED_BELIEVE),
    ("believe_with_noise", gp_try.believe_with_noise),
):
    post, both, believed = believe(me, gp, x, y, pending)
    before_f = gp.predict(x, return_std=True)[1] / gp._y_train_std
    after_f = post.predict(x, return_std=True)[1] / post._y_train_std
    before_p = gp.predict(pending, return_std=True)[1] / gp._y_train_std
    after_p = post.predict(pending, return_std=True)[1] / post._y_train_std
    print(
        f"{name}: finished sd median {np.median(before_f):.3g} -> {np.median(after_f):.3g};"
        f" pending sd median {np.median(before_p):.3g} -> {np.median(after_p):.3g};"
        f" believed = predicted: {np.allclose(believed, gp.predict(pending))}"
    )
