"""One parameter of a flattened search space (a Dim), the `_type`s NNI defines, and their errors.

For the tuners a space is flattened into Dims: one per parameter, each knowing the choice option
(parent key and index) that makes it active, parents before children.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ..errors import AutolabError

NUMERIC_TYPES = {
    # type: (arity, bounded)
    "randint": (2, True),
    "uniform": (2, True),
    "quniform": (3, True),
    "loguniform": (2, True),
    "qloguniform": (3, True),
    "normal": (2, False),
    "qnormal": (3, False),
    "lognormal": (2, False),
    "qlognormal": (3, False),
}
TYPES = {"choice", *NUMERIC_TYPES}


class SearchSpaceError(AutolabError, ValueError):
    """The search space is invalid; the message names the parameter."""


@dataclass(frozen=True)
class Dim:
    """One parameter of the flattened space."""

    key: str  # unique flat key, e.g. "optimizer" or "model/cnn/kernel"
    name: str  # its name in its own dict
    type: str
    args: tuple[float, ...] = ()  # numeric types: _value as floats
    choices: tuple[Any, ...] = ()  # choice: the option values (a nested branch by its _name)
    parent: str | None = None  # key of the choice Dim whose option activates this one
    parent_index: int | None = None

    @property
    def is_choice(self) -> bool:
        return self.type == "choice"

    @property
    def is_log(self) -> bool:
        return self.type in ("loguniform", "qloguniform", "lognormal", "qlognormal")

    @property
    def is_normal(self) -> bool:
        return self.type in ("normal", "qnormal", "lognormal", "qlognormal")

    @property
    def q(self) -> float | None:
        return self.args[2] if self.type.startswith("q") else None

    @property
    def is_integer(self) -> bool:
        """Values are whole numbers (randint, or q types whose bounds and q are integers)."""
        if self.type == "randint":
            return True
        return self.q is not None and all(float(a).is_integer() for a in self.args)

    @property
    def low(self) -> float:
        """Lower bound in the sampling space (log space for log types); normal: mu - 3 sigma."""
        if self.is_normal:
            return self.args[0] - 3 * self.args[1]
        return math.log(self.args[0]) if self.is_log else self.args[0]

    @property
    def high(self) -> float:
        if self.is_normal:
            return self.args[0] + 3 * self.args[1]
        return math.log(self.args[1]) if self.is_log else self.args[1]

    def from_internal(self, x: float) -> float | int:
        """Map a point of the sampling space (log space for log types) to a parameter value."""
        value = math.exp(x) if self.is_log else x
        if self.type == "randint":
            return int(min(max(math.floor(value), self.args[0]), self.args[1] - 1))
        q = self.q
        if q is not None:
            value = round(value / q) * q
            if not self.is_normal:
                value = min(max(value, self.args[0]), self.args[1])
        elif not self.is_normal:
            value = min(max(value, self.args[0]), self.args[1])
        if self.is_integer:
            return int(round(value))
        return value

    def to_internal(self, value: float) -> float:
        """The sampling-space coordinate of a parameter value (inverse of from_internal)."""
        if self.type == "randint":
            return float(value) + 0.5
        return math.log(max(value, 1e-300)) if self.is_log else float(value)

    def sample(self, rng: random.Random) -> Any:
        """A random value with NNI's distribution (a choice returns the option index)."""
        if self.is_choice:
            return rng.randrange(len(self.choices))
        if self.type == "randint":
            return rng.randrange(int(self.args[0]), int(self.args[1]))
        if self.is_normal:
            x = rng.gauss(self.args[0], self.args[1])
        else:
            x = rng.uniform(self.low, self.high)
        return self.from_internal(x)

    def grid_count(self) -> int | None:
        """How many values grid_values() would list (an upper bound for q types), without listing."""
        if self.is_choice:
            return len(self.choices)
        if self.type == "randint":
            return int(self.args[1] - self.args[0])
        q = self.q
        if q is not None and not self.is_normal:
            return int((self.args[1] - self.args[0]) / q) + 3
        return None

    def grid_values(self) -> list[Any] | None:
        """Every value, when the parameter can be enumerated; None when it cannot."""
        if self.is_choice:
            return list(range(len(self.choices)))
        if self.type == "randint":
            return list(range(int(self.args[0]), int(self.args[1])))
        q = self.q
        if q is not None and not self.is_normal:
            low, high = self.args[0], self.args[1]
            values = {self.from_internal(self.to_internal(low))}
            k = math.ceil(low / q)
            while k * q <= high + 1e-12:
                values.add(self.from_internal(self.to_internal(k * q)))
                k += 1
            values.add(self.from_internal(self.to_internal(high)))
            return sorted(values)
        return None


def freeze(value: Any) -> Any:
    """A hashable, comparable form of a JSON value (so options can be compared and set)."""
    if isinstance(value, bool):  # True == 1 in Python, but not as a choice option
        return ("__bool__", value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False
