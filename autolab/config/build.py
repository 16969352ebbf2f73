"""Build an ExperimentConfig from config.yml: read NNI v2 or legacy v1 keys, validate, fill in defaults.

Keys match case- and underscore-insensitively, as in NNI (trialCommand = trial_command). Every
mistake raises ConfigError with one line "<file>: <key>: <problem>". Relative paths resolve
against the config file's folder. Where NNI demands a value we pick a default: no tuner means the
builtin "Random", no trainingService means local. searchSpace and searchSpaceFile: one of them, not
both (which was meant?). NNI's keys and habits autolab meets halfway are in compat.py.
"""

from __future__ import annotations

import importlib
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import json5

from ..commands import unsafe_placeholders
from ..searchspace import SearchSpace, SearchSpaceError, load
from . import v1
from .compat import NNI_ONLY_KEYS, SERVICE_SHORTCUTS, check_nni_only, space_for, unknown_builtin
from .model import (
    ALGORITHM_KEYS,
    DEFAULT_TUNER,
    EXTRA_SECTIONS,
    LOG_LEVELS,
    PLATFORMS,
    SERVICE_KEYS,
    TOP_KEYS,
    AlgorithmConfig,
    ExperimentConfig,
    TrainingServiceConfig,
    default_working_directory,
)
from .reader import (
    MAX_CONCURRENCY,
    ConfigError,
    Context,
    Section,
    kind,
    normalize_key,
    read_config_file,
)
from .remote import machine_list, v1_section_in_v2


def load_config(path: str | Path) -> ExperimentConfig:
    """Read config.yml (YAML) or a .json/.json5 file and validate it; raises ConfigError."""
    raw, source, shown = read_config_file(path)
    return _build(raw, source, shown, stored=False)


def config_from_dict(raw: dict[str, Any], source: str | Path, stored: bool = True) -> ExperimentConfig:
    """Validate an already parsed config (v1 or v2, detected); source names the file it came from.
    A stored config written before searchSpace and searchSpaceFile were exclusive has both, and
    reads as the space as run (the inline one); stored=False (a user's config, e.g. the Python
    API's) refuses both, as load_config does."""
    shown = str(source)
    return _build(raw, Path(os.path.abspath(os.path.expanduser(shown))), shown, stored=stored)


def _build(raw: Any, source: Path, shown: str, stored: bool) -> ExperimentConfig:
    if not isinstance(raw, dict):
        problem = (
            "is empty" if raw is None else f"must be a mapping of keys to values, got {type(raw).__name__}"
        )
        raise ConfigError(f"{shown}: the config {problem}")
    ctx = Context(source, shown)
    ctx.stored = stored
    extras = {k: v for k, v in raw.items() if isinstance(k, str) and normalize_key(k) in EXTRA_SECTIONS}
    core = {k: v for k, v in raw.items() if k not in extras}
    handlers = {key: _extra_section(ctx, key) for key in extras}  # a missing feature is the first error
    if v1.is_v1(core):
        core = v1.to_v2(core, ctx)
    for key, (_, derive) in handlers.items():
        if derive is not None:
            core = _fill_derived(core, derive(extras[key], core, ctx))
    config = _experiment(Section(ctx, core, "", (*TOP_KEYS, *NNI_ONLY_KEYS)), ctx)
    for key, value in extras.items():
        config.extra[normalize_key(key)] = handlers[key][0](value, config)
    return config


def _extra_section(ctx: Context, key: str) -> tuple[Any, Any]:
    """(handler, derive): derive is the module's optional derived_keys(value, core, ctx), which
    returns top-level keys the section stands for (a task config derives searchSpace, trialCommand
    and a default tuner from its template), so that such a config needs no trialCommand of its own."""
    module_name, _, function = EXTRA_SECTIONS[normalize_key(key)].partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, function), getattr(module, "derived_keys", None)
    except (ModuleNotFoundError, AttributeError) as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name != module_name:
            raise
        raise ConfigError(
            f"{ctx.shown}: {key}: {key} configs are handled by {module_name}, "
            "which this version of autolab does not have"
        ) from None


