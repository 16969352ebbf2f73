"""autolab.utils.merge_parameter, as NNI trial scripts use it with argparse or a dict."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from autolab.utils import merge_parameter


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--cuda", action="store_true")
    return parser.parse_args(argv or [])


def test_namespace_is_updated_in_place() -> None:
    args = parse_args()
    merged = merge_parameter(args, {"lr": 0.1, "optimizer": "adam"})
    assert merged is args
    assert (args.lr, args.optimizer, args.batch_size) == (0.1, "adam", 64)


def test_dict_is_updated_in_place() -> None:
    base: dict[str, Any] = {"lr": 0.01, "layers": 2}
    merged = merge_parameter(base, {"layers": 4})
    assert merged is base and base == {"lr": 0.01, "layers": 4}


def test_empty_and_none_override_leave_base_alone() -> None:
    args = parse_args()
    assert vars(merge_parameter(args, {})) == vars(parse_args())
    assert merge_parameter({"a": 1}, None) == {"a": 1}  # type: ignore[arg-type]


@pytest.mark.parametrize("base", [parse_args(), {"lr": 0.01}])
def test_unknown_key_raises_naming_it(base: Any) -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        merge_parameter(base, {"learning_rate": 0.1})


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("batch_size", 128.0, 128),  # quniform may give 128.0 for an int argument
        ("batch_size", "32", 32),
        ("lr", 1, 1.0),
        ("lr", "0.5", 0.5),
        ("optimizer", 3, "3"),
        ("seed", 7, 7),  # base None: value taken as it is
        ("seed", "x", "x"),
        ("lr", None, None),
        ("cuda", True, True),
    ],
)
def test_values_take_the_type_of_the_base_value(key: str, value: Any, expected: Any) -> None:
    args = merge_parameter(parse_args(), {key: value})
    got = getattr(args, key)
    assert got == expected and type(got) is type(expected)
    as_dict = merge_parameter(vars(parse_args()), {key: value})
    assert as_dict[key] == expected and type(as_dict[key]) is type(expected)


def test_unconvertible_value_raises_naming_key_and_type() -> None:
    with pytest.raises(ValueError) as err:
        merge_parameter(parse_args(), {"batch_size": "large"})
    assert "batch_size" in str(err.value) and "int" in str(err.value)


def test_lossy_float_to_int_conversion_is_not_silent() -> None:
    base = {"weight_decay": 0, "epochs": 10}
    try:
        merge_parameter(base, {"weight_decay": 0.001})
    except ValueError as exc:
        assert "weight_decay" in str(exc)
    else:
        assert base["weight_decay"] == 0.001


def test_string_false_does_not_become_true() -> None:
    base = {"shuffle": True}
    try:
        merge_parameter(base, {"shuffle": "False"})
    except ValueError:
        return
    assert base["shuffle"] is False


@pytest.mark.parametrize(
    ("base", "value"),
    [({"epochs": 10}, True), ({"shuffle": True}, 1), ({"lr": 0.1}, False), ({"layers": [1]}, "1")],
)
def test_a_type_mismatch_nni_refuses_raises_type_error_as_nni(base: dict[str, Any], value: Any) -> None:
    key = next(iter(base))
    with pytest.raises(TypeError, match=key):  # NNI raises TypeError; MergeError is one (and a ValueError)
        merge_parameter(base, {key: value})


def test_nni_names_in_utils() -> None:
    from autolab.utils import (
        ClassArgsValidator,
        MetricType,
        OptimizeMode,
        convert_dict2tuple,
        extract_scalar_history,
        json2space,
        split_index,
    )

    assert OptimizeMode("maximize") is OptimizeMode.Maximize and OptimizeMode.Minimize.value == "minimize"
    with pytest.raises(ValueError):
        OptimizeMode("max")
    assert (MetricType.FINAL, MetricType.PERIODICAL) == ("FINAL", "PERIODICAL")
    assert extract_scalar_history([1, {"default": 2.5}]) == [1.0, 2.5]
    assert split_index({"a": {"_index": 1, "_value": {"b": {"_index": 0, "_value": 3}}}, "c": 4}) == {
        "a": {"b": 3},
        "c": 4,
    }
    assert convert_dict2tuple({"b": {"y": 1, "x": 2}, "a": 0}) == (("a", 0), ("b", (("x", 2), ("y", 1))))
    space = {
        "lr": {"_type": "uniform", "_value": [0, 1]},
        "opt": {
            "_type": "choice",
            "_value": [{"_name": "sgd", "m": {"_type": "uniform", "_value": [0, 1]}}, "adam"],
        },
    }
    assert json2space(space) == ["root[lr]-uniform", "root[opt]-choice[0][m]-uniform", "root[opt]-choice"]
    chosen = {"lr": 0.5, "opt": {"_index": 0, "_value": {"_name": "sgd", "m": 0.3}}}
    assert json2space(space, chosen) == [
        "root[lr]-uniform",
        "root[opt]-choice[0][m]-uniform",
        "root[opt]-choice",
    ]
    with pytest.raises(RuntimeError, match="_name"):
        json2space([{"x": 1}])

    class Validator(ClassArgsValidator):
        def validate_class_args(self, **kwargs: Any) -> None:
            assert self.choices("optimize_mode", "maximize", "minimize")(kwargs["optimize_mode"])
            self.range("population", int, 1, 99).validate(kwargs["population"])

    Validator().validate_class_args(optimize_mode="maximize", population=10)
    with pytest.raises(ValueError, match="population"):
        Validator().validate_class_args(optimize_mode="maximize", population=100)
    assert ClassArgsValidator().validate_class_args(anything=1) is None
