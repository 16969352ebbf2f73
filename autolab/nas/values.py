"""ValueChoice: a choice of a value (a width, a kernel size...), and arithmetic on it.

`ValueChoice([16, 32], label="w") * 4` is a DerivedValueChoice: the same decision, mapped values.
Inside fixed_arch, ValueChoice(...) is the chosen value itself, so the arithmetic is plain.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Sequence
from typing import Any

import torch

from .mutables import NasError, _check_label, current_fixed, fixed_decision


class ValueChoice:
    """Choose one of several values (a width, a kernel size...).

    Pass it to the mutable layers (MutableConv2d, MutableLinear, MutableBatchNorm2d), or keep it as
    an attribute of your module and read `.current` in forward. Inside fixed_arch, ValueChoice(...)
    returns the chosen value itself, so the same model code builds plain layers.
    """

    def __new__(cls, values: Sequence[Any] | None = None, label: str | None = None) -> Any:
        fixed = current_fixed()
        if fixed is None or values is None:
            return super().__new__(cls)
        return fixed_decision(fixed, _check_label(label, "valuechoice"), _check_values(values))

    def __init__(self, values: Sequence[Any], label: str | None = None) -> None:
        self.values = _check_values(values)
        self.label = _check_label(label, "valuechoice")
        self.sampled: Any = self.values[0]
        self.arch_weights: torch.Tensor | None = None

    def choices(self) -> list[Any]:
        return list(self.values)

    def arch_size(self) -> int:
        return len(self.values)

    def set_arch_weights(self, weights: torch.Tensor | None) -> None:
        self.arch_weights = weights

    @property
    def current(self) -> Any:
        """The sampled value (under DARTS: the value with the largest weight)."""
        if self.arch_weights is not None:
            return self.values[int(torch.argmax(self.arch_weights))]
        return self.sampled

    @property
    def max(self) -> Any:
        return max(self.values)

    def probs(self) -> torch.Tensor | None:
        return None if self.arch_weights is None else torch.softmax(self.arch_weights, dim=-1)

    @property
    def root(self) -> ValueChoice:
        """The ValueChoice holding the decision (itself; for a derived one, the one it came from)."""
        return self

    def value_of(self, decision: Any) -> Any:
        """This choice's value when its label's decision is `decision`."""
        return decision

    def _derive(self, op: str, operand: Any, reverse: bool = False) -> DerivedValueChoice:
        if isinstance(operand, ValueChoice):
            raise NasError(
                f"ValueChoice arithmetic combines a choice with numbers; {self.label!r} {op} "
                f"{operand.label!r} is not supported (derive both from one choice)"
            )
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise NasError(f"ValueChoice {self.label!r}: cannot apply {op} with {operand!r}")
        return DerivedValueChoice(self, [(op, operand, reverse)])

    def __add__(self, other: Any) -> DerivedValueChoice:
        return self._derive("add", other)

    def __radd__(self, other: Any) -> DerivedValueChoice:
        return self._derive("add", other, True)

    def __sub__(self, other: Any) -> DerivedValueChoice:
        return self._derive("sub", other)

    def __rsub__(self, other: Any) -> DerivedValueChoice:
        return self._derive("sub", other, True)

    def __mul__(self, other: Any) -> DerivedValueChoice:
        return self._derive("mul", other)

    def __rmul__(self, other: Any) -> DerivedValueChoice:
        return self._derive("mul", other, True)

    def __floordiv__(self, other: Any) -> DerivedValueChoice:
        return self._derive("floordiv", other)

    def __rfloordiv__(self, other: Any) -> DerivedValueChoice:
        return self._derive("floordiv", other, True)

    def __truediv__(self, other: Any) -> DerivedValueChoice:
        return self._derive("truediv", other)

    def __mod__(self, other: Any) -> DerivedValueChoice:
        return self._derive("mod", other)

    def __neg__(self) -> DerivedValueChoice:
        return self._derive("mul", -1)

    def __repr__(self) -> str:
        return f"ValueChoice({self.values!r}, label={self.label!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> ValueChoice:
        # Layers that share one ValueChoice must keep sharing it in a copy.
        new = object.__new__(ValueChoice)
        memo[id(self)] = new
        new.values, new.label, new.sampled = list(self.values), self.label, self.sampled
        new.arch_weights = self.arch_weights
        return new


class DerivedValueChoice(ValueChoice):
    """`ValueChoice([16, 32], label="w") * 4`: the same decision ("w"), the values mapped (64, 128).

    Not a choice of its own: the search space, the architecture and DARTS's weights are those of
    the choice it came from (`root`); the mutable layers read its mapped values."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    def __init__(self, base: ValueChoice, ops: list[tuple[str, Any, bool]]) -> None:
        self.base = base.root
        self.ops = list(getattr(base, "ops", [])) + ops
        self.label = self.base.label
        self.values = [self.value_of(v) for v in self.base.values]

    def value_of(self, decision: Any) -> Any:
        value = decision
        for op, operand, reverse in self.ops:
            fn = getattr(operator, op)
            value = fn(operand, value) if reverse else fn(value, operand)
        return value

    @property
    def root(self) -> ValueChoice:
        return self.base

    @property
    def sampled(self) -> Any:
        return self.value_of(self.base.sampled)

    @sampled.setter
    def sampled(self, value: Any) -> None:
        raise NasError(f"a derived ValueChoice follows {self.label!r}: set the decision on that choice")

    @property
    def arch_weights(self) -> torch.Tensor | None:
        return self.base.arch_weights

    @arch_weights.setter
    def arch_weights(self, weights: torch.Tensor | None) -> None:
        self.base.set_arch_weights(weights)

    def set_arch_weights(self, weights: torch.Tensor | None) -> None:
        self.base.set_arch_weights(weights)

    def __repr__(self) -> str:
        return f"DerivedValueChoice({self.values!r}, label={self.label!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> DerivedValueChoice:
        base = copy.deepcopy(self.base, memo)
        new = DerivedValueChoice(base, [])
        new.ops, new.values = list(self.ops), list(self.values)
        memo[id(self)] = new
        return new


def _check_values(values: Sequence[Any]) -> list[Any]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise NasError(f"ValueChoice values must be a non-empty list, got {values!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise NasError(f"ValueChoice values must be numbers or strings, got {v!r}")
    if len(set(values)) != len(values):
        raise NasError(f"ValueChoice values repeat: {list(values)!r}")
    return list(values)
