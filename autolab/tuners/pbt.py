"""Population Based Training (Jaderberg et al. 2017) with NNI's PBTTuner semantics.

A population of population_size members trains in generations: each trial runs one step of one
member, loading the member's checkpoint from `load_checkpoint_dir` and saving it to
`save_checkpoint_dir` (NNI's parameters, `<all_checkpoint_dir>/<member>/<generation>`), so NNI's
PBT trial scripts run unchanged. Once every member of a generation has ended, they are ranked by
their latest result (a failed one is the worst): the bottom `fraction` exploit (copy a random top
`fraction` member's parameters and load its checkpoint) and explore (each parameter resampled
with resample_probability, else moved one step up or down: a choice or randint by one, a q type by
q, others by `factor` of its range, NNI's code; or multiplied by one of `factors`, e.g. [1.2, 0.8],
NNI's docs and Ray Tune), and the others go on with their own parameters and checkpoint.

Each trial stores its generation (as its rung) and member (as its config) with its row, so the
population is read back from the store: a resumed experiment goes on with the same generation.
The tuner waits (`NotYet`) while a generation's last members run, as NNI's does. Nested choice is
refused, as NNI's PBTTuner does. all_checkpoint_dir defaults to NNI_CHECKPOINT_DIRECTORY, else
`checkpoint/` in the experiment's directory (where the manager runs).
"""

from __future__ import annotations

import math
import os
import random
from typing import Any, ClassVar

from ..fidelity import Suggestion, fidelity
from ..history import History, Trial
from ..searchspace import Dim, SearchSpace, SearchSpaceError
from .base import NoMoreTrials, NotYet, Tuner, TunerError, canonical, checkpoint_directory, random_unseen

LOAD, SAVE = "load_checkpoint_dir", "save_checkpoint_dir"


