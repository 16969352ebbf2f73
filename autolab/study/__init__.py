"""In-process studies: objectives that are Python functions, tuned without a process per trial.

    study = autolab.create_study(space, tuner="TPE", direction="minimize", name="lr-search")
    study.optimize(objective, n_trials=100)
    study.best_trial

A named study is an experiment (its own SQLite store, in AUTOLAB_HOME unless storage= names
another directory): the CLI and the web UI show it, and create_study with the same name continues
it. Without a name (or with storage="memory") it lives in memory only. See docs/python_api.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import experiments
from ..assessors import create_assessor
from ..assessors.base import AssessorError
from ..config import ConfigError, validate_update
from ..errors import UserError, named
from ..objectives import from_config
from ..searchspace import SearchSpace, SearchSpaceError, load
from ..statuses import TrialStatus
from ..tuners import create_tuner
from ..tuners.base import TunerError
from . import opening
from .multi import objectives_of
from .records import MemoryRecords, StoreRecords
from .study import Study
from .trial import FrozenTrial, StudyTrial, TrialPruned

__all__ = ["FrozenTrial", "Study", "StudyTrial", "TrialPruned", "create_study", "load_study", "optimize"]

DEFAULT_TUNER = "TPE"
DIRECTIONS = ("minimize", "maximize")


def create_study(
    space: dict[str, Any] | str | os.PathLike[str] | None = None,
    tuner: str | None = None,
    direction: str | None = None,
    *,
    name: str | None = None,
    study_name: str | None = None,
    storage: str | os.PathLike[str] | None = None,
    tuner_args: dict[str, Any] | None = None,
    assessor: str | None = None,
    assessor_args: dict[str, Any] | None = None,
    seed: int | None = None,
    load_if_exists: bool = True,
    directions: list[str] | dict[str, str] | None = None,
    constraints: dict[str, dict[str, float]] | None = None,
) -> Study:
    """A study over an NNI search space (a dict, or a JSON/YAML file; None: define-by-run only).
    tuner and assessor: any builtin name autolab has (Random, TPE, GP, Anneal, Evolution,
    GridSearch...; Medianstop, Curvefitting) with their NNI classArgs; direction 'minimize'
    (default, as Optuna) or 'maximize'. name (or study_name): kept in an experiment, reopened by
    that name and continued. storage: 'memory', or the directory studies are kept in.
    directions (instead of direction): several objectives, a list or {name: direction} (multi.py);
    constraints: {metric key: {min, max}} (feasible trials first, as Optuna's constrained samplers)."""
    name = name or study_name
    if directions is not None or constraints is not None:
        if directions is not None and direction is not None:
            raise UserError("give direction (one objective) or directions (several), not both")
        extra: dict[str, Any] = {} if constraints is None else {"constraints": constraints}
        if directions is not None:
            extra["objectives"] = objectives_of(directions)
            direction = next(iter(extra["objectives"].values()))
        tuner_args = {**(tuner_args or {}), **extra}
    if direction is not None and direction not in DIRECTIONS:
        raise UserError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    in_memory = storage is not None and os.fspath(storage) in opening.IN_MEMORY
    if (name is None and storage is None) or in_memory:
        args = (space, tuner, direction, tuner_args, assessor, assessor_args, seed)
        return _build(MemoryRecords(), None, name, None, *args)
    where = opening.working_directory(storage)
    ref = opening.find(name) if name else None
    if ref is not None:
        if not load_if_exists:
            raise UserError(f"a study named {name!r} exists (experiment {ref.id}); load_if_exists=False")
        return _reopen(ref, space, tuner, direction, tuner_args, assessor, assessor_args, seed)
    exp_id = experiments.new_id()
    args = (space, tuner, direction, tuner_args, assessor, assessor_args, seed)
    study = _build(None, None, name, where, *args, experiment_directory=where / exp_id)
    created, store = opening.create(name, where, study.config, exp_id)
    study.records, study.id = StoreRecords(store), created.id
    return study


def load_study(name: str, storage: str | os.PathLike[str] | None = None) -> Study:
    """A persisted study by its name (or experiment id), as it was left."""
    ref = opening.find(name)
    if ref is None:
        raise UserError(f"no study named {name!r} (create it with autolab.create_study(name={name!r}))")
    return _reopen(ref, None, None, None, None, None, None, None)


def optimize(
    func: Callable[[StudyTrial], Any],
    space: dict[str, Any] | str | os.PathLike[str] | None = None,
    n_trials: int | None = 100,
    *,
    timeout: float | None = None,
    direction: str = "minimize",
    tuner: str | None = None,
    **study_args: Any,
) -> FrozenTrial:
    """One call for the commonest case: a study, optimize, its best trial."""
    study = create_study(space, tuner, direction, **study_args)
    try:
        study.optimize(func, n_trials=n_trials, timeout=timeout)
        return study.best_trial
    finally:
        study.close()


def _parse_space(space: Any) -> SearchSpace:
    try:
        if space is None:
            return SearchSpace({})
        if isinstance(space, SearchSpace):
            return space
        if isinstance(space, (str, os.PathLike)):
            path = Path(space)
            if not path.is_file():
                raise UserError(f"search space: {space} is not a file")
            return load(str(path))
        parsed = validate_update("searchSpace", space)
    except (SearchSpaceError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    assert isinstance(parsed, SearchSpace)
    return parsed


def _build(
    records: Any,
    exp_id: str | None,
    name: str | None,
    where: Path | None,
    space: Any,
    tuner: str | None,
    direction: str | None,
    tuner_args: dict[str, Any] | None,
    assessor: str | None,
    assessor_args: dict[str, Any] | None,
    seed: int | None,
    experiment_directory: Path | None = None,
) -> Study:
    """experiment_directory: a persisted study's, where a checkpointing tuner (ASHA, PBT) keeps its
    checkpoints unless its classArgs say otherwise (as an experiment's manager does)."""
    direction = direction or "minimize"
    parsed = _parse_space(space)
    tuner_name = tuner or DEFAULT_TUNER
    t_args = {**(tuner_args or {}), "optimize_mode": direction}
    if seed is not None:
        t_args.setdefault("seed", seed)
    objectives = from_config({"tuner": {"classArgs": t_args}})
    try:
        home = None if experiment_directory is None else str(experiment_directory)
        built_tuner = create_tuner(parsed, tuner_name, t_args, experiment_directory=home)
    except TunerError as exc:
        raise UserError(named(f"tuner {tuner_name}", exc)) from None
    built_assessor = None
    a_config = None
    if assessor is not None:
        a_args = {**(assessor_args or {}), "optimize_mode": direction}
        try:
            built_assessor = create_assessor(assessor, a_args)
        except AssessorError as exc:
            raise UserError(named(f"assessor {assessor}", exc)) from None
        a_config = {"name": assessor, "classArgs": a_args}
    tuner_config = {"name": tuner_name, "classArgs": t_args}
    config = opening.study_config(name, parsed.raw, tuner_config, a_config, where)
    return Study(records, built_tuner, built_assessor, direction, config, exp_id, name, seed, objectives)


def _reopen(
    ref: experiments.ExperimentRef,
    space: Any,
    tuner: str | None,
    direction: str | None,
    tuner_args: dict[str, Any] | None,
    assessor: str | None,
    assessor_args: dict[str, Any] | None,
    seed: int | None,
) -> Study:
    """Continue a persisted study with its stored space, tuner, direction and assessor (those
    given must agree with them: opening.refuse_changes)."""
    if experiments.manager_alive(ref.directory):
        raise UserError(f"study {ref.name or ref.id} (experiment {ref.id}) is running in another process")
    store = opening.open_store(ref)
    try:
        config = store.get_meta("config") or {}
        kept_tuner = config.get("tuner") or {}
        kept_direction = (kept_tuner.get("classArgs") or {}).get("optimize_mode", "minimize")
        kept_args = {k: v for k, v in (kept_tuner.get("classArgs") or {}).items() if k != "optimize_mode"}
        given_space = None if space is None else _parse_space(space).raw
        opening.refuse_changes(
            ref.name or ref.id, config, given_space, tuner, tuner_args, assessor, assessor_args
        )
        if direction is not None and direction != kept_direction:
            raise UserError(f"study {ref.name or ref.id} is '{kept_direction}'; got direction={direction!r}")
        kept_assessor = config.get("assessor") or {}
        study = _build(
            None,
            ref.id,
            ref.name or None,
            ref.directory.parent,
            config.get("searchSpace", {}),  # as stored: refuse_changes saw that space agrees
            kept_tuner.get("name"),
            kept_direction,
            kept_args,
            kept_assessor.get("name"),
            _without_mode(kept_assessor.get("classArgs")),
            seed,
            experiment_directory=ref.directory,
        )
        _settle_left(store)
        study.records = StoreRecords(store)
        store.set_meta(config=study.config)
        return study
    except BaseException:
        store.close()
        raise


def _without_mode(args: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if args is None else {k: v for k, v in args.items() if k != "optimize_mode"}


def _settle_left(store: Any) -> None:
    """Trials an earlier process asked for and never told (it ended): FAILED, saying so. Enqueued
    (WAITING) trials stay: the next ask() runs them."""
    for row in store.trial_rows([TrialStatus.RUNNING]):
        store.update_trial(
            row.id,
            status=TrialStatus.FAILED,
            end_time=time.time(),
            message="the process running this trial ended before telling its result",
        )
