"""Reading config files: YAML/JSON5 parsing, key matching, one-line errors naming file and key.

The pieces here know nothing of what the keys mean (that is config.py and the feature sections
such as autolab/task): a Context names the file being read, a Section reads one mapping by
canonical key names, matched case- and underscore-insensitively as NNI does.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import json5
import yaml

from ..errors import AutolabError


class ConfigError(AutolabError, ValueError):
    """A mistake in the config; the message is one line: "<file>: <key>: <problem>"."""


# More trials at once than any machine or cluster runs: a typo (an extra zero or an exponent).
MAX_CONCURRENCY = 10_000


def normalize_key(key: str) -> str:
    """NNI's key matching: case and underscores do not count."""
    return key.lower().replace("_", "")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> float:
    """Seconds from "30s", "10m", "1.5h", "2d" or a plain number of seconds; ValueError unless > 0."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"bad duration {value!r} (use e.g. 30s, 10m, 1.5h, 2d or a number of seconds)")
        seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(f"must be a duration such as 30s, 10m, 1.5h, 2d or seconds, got {kind(value)}")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"must be a duration > 0, got {value!r}")
    return seconds


def resolve_path(value: str | os.PathLike[str], base: Path) -> Path:
    """`~` expanded; a relative path taken from base (the config file's folder); normalized."""
    path = Path(os.path.expanduser(os.fspath(value)))
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


TOO_DEEP = "lists or mappings nested too deeply"


def read_config_file(path: str | Path) -> tuple[Any, Path, str]:
    """(parsed value, absolute path, path as the user wrote it) of a YAML or .json/.json5 file."""
    shown = str(path)
    source = Path(os.path.abspath(os.path.expanduser(shown)))
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read the config: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: the config is not UTF-8 text") from None
    if source.suffix.lower() in (".json", ".json5"):
        try:
            raw = json5.loads(text, allow_duplicate_keys=False)
        except ValueError as exc:
            raise ConfigError(f"{shown}: not valid JSON: {' '.join(str(exc).split())}") from None
        except RecursionError:
            raise ConfigError(f"{shown}: not valid JSON: {TOO_DEEP}") from None
    else:
        try:
            raw = yaml.load(text, Loader=_YamlLoader)  # a SafeLoader
        except yaml.YAMLError as exc:
            raise ConfigError(f"{shown}: {_yaml_problem(exc)}") from None
        except _TooBig as exc:
            raise ConfigError(f"{shown}: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{shown}: not valid YAML: {TOO_DEEP}") from None
    return raw, source, shown


# A config with a search space has hundreds of values; a "billion laughs" of nested aliases
# (&a [*b, *b, ...]) expands to billions, and whatever walks it (parse, copy, dump) eats the memory.
MAX_YAML_VALUES = 1_000_000


class _TooBig(Exception):
    """The YAML's aliases expand past MAX_YAML_VALUES (or refer to themselves)."""


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, aliases that expand past MAX_YAML_VALUES values,
    and keeps 1:30:00 a string (not YAML 1.1 base 60)."""

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_sexagesimal_safe(self, node: yaml.ScalarNode) -> Any:
        text = self.construct_scalar(node)
        if ":" in str(text):
            return str(text)
        return self.construct_yaml_int(node) if node.tag.endswith(":int") else self.construct_yaml_float(node)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded; _TooBig past the bound.
    A node reached through several aliases is counted each time, but measured once (memo)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    too_big = _TooBig(
        f"its YAML aliases (*name) expand past {MAX_YAML_VALUES:,} values; write the values out"
    )

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:  # &a [*a]: an alias inside itself never ends
            raise _TooBig("a YAML alias (*name) refers to the node that contains it")
        open_nodes.add(id(node))
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_YAML_VALUES:
                raise too_big
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    return size(root)


# YAML 1.1 reads 1e-5 (no dot) as a string; search spaces and classArgs are full of such numbers
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


_YamlLoader.add_constructor("tag:yaml.org,2002:int", _YamlLoader.construct_sexagesimal_safe)
_YamlLoader.add_constructor("tag:yaml.org,2002:float", _YamlLoader.construct_sexagesimal_safe)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"{where}not valid YAML: {getattr(exc, 'problem', None) or exc}"


def kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"


# How alike a key must be to a known one to be suggested (difflib's ratio). At 0.6 unrelated names
# got suggested (paiConfig -> localConfig 0.70, MetisTuner -> batchtuner 0.60); typos score higher
# (trialConcurency 0.97, tunner 0.91, trialCodeDir 0.80, gpuIndex -> gpuIndices 0.78).
SUGGEST_CUTOFF = 0.75


def suggest(key: str, known: Iterable[str]) -> str:
    """ " (did you mean X?)" for the closest known key, matched as NNI matches keys; else ""."""
    by_norm = {normalize_key(k): k for k in known}
    close = difflib.get_close_matches(normalize_key(key), list(by_norm), n=1, cutoff=SUGGEST_CUTOFF)
    return f" (did you mean {by_norm[close[0]]}?)" if close else ""


class Context:
    """One config being read: the file to name in errors, keys as the user wrote them, warnings."""

    def __init__(self, source: Path, shown: str) -> None:
        self.source = source
        self.base = source.parent
        self.shown = shown
        self.names: dict[str, str] = {}  # canonical key path ("tuner.name") -> as written
        self.warnings: list[str] = []
        self.stored = False  # an experiment's stored config (config_from_dict), not a user's file

    def error(self, path: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.shown}: {self.names.get(path, path)}: {problem}")

    def warn(self, message: str) -> None:
        """Kept in config.warnings, which whoever reads the config shows (the CLI prints them):
        not logged as well, or a terminal shows each twice."""
        self.warnings.append(message)


class Section:
    """A mapping read by canonical key names; an unknown or repeated key is an error."""

    def __init__(self, ctx: Context, raw: Any, path: str, keys: Iterable[str], hint: str = "") -> None:
        self.ctx, self.path = ctx, path
        if not isinstance(raw, dict):
            raise ctx.error(path, f"must be a mapping of keys to values, got {kind(raw)}")
        keys = tuple(keys)
        canonical = {normalize_key(k): k for k in keys}
        written_path = ctx.names.get(path, path)
        self.values: dict[str, Any] = {}
        for key, value in raw.items():
            written = f"{written_path}.{key}" if path else str(key)
            name = canonical.get(normalize_key(key)) if isinstance(key, str) else None
            if name is None:
                raise ConfigError(f"{ctx.shown}: {written}: unknown key{hint}{suggest(str(key), keys)}")
            if name in self.values:
                raise ConfigError(
                    f"{ctx.shown}: {written}: given twice (also as {ctx.names[self.full(name)]})"
                )
            ctx.names.setdefault(self.full(name), written)
            self.values[name] = value

    def full(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def error(self, name: str, problem: str) -> ConfigError:
        full = self.full(name)
        if full not in self.ctx.names and self.path:  # a missing key: under its parent as written
            self.ctx.names[full] = f"{self.ctx.names.get(self.path, self.path)}.{name}"
        return self.ctx.error(full, problem)

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise self.error(name, "is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(name, f"must be a non-empty string, got {kind(value)}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {kind(value)}")
        return value

    def integer(self, name: str, default: int | None, minimum: int, maximum: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(name, f"must be an integer >= {minimum}, got {kind(value)}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"must be at most {maximum}, got {value}")
        return value

    def duration(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.error(name, str(exc)) from None

    def path_value(self, name: str) -> Path | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, f"must be a path, got {kind(value)}")
        return resolve_path(value, self.ctx.base)

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.values.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.error(name, f"must be a mapping of names to values, got {kind(value)}")
        return dict(value)
