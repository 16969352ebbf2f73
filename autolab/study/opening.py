"""A persisted study is an experiment: its directory, store and registry entry, found again by name.

Its store's meta is an experiment's (id, name, status, created, elapsed, config) plus `study: true`,
so every reader of experiments shows it; the config holds the search space, the tuner (with the
direction as its optimize_mode) and the assessor, which a reopened study continues with.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from .. import experiments
from ..config import default_working_directory, resolve_path
from ..errors import UserError
from ..experiments import ExperimentRef
from ..statuses import ExperimentStatus
from ..store import Store

IN_MEMORY = ("memory", ":memory:")
#: what a study's stored config shows where an experiment's trial command would be
STUDY_COMMAND = "(in-process study: trials run in the Python process that calls optimize)"


def working_directory(storage: str | os.PathLike[str] | None) -> Path:
    """Where persisted studies live: the directory given, else AUTOLAB_HOME (as experiments)."""
    if storage is None:
        return default_working_directory()
    text = os.fspath(storage)
    if "://" in text:
        raise UserError(
            f"storage={text!r}: give a directory to keep studies in (each study is an experiment "
            "with its own SQLite store), 'memory', or None (AUTOLAB_HOME)"
        )
    return resolve_path(text, Path.cwd())


def find(name: str) -> ExperimentRef | None:
    """The latest study of this name, else an experiment whose id is name (load_study(id)), else None."""
    named = [r for r in experiments.all_experiments() if r.name == name and _is_study(r)]
    if named:
        return named[-1]
    by_id = [r for r in experiments.all_experiments() if r.id == name and _is_study(r)]
    return by_id[0] if by_id else None


def _is_study(ref: ExperimentRef) -> bool:
    try:
        with Store(ref.directory, readonly=True) as store:
            return bool(store.get_meta("study"))
    except Exception:  # an unreadable experiment is not the study sought
        return False


def create(name: str | None, where: Path, config: dict[str, Any], exp_id: str) -> tuple[ExperimentRef, Store]:
    """A new study's directory (where/exp_id), store and registry entry (all or nothing)."""
    directory = where / exp_id
    try:
        directory.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"storage: cannot create {directory}: {exc.strerror}") from None
    try:
        store = Store(directory, create=True, threads=True)
        store.set_meta(
            id=exp_id,
            name=name or "",
            status=ExperimentStatus.INITIALIZED,
            created=time.time(),
            elapsed=0.0,
            study=True,
            config=config,
        )
        experiments.register(exp_id, name or "", directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return ExperimentRef(exp_id, name or "", directory, time.time()), store


def open_store(ref: ExperimentRef) -> Store:
    return Store(ref.directory, threads=True)


def study_config(
    name: str | None,
    space: dict[str, Any],
    tuner: dict[str, Any],
    assessor: dict[str, Any] | None,
    where: Path | None,
) -> dict[str, Any]:
    """The config a study keeps (NNI's v2 keys, as an experiment's stored config)."""
    config: dict[str, Any] = {"experimentName": name} if name else {}
    config.update(
        searchSpace=space,
        trialCommand=STUDY_COMMAND,
        trialCodeDirectory=str(Path.cwd()),
        trialConcurrency=1,
        trialGpuNumber=0,
        tuner=tuner,
    )
    if where is not None:
        config["experimentWorkingDirectory"] = str(where)
    if assessor is not None:
        config["assessor"] = assessor
    config.update(trainingService={"platform": "local"}, logLevel="info", debug=False)
    return config


def refuse_changes(
    label: str,
    config: dict[str, Any],
    space: dict[str, Any] | None,
    tuner: str | None,
    tuner_args: dict[str, Any] | None,
    assessor: str | None,
    assessor_args: dict[str, Any] | None,
) -> None:
    """A reopened study continues as stored: UserError (one line) when create_study gives another
    space, tuner or assessor (None: as stored). The stored space may hold more parameters than
    the one given (define-by-run grew it); update_search_space changes it on purpose."""
    kept_space = config.get("searchSpace") or {}
    if space is not None:
        for name, spec in space.items():
            if kept_space.get(name) != spec:
                was = "is not in it" if name not in kept_space else f"is {kept_space[name]} there"
                raise UserError(
                    f"study {label} has another search space: parameter {name!r} {was}, got {spec} "
                    "(study.update_search_space changes it; another name makes a new study)"
                )
    _same(label, "tuner", config.get("tuner") or {}, tuner, tuner_args)
    _same(label, "assessor", config.get("assessor") or {}, assessor, assessor_args)


def _same(label: str, what: str, kept: dict[str, Any], name: str | None, args: dict[str, Any] | None) -> None:
    kept_name = kept.get("name")
    if name is not None and str(name).lower() != str(kept_name or "").lower():
        raise UserError(f"study {label} has {what} {kept_name!r}; got {what}={name!r}")
    kept_args = kept.get("classArgs") or {}
    for key, value in (args or {}).items():
        if key != "optimize_mode" and kept_args.get(key) != value:
            shown = "objectives" if key == "objectives" else f"{what} classArg {key}"
            raise UserError(f"study {label} has {shown} {kept_args.get(key)!r}; got {value!r}")
