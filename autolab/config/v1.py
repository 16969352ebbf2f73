"""NNI's legacy (v1) config keys, rewritten into the v2 shape that autolab.config validates.

Errors name the keys as the user wrote them: each v2 key path is mapped back to its v1 spelling
(e.g. "trialCommand" -> "trial.command") in the context, so validation messages point at the file.
"""

from __future__ import annotations

from typing import Any

from .model import PLATFORMS, TOP_KEYS
from .reader import ConfigError, Context, normalize_key, suggest
from .remote import remote_v1

# keys only a v1 config has (any of them at the top level makes the file v1)
V1_ONLY = {
    normalize_key(k)
    for k in (
        "authorName",
        "description",
        "multiThread",
        "versionCheck",
        "logCollection",
        "maxExecDuration",
        "maxTrialNum",
        "trainingServicePlatform",
        "searchSpacePath",
        "trial",
        "localConfig",
        "logDir",
        "multiPhase",
        "machineList",
        "remoteConfig",
    )
}
# v1 sections of the platforms autolab does not have -> the platform they are for
OTHER_PLATFORMS = {
    normalize_key(k): platform
    for k, platform in (
        ("paiConfig", "pai"),
        ("paiYarnConfig", "paiYarn"),
        ("kubeflowConfig", "kubeflow"),
        ("frameworkcontrollerConfig", "frameworkcontroller"),
        ("amlConfig", "aml"),
        ("adlConfig", "adl"),
        ("dltsConfig", "dlts"),
        ("dlcConfig", "dlc"),
        ("hybridConfig", "hybrid"),
        ("sharedStorage", "remote"),
    )
}
V1_ONLY |= set(OTHER_PLATFORMS) - {"sharedstorage"}  # sharedStorage is a v2 key too
IGNORED = ("authorName", "description", "multiThread", "versionCheck", "logCollection")
# v1 top-level key -> v2 key (same value)
RENAMED = {
    "experimentName": "experimentName",
    "trialConcurrency": "trialConcurrency",
    "maxExecDuration": "maxExperimentDuration",
    "maxTrialNum": "maxTrialNumber",
    "searchSpacePath": "searchSpaceFile",
    "useAnnotation": "useAnnotation",
    "nniManagerIp": "nniManagerIp",
    "logDir": "experimentWorkingDirectory",
    "logLevel": "logLevel",
    "debug": "debug",
}
SECTIONS = {  # v1 section -> (v2 prefix, {v1 key: v2 key})
    "trial": ("", {"command": "trialCommand", "codeDir": "trialCodeDirectory", "gpuNum": "trialGpuNumber"}),
    "localConfig": (
        "trainingService",
        {
            "gpuIndices": "gpuIndices",
            "maxTrialNumPerGpu": "maxTrialNumberPerGpu",
            "useActiveGpu": "useActiveGpu",
        },
    ),
}
ALGORITHMS = {"tuner": "builtinTunerName", "assessor": "builtinAssessorName", "advisor": "builtinAdvisorName"}
REMOTE_KEYS = ("machineList", "remoteConfig")
ALL_KEYS = (*IGNORED, *RENAMED, *SECTIONS, *ALGORITHMS, "trainingServicePlatform", "multiPhase", *REMOTE_KEYS)


def _check_platform(raw: dict[Any, Any], ctx: Context) -> None:
    """Before any key is looked at: a config for a platform autolab does not have fails on that."""
    supported = f"(supported: {', '.join(PLATFORMS)})"
    keys = [k for k in raw if isinstance(k, str)]
    for key in keys:  # the platform named, before the sections that go with it
        value = raw[key]
        if normalize_key(key) == "trainingserviceplatform" and isinstance(value, str):
            if value.strip().lower() not in PLATFORMS:
                raise ConfigError(f"{ctx.shown}: {key}: platform {value} is not supported {supported}")
    for key in keys:
        if normalize_key(key) in OTHER_PLATFORMS:
            platform = OTHER_PLATFORMS[normalize_key(key)]
            raise ConfigError(
                f"{ctx.shown}: {key}: a key of platform {platform}, which is not supported {supported}"
            )


def is_v1(raw: dict[Any, Any]) -> bool:
    return any(isinstance(k, str) and normalize_key(k) in V1_ONLY for k in raw)


