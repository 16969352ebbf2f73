"""The search space: parse and validate NNI's dict, flatten it into Dims, sample, enumerate a grid.

A space is a dict {name: {"_type": T, "_value": V}}. A "choice" option may be a dict with a
"_name" key and more parameters inside it: a nested branch whose parameters exist only when that
option is chosen. Parameters are returned in NNI's shape: a chosen branch is {"_name": ..., inner}.
"""

from __future__ import annotations

import copy
import itertools
import math
import random
from collections.abc import Iterator
from typing import Any

import json5

from .dim import NUMERIC_TYPES, TYPES, Dim, SearchSpaceError, finite, freeze


class SearchSpace:
    """A validated search space."""

    def __init__(self, space: dict[str, Any], source: str = "search space") -> None:
        self.raw = space
        self.source = source
        self.dims: list[Dim] = []
        if not isinstance(space, dict):
            raise SearchSpaceError(
                f"{source}: must be a JSON object of parameters, got {type(space).__name__}"
            )
        self._parse(space, prefix="", parent=None, parent_index=None)
        self.by_key = {d.key: d for d in self.dims}

    def __eq__(self, other: object) -> bool:
        # a value: two spaces are equal when they say the same (configs compare by value)
        return isinstance(other, SearchSpace) and self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]  # mutable raw: not hashable

    # -- parsing ---------------------------------------------------------------------------
    def _parse(
        self, space: dict[str, Any], prefix: str, parent: str | None, parent_index: int | None
    ) -> None:
        for name, spec in space.items():
            if name == "_name" and parent is not None:
                continue
            key = f"{prefix}{name}"
            where = f"{self.source}: parameter '{key}'"
            if not isinstance(name, str) or not name or name == "_name":
                raise SearchSpaceError(
                    f"{where}: a parameter name must be a non-empty string "
                    "('_name' only names a nested option)"
                )
            if any(d.key == key for d in self.dims):
                raise SearchSpaceError(
                    f"{where}: defined twice (a '/' in a name can collide with a nested one)"
                )
            if not isinstance(spec, dict) or "_type" not in spec or "_value" not in spec:
                raise SearchSpaceError(f'{where}: expected {{"_type": ..., "_value": [...]}}, got {spec!r}')
            extra = set(spec) - {"_type", "_value"}
            if extra:
                raise SearchSpaceError(f"{where}: unknown key(s) {sorted(extra)}")
            kind, value = spec["_type"], spec["_value"]
            if kind not in TYPES:
                raise SearchSpaceError(f"{where}: unknown _type {kind!r} (known: {', '.join(sorted(TYPES))})")
            if not isinstance(value, list):
                raise SearchSpaceError(f"{where}: _value must be a list, got {value!r}")
            if kind == "choice":
                self._parse_choice(key, name, value, where, parent, parent_index)
            else:
                self.dims.append(
                    Dim(key, name, kind, self._numeric_args(kind, value, where), (), parent, parent_index)
                )

    def _parse_choice(
        self,
        key: str,
        name: str,
        options: list[Any],
        where: str,
        parent: str | None,
        parent_index: int | None,
    ) -> None:
        if not options:
            raise SearchSpaceError(f"{where}: choice has an empty _value")
        shown: list[Any] = []
        branch_names: set[str] = set()
        for option in options:
            if isinstance(option, dict) and "_name" in option:
                branch = option["_name"]
                if not isinstance(branch, str) or not branch:
                    raise SearchSpaceError(
                        f"{where}: a nested option's _name must be a non-empty string, got {branch!r}"
                    )
                if branch in branch_names:
                    raise SearchSpaceError(f"{where}: two nested options are named {branch!r}")
                branch_names.add(branch)
            elif isinstance(option, dict) and any(_is_spec(v) for v in option.values()):
                # NNI takes a dict option as a nested space only with a '_name'; without one it
                # is a literal value (BatchTuner's combine_params are such dicts), so the trial
                # would get these {"_type", "_value"} specs themselves, never sampled values
                inner = sorted(k for k, v in option.items() if _is_spec(v))
                raise SearchSpaceError(
                    f"{where}: option {option!r} holds parameters {inner} but no '_name': "
                    'a nested option needs one, e.g. {"_name": "...", ...}'
                )
            shown.append(option)
        self.dims.append(Dim(key, name, "choice", (), tuple(freeze(o) for o in shown), parent, parent_index))
        for index, option in enumerate(options):
            if isinstance(option, dict) and "_name" in option:
                self._parse(option, prefix=f"{key}/{option['_name']}/", parent=key, parent_index=index)

    @staticmethod
    def _numeric_args(kind: str, value: list[Any], where: str) -> tuple[float, ...]:
        arity, bounded = NUMERIC_TYPES[kind]
        if len(value) != arity:
            raise SearchSpaceError(
                f"{where}: {kind} takes {arity} numbers in _value, got {len(value)}: {value!r}"
            )
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SearchSpaceError(f"{where}: {kind} _value must hold finite numbers, got {value!r}")
        args = tuple(float(v) for v in value)
        if bounded:
            low, high = args[0], args[1]
            if low >= high:
                raise SearchSpaceError(f"{where}: {kind} needs low < high, got {value!r}")
            if kind in ("loguniform", "qloguniform") and low <= 0:
                raise SearchSpaceError(f"{where}: {kind} needs low > 0, got {value!r}")
            if kind == "randint" and not (low.is_integer() and high.is_integer()):
                raise SearchSpaceError(f"{where}: randint bounds must be integers, got {value!r}")
        elif args[1] <= 0:
            raise SearchSpaceError(f"{where}: {kind} needs sigma > 0, got {value!r}")
        if arity == 3 and args[2] <= 0:
            raise SearchSpaceError(f"{where}: {kind} needs q > 0, got {value!r}")
        # samplers and tuners work on the width of the range (normal: mu +- 3 sigma): one beyond
        # a float's range (uniform [-1e308, 1e308]) would only ever give the upper bound
        dim = Dim("", "", kind, args)
        width = dim.high - dim.low
        if not math.isfinite(width) or (dim.q is not None and not math.isfinite(width / dim.q)):
            raise SearchSpaceError(
                f"{where}: {kind} range {value!r} is too wide for a float (its width overflows)"
            )
        return args

    # -- flat assignments <-> NNI parameters --------------------------------------------------
    def is_active(self, dim: Dim, flat: dict[str, Any]) -> bool:
        """Whether dim is present under the choices made in flat (choice values are indices)."""
        while dim.parent is not None:
            if flat.get(dim.parent) != dim.parent_index:
                return False
            dim = self.by_key[dim.parent]
        return True

    def to_parameters(self, flat: dict[str, Any]) -> dict[str, Any]:
        """NNI-shaped parameters from a flat assignment {key: value, choice key: option index}."""
        return self._build(self.raw, "", flat)

    def _build(self, space: dict[str, Any], prefix: str, flat: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in space.items():
            if name == "_name":
                continue
            key = f"{prefix}{name}"
            dim = self.by_key[key]
            if dim.is_choice:
                option = spec["_value"][flat[key]]
                if isinstance(option, dict) and "_name" in option:
                    inner = self._build(option, f"{key}/{option['_name']}/", flat)
                    out[name] = {"_name": option["_name"], **inner}
                else:
                    out[name] = copy.deepcopy(option)
            else:
                out[name] = flat[key]
        return out

    def to_flat(self, params: dict[str, Any]) -> dict[str, Any]:
        """The flat assignment of NNI-shaped parameters (inverse of to_parameters).

        Raises SearchSpaceError when a value is not in the space (e.g. history from another space).
        """
        flat: dict[str, Any] = {}
        self._flatten(self.raw, "", params, flat)
        return flat

    def _flatten(
        self, space: dict[str, Any], prefix: str, params: dict[str, Any], flat: dict[str, Any]
    ) -> None:
        for name, spec in space.items():
            if name == "_name":
                continue
            key = f"{prefix}{name}"
            if name not in params:
                raise SearchSpaceError(f"{self.source}: parameters {params!r} lack '{key}'")
            value = params[name]
            dim = self.by_key[key]
            if not dim.is_choice:
                flat[key] = self._check_number(dim, value)
                continue
            for index, option in enumerate(spec["_value"]):
                if isinstance(option, dict) and "_name" in option:
                    if isinstance(value, dict) and value.get("_name") == option["_name"]:
                        flat[key] = index
                        self._flatten(option, f"{key}/{option['_name']}/", value, flat)
                        break
                elif freeze(option) == freeze(value):
                    flat[key] = index
                    break
            else:
                raise SearchSpaceError(f"{self.source}: {value!r} is not an option of '{key}'")

    def _check_number(self, dim: Dim, value: Any) -> float | int:
        where = f"{self.source}: parameter '{dim.key}'"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not finite(value):
            raise SearchSpaceError(f"{where}: {value!r} is not a finite number")
        if dim.type == "randint":
            if not float(value).is_integer() or not dim.args[0] <= value < dim.args[1]:
                raise SearchSpaceError(
                    f"{where}: {value!r} is not an integer in [{dim.args[0]:g}, {dim.args[1]:g})"
                )
        elif not dim.is_normal and not dim.args[0] <= value <= dim.args[1]:
            raise SearchSpaceError(f"{where}: {value!r} is outside [{dim.args[0]:g}, {dim.args[1]:g}]")
        return value

    # -- sampling and enumeration --------------------------------------------------------------
    def sample_flat(self, rng: random.Random) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        for dim in self.dims:  # parents come before children
            if self.is_active(dim, flat):
                flat[dim.key] = dim.sample(rng)
        return flat

    def sample(self, rng: random.Random) -> dict[str, Any]:
        """Random parameters with NNI's distributions."""
        return self.to_parameters(self.sample_flat(rng))

    def grid(self, continuous: dict[str, list[Any]] | None = None) -> Iterator[dict[str, Any]]:
        """Every combination (flat assignments), nested branches expanded only when chosen.

        continuous gives the values to use for parameters that cannot be enumerated; without it,
        such a parameter raises SearchSpaceError naming it.
        """
        continuous = continuous or {}
        for dim in self.dims:
            if dim.grid_values() is None and dim.key not in continuous:
                raise SearchSpaceError(
                    f"{self.source}: parameter '{dim.key}' ({dim.type}) cannot be enumerated by grid search; "
                    "use choice, randint, quniform or qloguniform"
                )
        yield from self._grid_level(None, None, continuous)

    def _grid_level(
        self, parent: str | None, parent_index: int | None, continuous: dict[str, list[Any]]
    ) -> Iterator[dict[str, Any]]:
        level = [d for d in self.dims if d.parent == parent and d.parent_index == parent_index]
        per_dim: list[list[dict[str, Any]]] = []
        for dim in level:
            options: list[dict[str, Any]] = []
            values = dim.grid_values()
            for value in values if values is not None else continuous[dim.key]:
                if dim.is_choice:
                    options.extend(
                        {dim.key: value, **sub} for sub in self._grid_level(dim.key, value, continuous)
                    )
                else:
                    options.append({dim.key: value})
            per_dim.append(options)
        for combo in itertools.product(*per_dim):
            merged: dict[str, Any] = {}
            for part in combo:
                merged.update(part)
            yield merged

    def grid_bound(self) -> float:
        """An upper bound of the number of grid points (inf when a parameter is continuous)."""
        total = 1.0
        for dim in self.dims:
            count = dim.grid_count()
            if count is None:
                return math.inf
            total *= max(count, 1)
        return total

    def grid_size(self) -> int:
        return sum(1 for _ in self.grid())


def parse(space: dict[str, Any], source: str = "search space") -> SearchSpace:
    return SearchSpace(space, source)


def load(path: str) -> SearchSpace:
    """Read a search_space.json (json5: comments and trailing commas allowed) and validate it."""
    return SearchSpace(read_file(path), source=str(path))


def read_file(path: str) -> Any:
    """A search_space.json as written (json5), not validated; SearchSpaceError naming the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json5.load(fh, allow_duplicate_keys=False)  # a parameter given twice: which one is meant?
    except OSError as exc:
        raise SearchSpaceError(f"{path}: cannot read search space: {exc.strerror}") from None
    except ValueError as exc:
        raise SearchSpaceError(f"{path}: not valid JSON: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise SearchSpaceError(f"{path}: not valid JSON: lists or objects nested too deeply") from None
    return raw


def _is_spec(value: Any) -> bool:
    return isinstance(value, dict) and "_type" in value and "_value" in value