def _fill_derived(core: dict[str, Any], derived: dict[str, Any]) -> dict[str, Any]:
    """core with the derived keys set (replacing a key of the same name; derived_keys decides
    what a config may give besides its section, and raises ConfigError for the rest)."""
    names = {normalize_key(k) for k in derived}
    out = {k: v for k, v in core.items() if not (isinstance(k, str) and normalize_key(k) in names)}
    out.update(derived)
    return out


def _experiment(top: Section, ctx: Context) -> ExperimentConfig:
    check_nni_only(top, ctx)
    if top.flag("useAnnotation", False):
        raise top.error(
            "useAnnotation",
            "annotations are not supported; call autolab.get_next_parameter() "
            "in the trial and give a search space",
        )
    top.text("nniManagerIp")  # accepted; the local and slurm services do not need it
    if top.get("tuner") is not None and top.get("advisor") is not None:
        raise top.error("advisor", "give a tuner or an advisor, not both")
    which = "advisor" if top.get("advisor") is not None else "tuner"
    service, shortcuts = _training_service(top, ctx)
    tuner = _algorithm(top, which, "autolab.tuners") or AlgorithmConfig(DEFAULT_TUNER, None, None, {})
    space, space_file = _search_space(top, tuner)
    log_level = (top.text("logLevel") or "info").lower()
    if log_level not in LOG_LEVELS:
        raise top.error("logLevel", f"must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    gpus = shortcuts.integer("trialGpuNumber", None, minimum=0)
    gpus = top.integer("trialGpuNumber", 0, minimum=0) if gpus is None else gpus
    gpus = gpus or 0
    command = shortcuts.text("trialCommand") or top.text("trialCommand", required=True) or ""
    code_directory = shortcuts.path_value("trialCodeDirectory") or top.path_value("trialCodeDirectory")
    if service.gpu_indices is not None and gpus > len(service.gpu_indices):
        raise top.error(
            "trialGpuNumber", f"{gpus} GPUs per trial, but gpuIndices lists {len(service.gpu_indices)}"
        )
    return ExperimentConfig(
        source=ctx.source,
        shown=ctx.shown,
        experiment_name=_experiment_name(top),
        search_space=space,
        search_space_file=space_file,
        trial_command=_checked_command(top, command, space),
        trial_code_directory=code_directory or ctx.base,
        trial_concurrency=top.integer("trialConcurrency", 1, minimum=1, maximum=MAX_CONCURRENCY) or 1,
        trial_gpu_number=gpus,
        max_experiment_duration=top.duration("maxExperimentDuration"),
        max_trial_number=top.integer("maxTrialNumber", None, minimum=1),
        max_trial_duration=top.duration("maxTrialDuration"),
        experiment_working_directory=top.path_value("experimentWorkingDirectory")
        or default_working_directory(),
        tuner=tuner,
        assessor=_algorithm(top, "assessor", "autolab.assessors"),
        training_service=service,
        log_level=log_level,
        debug=top.flag("debug", False),
        nni_module=top.flag("nniModule", True),
        warnings=ctx.warnings,
        tuner_key=which,
    )


def _checked_command(top: Section, command: str, space: SearchSpace) -> str:
    """The trialCommand, refused when a parameter's placeholder stands where its value could run."""
    why = unsafe_placeholders(command, set(space.raw or {}))
    if why:
        raise top.error("trialCommand", why)
    return command


def _algorithm(top: Section, key: str, registry: str) -> AlgorithmConfig | None:
    if top.get(key) is None:
        return None
    sec = Section(top.ctx, top.get(key), key, ALGORITHM_KEYS)
    name, class_name = sec.text("name"), sec.text("className")
    if (name is None) == (class_name is None):
        raise top.error(key, "give exactly one of name (a builtin) or className (module.Class)")
    code_directory = sec.path_value("codeDirectory")
    if class_name is not None:
        module, _, cls = class_name.rpartition(".")
        if not module or not cls.isidentifier():
            raise sec.error("className", f"must be module.Class, got {class_name!r}")
        code_directory = code_directory or top.ctx.base
    else:
        known = importlib.import_module(registry)
        builtin: dict[str, str] = known.BUILTIN
        if normalize_key(name or "") not in (*builtin, *getattr(known, "ALIASES", {})):
            raise sec.error("name", unknown_builtin(name or "", builtin, getattr(known, "INSTEAD", {})))
        stand_in = getattr(known, "STAND_INS", {}).get(normalize_key(name or ""))
        if stand_in:  # an NNI builtin run by the closest autolab one: never silently
            top.ctx.warn(f"{key}.name: {stand_in}")
        if code_directory is not None:
            top.ctx.warn(f"{key}.codeDirectory: ignored (it is for className; {name} is a builtin)")
            code_directory = None
    return AlgorithmConfig(name, class_name, code_directory, sec.mapping("classArgs"))


def _search_space(top: Section, tuner: AlgorithmConfig) -> tuple[SearchSpace, Path | None]:
    """The search space, parsed here once (a section's derived_keys may hand one already parsed)."""
    ctx = top.ctx
    inline, path = top.get("searchSpace"), top.path_value("searchSpaceFile")
    if inline is not None and path is not None and not ctx.stored:  # which was meant? (they may differ)
        raise top.error(
            "searchSpace",
            f"give searchSpace or {ctx.names.get('searchSpaceFile', 'searchSpaceFile')}, not both",
        )
    if inline is not None:
        try:
            space = (
                inline
                if isinstance(inline, SearchSpace)
                else space_for(inline, f"{ctx.shown}: {ctx.names['searchSpace']}", tuner)
            )
        except SearchSpaceError as exc:
            raise ConfigError(str(exc)) from None
        return space, path
    if path is not None:
        if not path.is_file():
            raise top.error("searchSpaceFile", f"{path} is not a file")
        try:
            if tuner.class_name is None:
                return load(str(path)), path
            try:
                raw = json5.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError):
                return load(str(path)), path  # the same read: its one-line error
            return space_for(raw, str(path), tuner), path
        except SearchSpaceError as exc:
            raise top.error("searchSpaceFile", str(exc)) from None
    if tuner.class_name is not None:
        return SearchSpace({}), None
    raise top.error(
        "searchSpaceFile",
        "is required: give searchSpaceFile or searchSpace (only a custom tuner may go without)",
    )


