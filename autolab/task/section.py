"""The `task:` section of a config: a command template and its search args, instead of a
trialCommand and a search space.

```yaml
task:
  template: "python train.py --lr {lr} --batch-size {batch-size} --epochs {epochs}"
  search_args:
    - {type: Categorical, name: epochs, value: [3, 5]}
    - {type: Nested, value: [{lr: 0.5, batch-size: 512}, {lr: 1, batch-size: 1024}]}
  metric: {pattern: "Test Acc: ([0-9.]+)", mode: maximize}
```

From it the config gets its searchSpace (Categorical -> choice; Nested -> a choice whose options
are the mappings, so their values only go together; any NNI _type by its name), its trialCommand
(the task runner, `python -m autolab.task.run`, which renders the template from parameter.json and
reads the metric from stdout) and, unless a tuner is named, the GridSearch tuner.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..commands import placeholders, unsafe_placeholders
from ..config.reader import ConfigError, Context, Section, kind, normalize_key
from ..searchspace import TYPES, SearchSpace, SearchSpaceError, parse
from .copycode import job_code_dir
from .jobtree import JobTree

TASK_KEYS = ("template", "searchArgs", "metric", "copyCode", "symlinks", "python")
METRIC_KEYS = ("pattern", "mode")
ARG_KEYS = ("type", "name", "value")
MODES = {"maximize": "maximize", "max": "maximize", "minimize": "minimize", "min": "minimize"}
DEFAULT_TUNER = "GridSearch"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
RUNNER = "autolab.task.run"


@dataclass
class TaskConfig:
    template: str
    search_args: list[dict[str, Any]]  # {"type": "Categorical" | "Nested" | an NNI _type, "name", "value"}
    pattern: str | None = None  # regex over the command's stdout; None: the script reports itself
    mode: str | None = None  # "maximize" | "minimize"; None when no metric was given
    copy_code: bool = False  # run each job in its own copy of trialCodeDirectory
    symlinks: bool = False  # in that copy, link large files instead of copying them
    python: str = field(default_factory=lambda: sys.executable)  # runs the task runner

    def search_space(self) -> dict[str, Any]:
        """The NNI search space the search args stand for."""
        space: dict[str, Any] = {}
        for arg in self.search_args:
            nni_type = "choice" if arg["type"] in ("Categorical", "Nested") else arg["type"]
            space[arg["name"]] = {"_type": nni_type, "_value": copy.deepcopy(arg["value"])}
        return space

    def parameter_names(self) -> list[str]:
        """The template's names in search-arg order (a Nested arg's names in their order)."""
        names: list[str] = []
        for arg in self.search_args:
            names.extend(arg["value"][0] if arg["type"] == "Nested" else [arg["name"]])
        return names

    def trial_command(self) -> str:
        argv = [self.python, "-m", RUNNER, "--template", self.template]
        if self.pattern is not None:
            argv += ["--pattern", self.pattern]
        return shlex.join(argv)

    def job_command_and_code(self, config: Any, trial_dir: Path, experiment_dir: Path) -> tuple[str, Path]:
        """What a job runs (the task runner: it renders the template itself) and where: with
        copyCode, its own copy of trialCodeDirectory (autolab.commands asks here)."""
        code_dir = config.trial_code_directory
        if self.copy_code:
            code_dir = job_code_dir(code_dir, trial_dir, self.symlinks, experiment_dir)
        return config.trial_command, code_dir

    def manager_listener(self) -> JobTree:
        """The manager keeps the browsable jobs/ tree through it (the launcher asks here)."""
        return JobTree(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"template": self.template, "searchArgs": copy.deepcopy(self.search_args)}
        if self.pattern is not None or self.mode is not None:
            out["metric"] = {
                k: v for k, v in (("pattern", self.pattern), ("mode", self.mode)) if v is not None
            }
        out.update(copyCode=self.copy_code, symlinks=self.symlinks, python=self.python)
        return out


def parse_task(value: Any, ctx: Context) -> TaskConfig:
    """Validate a task section; raises ConfigError naming the file and key."""
    sec = Section(ctx, value, "task", TASK_KEYS)
    template = sec.text("template", required=True) or ""
    args = _search_args(sec)
    _check_names(sec, template, args)
    pattern, mode = _metric(sec)
    copy_code, symlinks = sec.flag("copyCode", False), sec.flag("symlinks", False)
    if symlinks and not copy_code:
        raise sec.error("symlinks", "links large files in the copy of the code; it needs copy_code: true")
    task = TaskConfig(template, args, pattern, mode, copy_code, symlinks)
    if sec.get("python") is not None:
        task.python = sec.text("python", required=True) or ""
    return task


def config_section(value: Any, config: Any) -> TaskConfig:
    """The EXTRA_SECTIONS handler: the task as config.extra["task"] (its space checked by derived_keys)."""
    return parse_task(value, Context(config.source, config.named))


def derived_keys(value: Any, core: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The top-level keys a task stands for: searchSpace, trialCommand and the tuner (GridSearch
    unless one is named; the metric's mode becomes the tuner's optimize_mode)."""
    task = parse_task(value, ctx)
    space = _parse_space(ctx, task)
    out: dict[str, Any] = {"searchSpace": space.raw, "trialCommand": task.trial_command()}
    given = {normalize_key(k): k for k in core if isinstance(k, str)}
    for key in ("searchSpace", "searchSpaceFile", "trialCommand"):
        written = given.get(normalize_key(key))
        # the normalized config (resume reads it) writes the derived values back: those are fine
        if written is not None and core[written] != out.get(key):
            raise ConfigError(
                f"{ctx.shown}: {written}: not used with task: (task.template and "
                f"task.search_args give it); remove {written}"
            )
    tuner_key = given.get("tuner")
    if tuner_key is None and given.get("advisor") is None:
        out["tuner"] = {"name": DEFAULT_TUNER, "classArgs": {"optimize_mode": task.mode} if task.mode else {}}
    elif tuner_key is not None and task.mode and isinstance(core[tuner_key], dict):
        out["tuner"] = _with_mode(ctx, tuner_key, core[tuner_key], task.mode)
    out["searchSpace"] = space  # parsed: the config builder takes it as it is
    return out


