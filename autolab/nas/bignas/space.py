"""The BigNAS search space in the users' terms, and the *settings* that pick one subnet from it.

The space is written per stage, as the users' toolbox writes it (YAML or a dict):

    out_channel:  {space: {min: [16, 24, 32], max: [32, 48, 64], stride: [8, 8, 16]}, sample_strategy: stage_wise}
    kernel_size:  {space: {min: 3, max: [7, 5, 5], stride: 2}, sample_strategy: block_wise}
    depth:        {space: {min: [1, 1, 2], max: [1, 3, 4], stride: 1}, sample_strategy: stage_wise_depth}
    expand_ratio: [1, 6, 6]                     # a plain value or per-stage list: fixed, not searched

min / max / stride are per-stage lists or one scalar for every stage; a stage's options are min,
min + stride, ..., max (max must be reached exactly). `space: {dynamic_range: [[3, 4, 6], ...]}`
lists a stage's options explicitly instead. Stage 0 is the stem (one conv) in the supernets of
`supernet.py`: its depth must be 1 and its expand_ratio is not used. out_channel and depth are
required; kernel_size defaults to 3 and expand_ratio to 1 in every stage.

sample_strategy (how `random()` draws): `stage_wise` (one value per stage, shared by its blocks;
the default), `ordered_stage_wise` (the same, each stage's value >= the previous stage's, or the
stage's largest when none is), `stage_wise_depth` (one value per stage: depth's default) and
`block_wise` (kernel_size and expand_ratio only: one value per running block). out_channel is
always one value per stage (the blocks of a stage add their inputs to their outputs) and depth is
per stage by nature.

Settings (plain JSON data: save, hash, compare and pass them as they are), S stages, d = depth:

    {"depth":        [1, 3, 2],                  # blocks that run, per stage
     "out_channel":  [16, 24, 64],               # per stage
     "kernel_size":  [[5], [3, 5, 3], [3, 3]],   # per stage, one per running block (len d[i])
     "expand_ratio": [[1], [6, 6, 6], [4, 4]]}   # idem; ints unless the space has fractions

`normalize(settings)` checks settings against the space and returns this exact shape; it also takes
a per-stage scalar for kernel_size / expand_ratio, and may omit a key whose value is fixed.
For evolution (`autolab.nas.evolution`), `arch_choices()` / `to_arch()` / `from_arch()` flatten
settings into {label: value} with labels such as "depth.1", "kernel_size.2" or "kernel_size.2.0".
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import AutolabError
from ..mutables import NasError

Number = int | float
Settings = dict[str, Any]
Stages = tuple[int, str]  # the number of stages, and the key that says so

KEYS = ("out_channel", "kernel_size", "depth", "expand_ratio")
STRATEGIES = ("stage_wise", "ordered_stage_wise", "stage_wise_depth", "block_wise")
PER_STAGE = ("out_channel", "depth")  # one value per stage in settings; the others one per block
DEFAULTS = {"kernel_size": 3, "expand_ratio": 1}


class BigNASError(NasError, AutolabError):
    """A BigNAS space, settings or supernet file is invalid; the message names the key and value."""


@dataclass(frozen=True)
class Dimension:
    """One key of the space: the options of each stage and how they are drawn."""

    name: str
    options: tuple[tuple[Number, ...], ...]  # per stage, ascending
    strategy: str

    @property
    def searched(self) -> bool:
        return any(len(o) > 1 for o in self.options)


def _number(where: str, value: Any, integer: bool) -> Number:
    """An int (out_channel, kernel_size, depth: positive) or a number (expand_ratio: >= 0, as the
    users' stems write 0 for "not used")."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (integer and value != int(value)) or value < (1 if integer else 0):
        what = "a positive integer" if integer else "a number >= 0"
        raise BigNASError(f"{where}: expected {what}, got {value!r}")
    return int(value) if integer or value == int(value) else float(value)


def _per_stage(where: str, value: Any, stages: Stages) -> list[Any]:
    count, source = stages
    if not isinstance(value, list):
        return [value] * count
    if not value:
        raise BigNASError(f"{where}: an empty list")
    if len(value) != count:
        raise BigNASError(f"{where}: {len(value)} values, but {source} has {count} (one per stage)")
    return value


def _grid(where: str, low: Number, high: Number, stride: Number) -> tuple[Number, ...]:
    if high < low:
        raise BigNASError(f"{where}: max {high} is below min {low}")
    steps = (high - low) / stride
    if abs(steps - round(steps)) > 1e-9:
        raise BigNASError(f"{where}: max {high} is not min {low} plus a multiple of stride {stride}")
    values = [low + i * stride for i in range(int(round(steps)) + 1)]
    return tuple(int(v) if float(v).is_integer() else round(v, 9) for v in values)


def _stage_count(raw: dict[str, Any]) -> Stages | None:
    """The length of the first per-stage list in the space, and where it is (None: all scalars)."""
    for key in KEYS:
        value = raw.get(key)
        spec = value.get("space") if isinstance(value, dict) else None
        candidates = {key: value} if not isinstance(value, dict) else {}
        if isinstance(spec, dict):
            candidates = {f"{key}.space.{k}": spec.get(k) for k in ("min", "max", "stride", "dynamic_range")}
        for where, c in candidates.items():
            if isinstance(c, list):
                return len(c), where
    return None


def _dimension(name: str, value: Any, stages: Stages) -> Dimension:
    integer = name != "expand_ratio"
    strategy = "stage_wise_depth" if name == "depth" else "stage_wise"
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"space", "sample_strategy"})
        if unknown:
            raise BigNASError(f"{name}: unknown key {unknown[0]!r} (expected space, sample_strategy)")
        strategy = value.get("sample_strategy", strategy)
        if strategy not in STRATEGIES:
            raise BigNASError(f"{name}.sample_strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
        if strategy == "block_wise" and name in PER_STAGE:
            why = "the blocks of a stage add their inputs" if name == "out_channel" else "it is per stage"
            raise BigNASError(f"{name}.sample_strategy: block_wise is not possible for {name} ({why})")
        spec = value.get("space")
        if not isinstance(spec, dict):
            raise BigNASError(f"{name}.space: expected a mapping with min, max, stride, got {spec!r}")
        options = _options(f"{name}.space", spec, stages, integer)
    else:
        where = name
        options = [
            (_number(f"{where}[{i}]", v, integer),) for i, v in enumerate(_per_stage(where, value, stages))
        ]
    for i, opts in enumerate(options):
        if name == "kernel_size" and any(k % 2 == 0 for k in opts):
            raise BigNASError(f"kernel_size: stage {i} has an even kernel size in {list(opts)} (odd only)")
    return Dimension(name, tuple(tuple(o) for o in options), strategy)


def _options(where: str, spec: dict[str, Any], stages: Stages, integer: bool) -> list[tuple[Number, ...]]:
    if "dynamic_range" in spec:
        ranges = _per_stage(f"{where}.dynamic_range", spec["dynamic_range"], stages)
        out = []
        for i, r in enumerate(ranges):
            r = r if isinstance(r, list) else [r]
            if not r:
                raise BigNASError(f"{where}.dynamic_range[{i}]: an empty list")
            out.append(tuple(sorted({_number(f"{where}.dynamic_range[{i}]", v, integer) for v in r})))
        return out
    missing = [k for k in ("min", "max") if k not in spec]
    if missing:
        raise BigNASError(f"{where}: missing {missing[0]!r} (expected min, max, stride)")
    unknown = sorted(set(spec) - {"min", "max", "stride"})
    if unknown:
        raise BigNASError(f"{where}: unknown key {unknown[0]!r} (expected min, max, stride or dynamic_range)")
    cols = {k: _per_stage(f"{where}.{k}", spec.get(k, 1), stages) for k in ("min", "max", "stride")}
    out = []
    for i in range(stages[0]):
        low, high, stride = (
            _number(f"{where}.{k}[{i}]", cols[k][i], integer) for k in ("min", "max", "stride")
        )
        if stride <= 0:
            raise BigNASError(f"{where}.stride[{i}]: must be > 0, got {cols['stride'][i]!r}")
        out.append(_grid(f"{where} stage {i}", low, high, stride))
    return out


class BigNASSpace:
    """Per-stage options of out_channel, kernel_size, depth and expand_ratio; draws settings."""

    def __init__(self, dims: dict[str, Dimension], raw: dict[str, Any]) -> None:
        self.dims = dims
        self.stages = len(dims["depth"].options)
        self.raw = raw  # as the user wrote it: saved with a supernet

    # -- reading ---------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Any, source: str = "search space") -> BigNASSpace:
        try:
            return cls._parse(raw)
        except BigNASError as exc:
            raise BigNASError(f"{source}: {exc}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> BigNASSpace:
        from ...config.reader import read_config_file  # YAML reader (pyyaml) only when a file is read

        raw, _, shown = read_config_file(path)
        return cls.from_dict(raw, shown)

    @classmethod
    def _parse(cls, raw: Any) -> BigNASSpace:
        if not isinstance(raw, dict):
            raise BigNASError(f"expected a mapping of {', '.join(KEYS)}, got {type(raw).__name__}")
        unknown = sorted(set(raw) - set(KEYS))
        if unknown:
            raise BigNASError(f"unknown key {unknown[0]!r} (expected {', '.join(KEYS)})")
        for key in PER_STAGE:
            if key not in raw:
                raise BigNASError(f"missing {key!r}")
        stages = _stage_count(raw)
        if stages is None:
            raise BigNASError("no per-stage list anywhere: give at least one key as a list per stage")
        dims = {key: _dimension(key, raw.get(key, DEFAULTS.get(key)), stages) for key in KEYS}
        return cls(dims, raw)

    def to_dict(self) -> dict[str, Any]:
        return self.raw

    # -- settings ----------------------------------------------------------------------------------
    def _build(self, pick: Any) -> Settings:
        """Settings from pick(dim, stage, block) -> value (block None: the stage's value)."""
        depth = [pick(self.dims["depth"], i, None) for i in range(self.stages)]
        settings: Settings = {"depth": depth}
        settings["out_channel"] = [pick(self.dims["out_channel"], i, None) for i in range(self.stages)]
        for key in ("kernel_size", "expand_ratio"):
            dim = self.dims[key]
            settings[key] = [
                [pick(dim, i, b if dim.strategy == "block_wise" else None) for b in range(depth[i])]
                for i in range(self.stages)
            ]
        return settings

    def max(self) -> Settings:
        return self._build(lambda dim, i, b: dim.options[i][-1])

    def min(self) -> Settings:
        return self._build(lambda dim, i, b: dim.options[i][0])

    def random(self, rng: random.Random) -> Settings:
        stage_values: dict[tuple[str, int], Number] = {}

        def pick(dim: Dimension, i: int, block: int | None) -> Number:
            if block is not None:
                return rng.choice(dim.options[i])
            if (dim.name, i) not in stage_values:
                options = dim.options[i]
                if dim.strategy == "ordered_stage_wise" and i > 0:
                    floor = stage_values[(dim.name, i - 1)]
                    options = tuple(v for v in options if v >= floor) or options[-1:]
                stage_values[(dim.name, i)] = rng.choice(options)
            return stage_values[(dim.name, i)]

        return self._build(pick)

    def traverse(self) -> Iterator[Settings]:
        """Every setting whose blocks share their stage's values (ordered_stage_wise keys never
        narrowing), from min upward, lazily: the grid may be large. With block_wise keys the
        blocks of a stage still move together here."""
        axes = [(key, i) for key in KEYS for i in range(self.stages)]
        ordered = [k for k in KEYS if self.dims[k].strategy == "ordered_stage_wise"]
        for combo in itertools.product(*(self.dims[key].options[i] for key, i in axes)):
            chosen = dict(zip(axes, combo, strict=True))
            if any(chosen[(k, i - 1)] > chosen[(k, i)] for k in ordered for i in range(1, self.stages)):
                continue
            yield self._build(lambda dim, i, b, chosen=chosen: chosen[(dim.name, i)])

    def traverse_size(self) -> int:
        """How many settings traverse() yields (counted, not walked)."""
        total = 1
        for key in KEYS:
            options = self.dims[key].options
            if self.dims[key].strategy != "ordered_stage_wise":
                total *= math.prod(len(o) for o in options)
                continue
            # non-decreasing sequences: ways[v] = how many end at value v after each stage
            ways = {v: 1 for v in options[0]}
            for stage in options[1:]:
                ways = {v: sum(n for u, n in ways.items() if u <= v) for v in stage}
            total *= sum(ways.values())
        return total

    def normalize(self, settings: Any) -> Settings:
        """Settings checked against the space, in the exact shape of the module doc."""
        if not isinstance(settings, dict):
            raise BigNASError(f"settings: expected a mapping of {', '.join(KEYS)}, got {settings!r}")
        unknown = sorted(set(settings) - set(KEYS))
        if unknown:
            raise BigNASError(f"settings: unknown key {unknown[0]!r} (expected {', '.join(KEYS)})")

        def value(key: str, v: Any, i: int, where: str) -> Number:
            options = self.dims[key].options[i]
            number = _number(where, v, key != "expand_ratio")
            if not any(math.isclose(number, o) for o in options):
                raise BigNASError(f"{where}: {v!r} is not one of stage {i}'s options {list(options)}")
            return next(o for o in options if math.isclose(number, o))

        def stage_list(key: str) -> list[Any]:
            if key not in settings:
                if self.dims[key].searched:
                    raise BigNASError(f"settings: missing {key!r}")
                return [o[0] for o in self.dims[key].options]
            return _per_stage(f"settings.{key}", settings[key], (self.stages, "the space"))

        out: Settings = {}
        for key in PER_STAGE:
            out[key] = [value(key, v, i, f"settings.{key}[{i}]") for i, v in enumerate(stage_list(key))]
        for key in ("kernel_size", "expand_ratio"):
            stages = stage_list(key)
            out[key] = []
            for i, (v, d) in enumerate(zip(stages, out["depth"], strict=True)):
                blocks = v if isinstance(v, list) else [v] * d
                if len(blocks) != d:
                    raise BigNASError(f"settings.{key}[{i}]: {len(blocks)} values for depth {d}")
                out[key].append([value(key, b, i, f"settings.{key}[{i}]") for b in blocks])
        return out

    # -- flat view for evolution ---------------------------------------------------------------------
    def arch_choices(self) -> dict[str, list[Number]]:
        """{label: options} of every searched decision (labels as in the module doc)."""
        choices: dict[str, list[Number]] = {}
        for key in KEYS:
            dim = self.dims[key]
            for i, options in enumerate(dim.options):
                if len(options) < 2:
                    continue
                if dim.strategy == "block_wise":
                    for b in range(int(self.dims["depth"].options[i][-1])):
                        choices[f"{key}.{i}.{b}"] = list(options)
                else:
                    choices[f"{key}.{i}"] = list(options)
        return choices

    def from_arch(self, arch: dict[str, Any]) -> Settings:
        """Settings from a flat {label: value} (labels of arch_choices; blocks past depth ignored)."""

        def pick(dim: Dimension, i: int, block: int | None) -> Any:
            if len(dim.options[i]) < 2:
                return dim.options[i][0]
            label = f"{dim.name}.{i}" if block is None else f"{dim.name}.{i}.{block}"
            if label not in arch:
                raise BigNASError(f"architecture: missing {label!r}")
            value = arch[label]
            if dim.name == "depth" and (isinstance(value, bool) or value not in dim.options[i]):
                # checked here: the depth sets how many block labels are read
                raise BigNASError(f"architecture: {label}: {value!r} is not one of {list(dim.options[i])}")
            return value

        return self.normalize(self._build(pick))

    def to_arch(self, settings: Settings) -> dict[str, Number]:
        """The flat {label: value} of settings; blocks past a stage's depth get the first option, so
        equal networks give equal architectures (evolution's `canonical`)."""
        s = self.normalize(settings)
        arch: dict[str, Number] = {}
        for label, options in self.arch_choices().items():
            key, i, *block = label.split(".")
            v = s[key][int(i)]
            if key not in PER_STAGE:
                b = int(block[0]) if block else 0
                v = v[b] if b < len(v) else options[0]
            arch[label] = v
        return arch
