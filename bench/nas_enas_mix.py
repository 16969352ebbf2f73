"""ENAS whose shared weights train on a mixture of controller samples and uniform paths for the whole
search (the twelfth round, bench/README.md). Since the fourteenth round this is autolab's
`EnasTrainer(uniform_prob=p)` (`autolab/nas/enas_options.py`); the class stays so that the stored commands
(`nas_hard.py --enas-uniform-prob p`) run as before. The shipped option draws the same coin and uniform
paths from the same generator (seed + 23) as the bench patch of rounds 12-13 did (checked bit for bit
against that code, commit 46df687, by `nas_r14_mix_check.py`).

`uniform_prob` = p: each weight batch of `fit()` trains the path the controller samples with
probability 1 - p and a uniformly random path (every decision uniform) with probability p; p = 0 is the
plain `EnasTrainer` bit for bit. The controller's REINFORCE steps, rewards, derivation and few-shot
phases are unchanged. p = 1 trains the weights as SPOS's uniform supernet does while the controller
learns on them.
"""

from __future__ import annotations

from typing import Any

from autolab import nas


class MixEnasTrainer(nas.EnasTrainer):
    """`nas.EnasTrainer(uniform_prob=...)` (see module doc)."""

    def __init__(self, *args: Any, uniform_prob: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, uniform_prob=uniform_prob, **kwargs)