class PbtTuner(Tuner):
    """NNI's PBTTuner: classArgs optimize_mode, all_checkpoint_dir, population_size, factor /
    factors, fraction, resample_probability (and seed)."""

    supports_nested: ClassVar[bool] = False

    def __init__(
        self,
        space: SearchSpace,
        optimize_mode: str = "maximize",
        all_checkpoint_dir: str | None = None,
        population_size: int = 10,
        factor: float | None = None,
        factors: Any = None,
        fraction: float = 0.2,
        resample_probability: float = 0.25,
        seed: int | None = None,
    ) -> None:
        super().__init__(space, optimize_mode, seed)
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 1:
            raise TunerError(
                f"PBTTuner classArgs.population_size must be an integer >= 1, got {population_size!r}"
            )
        self.population_size = population_size
        self.fraction = _fraction("fraction", fraction)
        self.resample_probability = _fraction("resample_probability", resample_probability, zero=True)
        if factor is not None and factors is not None:
            raise TunerError("PBTTuner classArgs: give factor or factors, not both")
        self.step = 0.2  # NNI's default: a fifth of the range
        self.multipliers: tuple[float, ...] = ()
        if isinstance(factors, (list, tuple)):
            if not factors or not all(_positive(f) for f in factors):
                raise TunerError(
                    f"PBTTuner classArgs.factors must be positive numbers, e.g. [1.2, 0.8], got {factors!r}"
                )
            self.multipliers = tuple(float(f) for f in factors)
        elif factor is not None or factors is not None:
            self.step = _fraction("factor", factor if factor is not None else factors)
        self.all_checkpoint_dir = checkpoint_directory("PBTTuner", all_checkpoint_dir)

    # -- the population read back -------------------------------------------------------------
    def generations(self, history: History) -> dict[int, dict[int, list[Trial]]]:
        """generation -> member -> its trials there (more than one when a lost one was re-run)."""
        out: dict[int, dict[int, list[Trial]]] = {}
        for trial in history.trials:
            fid = trial.fidelity
            if not fid or fid.get("bracket") is not None or SAVE not in trial.parameters:
                continue
            out.setdefault(int(fid["rung"]), {}).setdefault(int(fid["config"]), []).append(trial)
        return out

    def score(self, trials: list[Trial]) -> float:
        """The member's loss in a generation: its latest result; none is the worst."""
        for trial in reversed(trials):
            if trial.last_value is not None:
                return self.loss(trial.last_value)
        return math.inf

    # -- suggesting ---------------------------------------------------------------------------
    def suggest(self, history: History) -> dict[str, Any]:
        gens = self.generations(history)
        gen = max(gens, default=0)
        issued = gens.get(gen, {})
        if len(issued) >= self.population_size:
            if any(t.running for trials in issued.values() for t in trials):
                raise NotYet(f"generation {gen} has members still running")
            gen, issued = gen + 1, {}
        member = min(set(range(self.population_size)) - set(issued))
        rng = self.rng if self.seed is None else random.Random(f"{self.seed}:{gen}:{member}")
        if gen == 0:  # a point not tried yet while the space has points enough
            taken = {canonical(_space_part(t.parameters)) for t in history.trials}
            try:
                params = random_unseen(self.space, rng, taken)
            except NoMoreTrials:
                params = self.space.sample(rng)
            load = self.checkpoint(member, 0)
        else:
            params, load = self.next_step(gens[gen - 1], member, rng)
        params = {**params, LOAD: load, SAVE: self.checkpoint(member, gen)}
        return Suggestion(params, fidelity(None, None, gen, str(member)))

    def checkpoint(self, member: int, generation: int) -> str:
        return os.path.join(self.all_checkpoint_dir, str(member), str(generation))

    def next_step(
        self, previous: dict[int, list[Trial]], member: int, rng: random.Random
    ) -> tuple[dict[str, Any], str]:
        """The member's parameters and the checkpoint it loads in the next generation."""
        ranked = sorted(previous, key=lambda m: (self.score(previous[m]), m))
        cutoff = math.ceil(self.fraction * len(ranked))
        own = previous.get(member)
        if own is not None and member not in ranked[len(ranked) - cutoff :]:
            mine = own[-1].parameters
            if self.fits(mine):
                return _space_part(mine), mine[SAVE]
            return self.space.sample(rng), mine[SAVE]  # the search space changed: a new start
        top = previous[rng.choice(ranked[:cutoff])][-1].parameters
        return self.explore(_space_part(top), rng), top[SAVE]

    def fits(self, params: dict[str, Any]) -> bool:
        try:
            self.space.to_flat(_space_part(params))
        except SearchSpaceError:
            return False
        return True

    def explore(self, params: dict[str, Any], rng: random.Random) -> dict[str, Any]:
        try:
            flat = self.space.to_flat(params)
        except SearchSpaceError:  # from an earlier search space: start that member afresh
            return self.space.sample(rng)
        for dim in self.space.dims:
            if rng.random() < self.resample_probability:
                flat[dim.key] = dim.sample(rng)
            else:
                flat[dim.key] = self.perturb(dim, flat[dim.key], up=rng.random() > 0.5, rng=rng)
        return self.space.to_parameters(flat)

    def perturb(self, dim: Dim, value: Any, up: bool, rng: random.Random) -> Any:
        sign = 1 if up else -1
        if dim.is_choice:
            return min(max(value + sign, 0), len(dim.choices) - 1)
        if dim.type == "randint":
            return min(max(value + sign, int(dim.args[0])), int(dim.args[1]) - 1)
        if self.multipliers:
            return dim.from_internal(dim.to_internal(value * rng.choice(self.multipliers)))
        if dim.q is not None:
            return dim.from_internal(dim.to_internal(value + sign * dim.q))
        width = dim.args[1] if dim.is_normal else dim.high - dim.low  # NNI: sigma, or the range
        x = dim.to_internal(value) + sign * self.step * width
        return dim.from_internal(x if dim.is_normal else min(max(x, dim.low), dim.high))


def _space_part(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in (LOAD, SAVE)}


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _fraction(key: str, value: Any, zero: bool = False) -> float:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = number and ((0 <= value <= 1) if zero else (0 < value <= 1))
    if not ok:
        raise TunerError(
            f"PBTTuner classArgs.{key} must be a number in {'[0' if zero else '(0'}, 1], got {value!r}"
        )
    return float(value)