def _with_mode(ctx: Context, written: str, tuner: dict[str, Any], mode: str) -> dict[str, Any]:
    args_key = next((k for k in tuner if isinstance(k, str) and normalize_key(k) == "classargs"), "classArgs")
    class_args = tuner.get(args_key)
    if class_args is None:
        class_args = {}
    if not isinstance(class_args, dict):
        return tuner  # the config's own check names the mistake
    current = class_args.get("optimize_mode")
    if current is not None and MODES.get(str(current).lower()) != mode:
        raise ConfigError(
            f"{ctx.shown}: {written}.{args_key}.optimize_mode: is {current!r}, but task.metric "
            f"says {mode}; give one"
        )
    return {**tuner, args_key: {**class_args, "optimize_mode": mode}}


def _search_args(sec: Section) -> list[dict[str, Any]]:
    raw = sec.get("searchArgs")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise sec.error(
            "searchArgs", f"must be a list of search args ({{type, name, value}}), got {kind(raw)}"
        )
    ctx, base = sec.ctx, sec.full("searchArgs")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        path = f"{base}[{index}]"
        ctx.names[path] = f"{ctx.names.get(base, base)}[{index}]"
        arg = Section(ctx, item, path, ARG_KEYS)
        out.append(_search_arg(arg))
    return out


def _search_arg(arg: Section) -> dict[str, Any]:
    written = arg.text("type", required=True) or ""
    types = {"categorical": "Categorical", "nested": "Nested", **{t.lower(): t for t in TYPES}}
    arg_type = types.get(written.strip().lower())
    if arg_type is None:
        raise arg.error(
            "type",
            f"unknown type {written!r}; use Categorical, Nested or an NNI _type ({', '.join(sorted(TYPES))})",
        )
    value = arg.get("value")
    if not isinstance(value, list) or not value:
        raise arg.error("value", f"must be a non-empty list, got {kind(value)}")
    given = arg.text("name", required=arg_type != "Nested")
    if given is not None and arg_type != "Nested" and not NAME.match(given):
        raise arg.error(
            "name", f"{given!r} is not a placeholder name (a letter or _, then letters, digits, _ - .)"
        )
    name = given or "+".join(_nested_names(arg, value))
    if arg_type == "Nested":
        _nested_names(arg, value)
    if arg_type == "Categorical":
        for item in value:
            if isinstance(item, dict):
                raise arg.error(
                    "value", f"{item!r}: a mapping of values that go together is a Nested search arg"
                )
        _no_repeats(arg, value)
    return {"type": arg_type, "name": name, "value": copy.deepcopy(value)}