_SLURM_TIME = re.compile(r"^(?:\d+-\d+(?::\d+){0,2}|\d+(?::\d+){0,2}|unlimited|infinite)$", re.IGNORECASE)


def _training_service(top: Section, ctx: Context) -> tuple[TrainingServiceConfig, Section]:
    """The service, and a Section of NNI's shortcut keys given in it (trialCommand...; may be empty).
    The platform is checked first: a pai or remote config fails on its platform, not on its keys."""
    raw = top.get("trainingService")
    if raw is None:
        return TrainingServiceConfig("local"), Section(ctx, {}, "trainingService", ())
    if isinstance(raw, list):
        if len(raw) != 1:
            raise top.error(
                "trainingService",
                f"platform hybrid (a list of {len(raw)} training services) is not supported "
                f"(supported: {', '.join(PLATFORMS)}); give one",
            )
        raw = raw[0]
    if isinstance(raw, dict):
        written = [k for k in raw if isinstance(k, str) and normalize_key(k) == "platform"]
        value = raw[written[0]] if len(written) == 1 else None
        if isinstance(value, str) and value.strip().lower() not in PLATFORMS:
            ctx.names.setdefault(
                "trainingService.platform", f"{ctx.names.get('trainingService')}.{written[0]}"
            )
            raise ctx.error(
                "trainingService.platform",
                f"platform {value} is not supported (supported: {', '.join(PLATFORMS)})",
            )
    v1_section_in_v2(ctx, raw, ctx.names.get("trainingService", "trainingService"))
    all_keys = dict.fromkeys(k for keys in SERVICE_KEYS.values() for k in keys)
    sec = Section(ctx, raw, "trainingService", (*all_keys, *SERVICE_SHORTCUTS, "reuseMode"))
    platform = (sec.text("platform", required=True) or "").strip().lower()
    if platform not in PLATFORMS:
        raise sec.error(
            "platform", f"platform {sec.get('platform')} is not supported (supported: {', '.join(PLATFORMS)})"
        )
    for name in sec.values:
        if name not in (*SERVICE_KEYS[platform], *SERVICE_SHORTCUTS, "reuseMode"):
            raise sec.error(
                name, f"not a key of platform {platform} (its keys: {', '.join(SERVICE_KEYS[platform])})"
            )
    if sec.flag("reuseMode", False):
        ctx.warn(
            f"{ctx.names['trainingService.reuseMode']}: ignored (NNI reuses remote environments between "
            f"trials; {platform} trials start as their own processes{' or jobs' if platform == 'slurm' else ''})"
        )
    shortcuts = {k: v for k, v in sec.values.items() if k in SERVICE_SHORTCUTS}
    sec.text("nniManagerIp")  # accepted, as at the top level
    shortcut_section = Section(ctx, shortcuts, "trainingService", SERVICE_SHORTCUTS)
    if platform == "local":
        service = TrainingServiceConfig(
            "local",
            use_active_gpu=sec.flag("useActiveGpu", False),
            max_trial_number_per_gpu=sec.integer("maxTrialNumberPerGpu", 1, minimum=1) or 1,
            gpu_indices=_gpu_indices(sec),
        )
        return service, shortcut_section
    if platform == "remote":
        return TrainingServiceConfig("remote", machine_list=machine_list(sec, _gpu_indices)), shortcut_section
    time = sec.get("time")
    if isinstance(time, int) and not isinstance(time, bool):
        time = str(time)  # slurm reads a bare number as minutes
    if time is not None and not (isinstance(time, str) and _SLURM_TIME.match(time.strip())):
        raise sec.error(
            "time", f"must be a slurm time such as 1:30:00, 2-00:00:00 or minutes, got {kind(time)}"
        )
    args = sec.get("sbatchArgs") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise sec.error("sbatchArgs", f"must be a list of strings, got {kind(args)}")
    service = TrainingServiceConfig(
        "slurm",
        partition=sec.text("partition"),
        gres=sec.text("gres"),
        time=time.strip() if time is not None else None,
        sbatch_args=list(args),
        poll_interval=sec.duration("pollInterval", 5.0) or 5.0,
    )
    return service, shortcut_section


def _gpu_indices(sec: Section) -> list[int] | None:
    value = sec.get("gpuIndices")
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
    out: list[int] = []
    for item in items:
        if isinstance(item, str) and item.strip().isdigit():
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int) or item < 0 or item in out:
            raise sec.error(
                "gpuIndices",
                "must be distinct GPU indices: a list of integers >= 0 or a string "
                f'like "0,1", got {value!r}',
            )
        out.append(item)
    if not out:
        raise sec.error("gpuIndices", "lists no GPU")
    return out


#: a name is shown in tables and on the web page; a 10 MB one took 16.7 s to create
MAX_NAME_LENGTH = 1000


def _experiment_name(top: Section) -> str | None:
    name = top.text("experimentName")
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise top.error("experimentName", f"must be at most {MAX_NAME_LENGTH} characters, got {len(name)}")
    if name is not None and any(unicodedata.category(c) == "Cc" for c in name):
        # an escape sequence would reach every terminal that lists experiments (a title, colours)
        raise top.error("experimentName", f"must not contain control characters, got {name!r}")
    return name
