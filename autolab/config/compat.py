"""NNI's config keys and habits that autolab meets halfway: keys accepted with one warning where
they mean nothing here, NNI's builtin names autolab lacks (and what to use instead), and a custom
tuner's search space passed through unchecked as NNI does."""

from __future__ import annotations

from typing import Any

from ..searchspace import SearchSpace, SearchSpaceError, parse
from .model import AlgorithmConfig
from .reader import Context, Section, kind, normalize_key, suggest

# NNI v2 keys about where NNI runs things, which mean nothing here (check_nni_only)
NNI_ONLY_KEYS = ("experimentType", "tunerGpuIndices", "sharedStorage")
# NNI's training-service copies of top-level keys ("shortcuts"): the service's own value wins
SERVICE_SHORTCUTS = ("trialCommand", "trialCodeDirectory", "trialGpuNumber", "nniManagerIp")


def check_nni_only(top: Section, ctx: Context) -> None:
    """experimentType must be hpo; tunerGpuIndices and sharedStorage: one warning each."""
    kind_ = top.get("experimentType")
    if kind_ is not None:
        if not isinstance(kind_, str) or kind_.strip().lower() not in ("hpo", "nas"):
            raise top.error(
                "experimentType", f"must be hpo (NNI's only other value is nas), got {kind(kind_)}"
            )
        if kind_.strip().lower() == "nas":
            raise top.error(
                "experimentType",
                "nas configs (NNI's NasExperimentConfig) are not supported; "
                "autolab runs hpo experiments (for NAS see autolab.nas)",
            )
    if top.get("tunerGpuIndices") is not None:
        ctx.warn(
            f"{ctx.names['tunerGpuIndices']}: ignored (the tuner runs inside the autolab manager, on the CPU)"
        )
    if top.get("sharedStorage") is not None:
        ctx.warn(
            f"{ctx.names['sharedStorage']}: ignored (trials run where the experiment's files are: "
            "this machine, a slurm cluster's shared file system, or each remote machine's own copy, "
            "which autolab keeps in step over SSH)"
        )


class UncheckedSpace(SearchSpace):
    """A custom tuner's space as NNI hands it over: not checked (its `_type`s are the tuner's own,
    e.g. `factor` or `perm`), so no parameters autolab could sample or show; the tuner reads .raw."""

    def __init__(self, space: dict[str, Any], source: str = "search space") -> None:
        self.raw, self.source, self.dims, self.by_key = space, source, [], {}


def space_for(value: Any, source: str, tuner: AlgorithmConfig) -> SearchSpace:
    """value parsed; for a custom tuner, a space autolab cannot parse passes through unchecked."""
    try:
        return parse(value, source=source)
    except SearchSpaceError:
        if tuner.class_name is not None and isinstance(value, dict):
            return UncheckedSpace(value, source)
        raise


def unknown_builtin(name: str, builtin: dict[str, str], instead: dict[str, str]) -> str:
    key = normalize_key(name)
    if key in instead:
        use = f"; use {instead[key]} instead" if instead[key] else ""
        return f"{name} is an NNI builtin autolab does not have{use} (builtin: {', '.join(sorted(builtin))})"
    return f"unknown builtin {name!r}{suggest(name, builtin)}; builtin: {', '.join(sorted(builtin))}"