def _nested_names(arg: Section, value: list[Any]) -> list[str]:
    names: list[str] | None = None
    for item in value:
        if not isinstance(item, dict) or not item or not all(isinstance(k, str) for k in item):
            raise arg.error(
                "value", f"each Nested value must be a mapping of names to values, got {kind(item)}"
            )
        for key, inner in item.items():
            if not NAME.match(key) or key == "_name":
                raise arg.error(
                    "value", f"{key!r} is not a placeholder name (a letter or _, then letters, digits, _ - .)"
                )
            if isinstance(inner, dict):
                raise arg.error("value", f"{key}: {inner!r}: a Nested value holds plain values, not mappings")
        if names is None:
            names = list(item)
        elif set(item) != set(names):
            raise arg.error(
                "value",
                f"every mapping must name the same parameters ({', '.join(names)}); got {', '.join(item)}",
            )
    _no_repeats(arg, value)
    return names or []


def _no_repeats(arg: Section, value: list[Any]) -> None:
    seen: set[str] = set()
    for item in value:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            raise arg.error("value", f"{item!r} is listed twice")
        seen.add(key)


def _check_names(sec: Section, template: str, args: list[dict[str, Any]]) -> None:
    owner: dict[str, int] = {}  # template name -> index of the search arg giving it
    for index, arg in enumerate(args):
        names = list(arg["value"][0]) if arg["type"] == "Nested" else [arg["name"]]
        where = f"{sec.full('searchArgs')}[{index}]"
        for name in names + ([arg["name"]] if arg["type"] == "Nested" else []):
            if name in owner and owner[name] != index:
                raise sec.ctx.error(where, f"{name!r} is also given by search arg {owner[name]}")
        owner.update(dict.fromkeys(names, index))
    used = placeholders(template)
    why = unsafe_placeholders(template)
    if why:
        raise sec.error("template", why)
    for name in used:
        if name not in owner:
            known = ", ".join(owner) or "none"
            raise sec.error(
                "template", f"placeholder {{{name}}} has no search arg (search args give: {known})"
            )
    for name, index in owner.items():
        if name not in used:
            where = f"{sec.full('searchArgs')}[{index}]"
            raise sec.ctx.error(where, f"{name!r} is not used by the template (no {{{name}}} in it)")


def _metric(sec: Section) -> tuple[str | None, str | None]:
    raw = sec.get("metric")
    if raw is None:
        return None, None
    if isinstance(raw, str):
        raw = {"pattern": raw}
    metric = Section(sec.ctx, raw, sec.full("metric"), METRIC_KEYS)
    pattern = metric.text("pattern")
    if pattern is not None:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise metric.error("pattern", f"not a valid regular expression: {exc}") from None
        if compiled.groups > 1:
            raise metric.error(
                "pattern", f"has {compiled.groups} groups; capture only the number (one group)"
            )
    mode_text = metric.text("mode") or "maximize"
    mode = MODES.get(mode_text.strip().lower())
    if mode is None:
        raise metric.error("mode", f"must be maximize or minimize, got {mode_text!r}")
    return pattern, mode


def _parse_space(ctx: Context, task: TaskConfig) -> SearchSpace:
    try:
        return parse(task.search_space(), source=f"{ctx.shown}: {ctx.names.get('task.searchArgs', 'task')}")
    except SearchSpaceError as exc:
        raise ConfigError(str(exc)) from None


def apply_copy_flags(config: Any, copy_code: bool, symlinks: bool) -> None:
    """`autolab create --copy-code [--symlinks]`: set the task's keys (--symlinks implies a copy)."""
    task = config.extra.get("task")
    if not isinstance(task, TaskConfig):
        flag = "--copy-code" if copy_code else "--symlinks"
        raise ConfigError(f"{config.named}: {flag} works with task configs (a config with task:) only")
    task.copy_code = task.copy_code or copy_code or symlinks
    task.symlinks = task.symlinks or symlinks