def to_v2(raw: dict[Any, Any], ctx: Context) -> dict[str, Any]:
    """The v2 dict for a v1 config; records the v1 spelling of each key in ctx.names."""
    ctx.names.update(
        {
            "trialCommand": "trial.command",
            "searchSpaceFile": "searchSpacePath",
            "trainingService": "trainingServicePlatform",
            "trainingService.platform": "trainingServicePlatform",
            "trainingService.machineList": "machineList",
        }
    )
    _check_platform(raw, ctx)
    known = {normalize_key(k): k for k in ALL_KEYS}
    out: dict[str, Any] = {}
    service: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for key, value in raw.items():
        name = known.get(normalize_key(key)) if isinstance(key, str) else None
        if name is None:
            hint = _mixed_hint(str(key), raw) or suggest(str(key), ALL_KEYS)
            raise ConfigError(f"{ctx.shown}: {key}: unknown key{hint}")
        if name in seen:
            raise ConfigError(f"{ctx.shown}: {key}: given twice (also as {seen[name]})")
        seen[name] = key
        if name == "multiThread":
            if value is not False:  # false is NNI's default, and what autolab does
                ctx.warn(f"{key}: ignored (the manager calls the tuner from its loop, one call at a time)")
        elif name in IGNORED:
            ctx.warn(f"{key}: ignored (a v1 key autolab does not use)")
        elif name == "multiPhase":
            if not isinstance(value, bool):
                raise ConfigError(f"{ctx.shown}: {key}: must be true or false, got {value!r}")
            if value:  # false is what autolab does anyway
                ctx.warn(
                    f"{key}: ignored (each trial gets one parameter set: "
                    "get_next_parameter called again returns the same one)"
                )
        elif name in RENAMED:
            out[RENAMED[name]] = value
            ctx.names[RENAMED[name]] = key
        elif name == "trainingServicePlatform":
            service["platform"] = value
            ctx.names["trainingService.platform"] = key
        elif name in REMOTE_KEYS:
            service.update(remote_v1(ctx, name, key, value))
        elif name in SECTIONS:
            prefix, keys = SECTIONS[name]
            (service if prefix else out).update(_section(ctx, value, key, prefix, keys))
        else:
            out[name] = _algorithm(ctx, value, key, name)
    if service:
        out["trainingService"] = {"platform": "local", **service}  # localConfig alone means local
    return out


def _section(ctx: Context, value: Any, written: str, prefix: str, keys: dict[str, str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{ctx.shown}: {written}: must be a mapping of keys to values, got {value!r}")
    known = {normalize_key(k): k for k in keys}
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = known.get(normalize_key(key)) if isinstance(key, str) else None
        if name is None:
            raise ConfigError(f"{ctx.shown}: {written}.{key}: unknown key{suggest(str(key), keys)}")
        if keys[name] in out:
            raise ConfigError(f"{ctx.shown}: {written}.{key}: given twice")
        out[keys[name]] = item
        ctx.names[f"{prefix}.{keys[name]}" if prefix else keys[name]] = f"{written}.{key}"
    return out


# v1 tuner/assessor keys about where NNI ran the algorithm: nothing to do here (it runs in the manager)
ALGORITHM_IGNORED = ("gpuIndices", "gpuNum", "includeIntermediateResults")
# what autolab does with an early-stopped trial, whatever includeIntermediateResults says: NNI's
# `true` (README, docs/multi-fidelity.md)
EARLY_STOPPED = (
    "autolab always gives the tuner an early-stopped trial: a custom tuner gets its last intermediate "
    "result, as NNI's includeIntermediateResults: true does; a builtin ranks it after every completed trial"
)


def _algorithm(ctx: Context, value: Any, written: str, kind: str) -> Any:
    """tuner/assessor/advisor: builtin<Kind>Name -> name; className + classFileName -> module.Class."""
    keys = {
        ALGORITHMS[kind]: "name",
        "className": "className",
        "codeDir": "codeDirectory",
        "classArgs": "classArgs",
        "classFileName": "classFileName",
    }
    ctx.names[kind] = written
    if isinstance(value, dict):
        ignored = {normalize_key(k) for k in ALGORITHM_IGNORED}
        for key in [k for k in value if isinstance(k, str) and normalize_key(k) in ignored]:
            if normalize_key(key) != normalize_key("includeIntermediateResults"):
                ctx.warn(f"{written}.{key}: ignored (the {kind} runs inside the autolab manager)")
            elif value[key] is not True:  # true: what autolab does
                given = str(value[key]).lower() if isinstance(value[key], bool) else repr(value[key])
                ctx.warn(f"{written}.{key}: {given} is not followed ({EARLY_STOPPED})")
        value = {k: v for k, v in value.items() if not (isinstance(k, str) and normalize_key(k) in ignored)}
    section = _section(ctx, value, written, kind, keys)
    file_name = section.pop("classFileName", None)
    if file_name is not None:
        if not isinstance(file_name, str) or not file_name.strip():
            raise ConfigError(
                f"{ctx.shown}: {ctx.names[kind + '.classFileName']}: must be a file name, got {file_name!r}"
            )
        if not isinstance(section.get("className"), str):
            raise ConfigError(f"{ctx.shown}: {ctx.names[kind + '.classFileName']}: needs className beside it")
        module = file_name.strip().removesuffix(".py").replace("/", ".")
        section["className"] = f"{module}.{section['className']}"
    return section if value is not None else None


def _mixed_hint(key: str, raw: dict[Any, Any]) -> str:
    if normalize_key(key) not in {normalize_key(k) for k in TOP_KEYS}:
        return ""
    v1_keys = [str(k) for k in raw if isinstance(k, str) and normalize_key(k) in V1_ONLY]
    return f" in a v1 config ({key} is a v2 key, but this file also has v1 keys: {', '.join(v1_keys)}; use one format)"
