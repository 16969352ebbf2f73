"""Search space: nested choice, flat <-> NNI shape, loading files, and errors naming the parameter
(distributions: test_distributions.py)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from autolab import searchspace
from autolab.searchspace import SearchSpace, SearchSpaceError

# -- nested choice --------------------------------------------------------------------------------

NESTED = {
    "layer0": {
        "_type": "choice",
        "_value": [
            {"_name": "Empty"},
            {"_name": "Conv", "kernel_size": {"_type": "choice", "_value": [1, 2, 3, 5]}},
            {"_name": "Max_pool", "pooling_size": {"_type": "choice", "_value": [2, 3, 5]}},
            {
                "_name": "Avg_pool",
                "pooling_size": {"_type": "choice", "_value": [2, 3, 5]},
                "stride": {"_type": "randint", "_value": [1, 3]},
            },
        ],
    },
    "optimizer": {
        "_type": "choice",
        "_value": [
            "plain",
            {
                "_name": "sgd",
                "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
                "momentum": {
                    "_type": "choice",
                    "_value": [
                        {"_name": "none"},
                        {"_name": "nesterov", "beta": {"_type": "uniform", "_value": [0.5, 0.99]}},
                    ],
                },
            },
        ],
    },
    "batch": {"_type": "quniform", "_value": [16, 128, 16]},
}
BRANCH_KEYS = {
    "Empty": set(),
    "Conv": {"kernel_size"},
    "Max_pool": {"pooling_size"},
    "Avg_pool": {"pooling_size", "stride"},
}


def test_nested_dims_know_their_parent_and_come_after_it() -> None:
    space = SearchSpace(NESTED)
    keys = [d.key for d in space.dims]
    assert set(keys) == {
        "layer0",
        "layer0/Conv/kernel_size",
        "layer0/Max_pool/pooling_size",
        "layer0/Avg_pool/pooling_size",
        "layer0/Avg_pool/stride",
        "optimizer",
        "optimizer/sgd/lr",
        "optimizer/sgd/momentum",
        "optimizer/sgd/momentum/nesterov/beta",
        "batch",
    }
    for i, dim in enumerate(space.dims):
        if dim.parent is not None:
            assert keys.index(dim.parent) < i
    conv = space.by_key["layer0/Conv/kernel_size"]
    assert (conv.parent, conv.parent_index, conv.name) == ("layer0", 1, "kernel_size")
    beta = space.by_key["optimizer/sgd/momentum/nesterov/beta"]
    assert (beta.parent, beta.parent_index) == ("optimizer/sgd/momentum", 1)


def test_nested_sample_has_only_the_chosen_branch_with_its_name() -> None:
    space = SearchSpace(NESTED)
    rng = random.Random(1)
    names = Counter()
    momenta = Counter()
    for _ in range(600):
        params = space.sample(rng)
        assert set(params) == {"layer0", "optimizer", "batch"}
        layer = params["layer0"]
        names[layer["_name"]] += 1
        assert set(layer) - {"_name"} == BRANCH_KEYS[layer["_name"]]
        if layer["_name"] == "Conv":
            assert layer["kernel_size"] in (1, 2, 3, 5)
        if layer["_name"] == "Avg_pool":
            assert layer["stride"] in (1, 2)
        opt = params["optimizer"]
        if opt == "plain":
            continue
        assert set(opt) == {"_name", "lr", "momentum"} and opt["_name"] == "sgd"
        assert 1e-4 <= opt["lr"] <= 1e-1
        momenta[opt["momentum"]["_name"]] += 1
        if opt["momentum"]["_name"] == "none":
            assert opt["momentum"] == {"_name": "none"}
        else:
            assert set(opt["momentum"]) == {"_name", "beta"} and 0.5 <= opt["momentum"]["beta"] <= 0.99
    assert set(names) == set(BRANCH_KEYS) and min(names.values()) > 100
    assert set(momenta) == {"none", "nesterov"}


def test_flat_round_trip_on_samples() -> None:
    space = SearchSpace(NESTED)
    rng = random.Random(2)
    for _ in range(300):
        flat = space.sample_flat(rng)
        params = space.to_parameters(flat)
        assert space.to_flat(params) == flat
        assert space.to_parameters(space.to_flat(params)) == params
        # exactly the active dims are in the flat assignment
        assert set(flat) == {d.key for d in space.dims if space.is_active(d, flat)}
        json.dumps(params)  # NNI shape is plain JSON


def test_to_flat_indexes_choices_and_keeps_numbers() -> None:
    space = SearchSpace(NESTED)
    params = {
        "layer0": {"_name": "Avg_pool", "pooling_size": 5, "stride": 2},
        "optimizer": {"_name": "sgd", "lr": 0.01, "momentum": {"_name": "none"}},
        "batch": 32,
    }
    assert space.to_flat(params) == {
        "layer0": 3,
        "layer0/Avg_pool/pooling_size": 2,
        "layer0/Avg_pool/stride": 2,
        "optimizer": 1,
        "optimizer/sgd/lr": 0.01,
        "optimizer/sgd/momentum": 0,
        "batch": 32,
    }


def test_to_flat_rejects_parameters_from_another_space() -> None:
    space = SearchSpace(NESTED)
    good = {"layer0": {"_name": "Empty"}, "optimizer": "plain", "batch": 32}
    assert space.to_flat(good)["layer0"] == 0
    with pytest.raises(SearchSpaceError, match="layer0"):
        space.to_flat({**good, "layer0": {"_name": "Dense"}})
    with pytest.raises(SearchSpaceError, match="optimizer"):
        space.to_flat({**good, "optimizer": "adam"})
    with pytest.raises(SearchSpaceError, match="batch"):
        space.to_flat({"layer0": {"_name": "Empty"}, "optimizer": "plain"})
    with pytest.raises(SearchSpaceError, match="kernel_size"):
        space.to_flat({**good, "layer0": {"_name": "Conv"}})


@pytest.mark.parametrize("value", ["abc", 1000, -5, None])
def test_to_flat_rejects_numbers_outside_the_space(value: Any) -> None:
    space = SearchSpace({"batch": {"_type": "quniform", "_value": [16, 128, 16]}})
    with pytest.raises(SearchSpaceError, match="batch"):
        space.to_flat({"batch": value})


def test_grid_of_nested_space_expands_branches_only_when_chosen() -> None:
    space = SearchSpace({k: v for k, v in NESTED.items() if k != "optimizer"})
    flats = list(space.grid())
    batches = 8  # 16, 32, ..., 128
    assert len(flats) == (1 + 4 + 3 + 3 * 2) * batches == space.grid_size()
    params = [space.to_parameters(f) for f in flats]
    assert len({json.dumps(p, sort_keys=True) for p in params}) == len(params)
    for p in params:
        assert set(p["layer0"]) - {"_name"} == BRANCH_KEYS[p["layer0"]["_name"]]


def test_grid_with_values_for_continuous_parameters() -> None:
    space = SearchSpace(
        {"lr": {"_type": "uniform", "_value": [0, 1]}, "n": {"_type": "randint", "_value": [0, 2]}}
    )
    flats = list(space.grid({"lr": [0.25, 0.75]}))
    assert sorted((f["lr"], f["n"]) for f in flats) == [(0.25, 0), (0.25, 1), (0.75, 0), (0.75, 1)]


# -- invalid spaces -------------------------------------------------------------------------------

INVALID = [
    ("unknown type", {"_type": "uniformm", "_value": [0, 1]}, "uniformm"),
    ("uniform low == high", {"_type": "uniform", "_value": [1, 1]}, "low < high"),
    ("uniform low > high", {"_type": "uniform", "_value": [2, 1]}, "low < high"),
    ("randint low >= high", {"_type": "randint", "_value": [5, 5]}, "low < high"),
    ("quniform low > high", {"_type": "quniform", "_value": [5, 1, 1]}, "low < high"),
    ("loguniform low 0", {"_type": "loguniform", "_value": [0, 1]}, "low > 0"),
    ("loguniform low < 0", {"_type": "loguniform", "_value": [-1, 1]}, "low > 0"),
    ("qloguniform low 0", {"_type": "qloguniform", "_value": [0, 10, 1]}, "low > 0"),
    ("loguniform low > high", {"_type": "loguniform", "_value": [1, 0.1]}, "low < high"),
    ("uniform arity 1", {"_type": "uniform", "_value": [1]}, "takes 2"),
    ("uniform arity 3", {"_type": "uniform", "_value": [0, 1, 2]}, "takes 2"),
    ("quniform arity 2", {"_type": "quniform", "_value": [0, 1]}, "takes 3"),
    ("randint arity 3", {"_type": "randint", "_value": [0, 1, 2]}, "takes 2"),
    ("normal arity 3", {"_type": "normal", "_value": [0, 1, 2]}, "takes 2"),
    ("qlognormal arity 2", {"_type": "qlognormal", "_value": [0, 1]}, "takes 3"),
    ("empty choice", {"_type": "choice", "_value": []}, "empty"),
    ("string _value", {"_type": "choice", "_value": "abc"}, "list"),
    ("number _value", {"_type": "uniform", "_value": 5}, "list"),
    ("dict _value", {"_type": "uniform", "_value": {"low": 0, "high": 1}}, "list"),
    ("normal sigma 0", {"_type": "normal", "_value": [0, 0]}, "sigma"),
    ("lognormal sigma < 0", {"_type": "lognormal", "_value": [0, -1]}, "sigma"),
    ("qnormal sigma 0", {"_type": "qnormal", "_value": [0, 0, 1]}, "sigma"),
    ("quniform q 0", {"_type": "quniform", "_value": [0, 1, 0]}, "q > 0"),
    ("qloguniform q < 0", {"_type": "qloguniform", "_value": [1, 10, -1]}, "q > 0"),
    ("qnormal q 0", {"_type": "qnormal", "_value": [0, 1, 0]}, "q > 0"),
    ("string bound", {"_type": "uniform", "_value": ["0", 1]}, "numbers"),
    ("bool bound", {"_type": "uniform", "_value": [False, 1]}, "numbers"),
    ("nan bound", {"_type": "uniform", "_value": [float("nan"), 1]}, "numbers"),
    ("inf bound", {"_type": "uniform", "_value": [0, float("inf")]}, "numbers"),
    ("randint float bounds", {"_type": "randint", "_value": [0.5, 3]}, "integer"),
    # issue 14: a width beyond a float's range always sampled the upper bound
    ("uniform width overflows", {"_type": "uniform", "_value": [-1e308, 1e308]}, "too wide"),
    ("quniform width overflows", {"_type": "quniform", "_value": [-1e308, 1e308, 1]}, "too wide"),
    ("quniform width / q overflows", {"_type": "quniform", "_value": [0, 1e308, 1e-10]}, "too wide"),
    ("randint width overflows", {"_type": "randint", "_value": [-1e308, 1e308]}, "too wide"),
    ("normal 3 sigma overflows", {"_type": "normal", "_value": [0, 1e308]}, "too wide"),
    (
        "nested option without _name",
        {"_type": "choice", "_value": [{"_name": "a"}, {"kernel": {"_type": "choice", "_value": [3, 5]}}]},
        "no '_name'",
    ),
    ("missing _value", {"_type": "uniform"}, "_type"),
    ("missing _type", {"_value": [0, 1]}, "_type"),
    ("extra key", {"_type": "uniform", "_value": [0, 1], "_valu": 1}, "_valu"),
    ("not a dict", [0, 1], "_type"),
    ("bare number", 0.1, "_type"),
]


@pytest.mark.parametrize(("spec", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_parameter_names_the_parameter(spec: Any, fragment: str) -> None:
    with pytest.raises(SearchSpaceError) as err:
        SearchSpace({"ok": {"_type": "choice", "_value": [1]}, "learning_rate": spec}, source="space.json")
    message = str(err.value)
    assert "'learning_rate'" in message
    assert "space.json" in message
    assert fragment in message
    assert "\n" not in message


def test_invalid_nested_parameter_names_its_full_key() -> None:
    space = {
        "model": {
            "_type": "choice",
            "_value": [
                {"_name": "cnn", "kernel": {"_type": "randint", "_value": [3, 3]}},
            ],
        }
    }
    with pytest.raises(SearchSpaceError, match="'model/cnn/kernel'"):
        SearchSpace(space)


def test_duplicate_nested_names_are_rejected() -> None:
    space = {"model": {"_type": "choice", "_value": [{"_name": "a"}, {"_name": "a"}]}}
    with pytest.raises(SearchSpaceError, match="'model'"):
        SearchSpace(space)


@pytest.mark.parametrize("raw", [[{"_type": "choice", "_value": [1]}], "lr", None, 3])
def test_space_must_be_an_object(raw: Any) -> None:
    with pytest.raises(SearchSpaceError, match="must be a JSON object"):
        SearchSpace(raw, source="ss.json")


def test_empty_space_is_valid() -> None:
    space = SearchSpace({})
    assert space.dims == []
    assert space.sample(random.Random(0)) == {}


# -- files ----------------------------------------------------------------------------------------


def test_load_json5_with_comments_and_trailing_commas(tmp_path: Path) -> None:
    path = tmp_path / "search_space.json"
    path.write_text(
        """
        // NNI users comment their spaces
        {
          "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},  /* learning rate */
          "hidden": {"_type": "choice", "_value": [64, 128, 256,]},
        }
        """,
        encoding="utf-8",
    )
    space = searchspace.load(str(path))
    assert [d.key for d in space.dims] == ["lr", "hidden"]
    assert space.by_key["hidden"].choices == (64, 128, 256)
    assert str(path) in space.source


def test_load_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "search_space.json"
    with pytest.raises(SearchSpaceError) as err:
        searchspace.load(str(path))
    assert str(path) in str(err.value)


def test_load_bad_json_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "search_space.json"
    path.write_text('{"lr": {"_type": "uniform", "_value": [0, 1]', encoding="utf-8")
    with pytest.raises(SearchSpaceError) as err:
        searchspace.load(str(path))
    assert str(path) in str(err.value)
    assert "JSON" in str(err.value)


def test_a_parameter_given_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "search_space.json"
    path.write_text(
        '{"x": {"_type": "uniform", "_value": [0, 1]}, "x": {"_type": "choice", "_value": ["a"]}}'
    )
    with pytest.raises(SearchSpaceError, match=r'search_space.json: not valid JSON: Duplicate key "x"'):
        searchspace.load(str(path))


def test_load_invalid_parameter_names_file_and_parameter(tmp_path: Path) -> None:
    path = tmp_path / "search_space.json"
    path.write_text('{"dropout": {"_type": "uniform", "_value": [0.5, 0.1]}}', encoding="utf-8")
    with pytest.raises(SearchSpaceError) as err:
        searchspace.load(str(path))
    assert str(path) in str(err.value) and "'dropout'" in str(err.value)


def test_parameters_do_not_share_objects_with_the_space() -> None:
    raw = {
        "layers": {"_type": "choice", "_value": [[64, 64], [128]]},
        "cfg": {"_type": "choice", "_value": [{"act": "relu"}]},
    }
    space = SearchSpace(raw)
    params = space.to_parameters({"layers": 0, "cfg": 0})
    params["layers"].append(1)
    params["cfg"]["act"] = "tanh"
    assert space.raw["layers"]["_value"][0] == [64, 64]
    assert space.raw["cfg"]["_value"][0] == {"act": "relu"}


def test_a_dict_option_without_specs_is_a_literal_value_as_in_nni() -> None:
    # NNI's BatchTuner space: whole parameter sets as the options of one choice
    raw = {"combine_params": {"_type": "choice", "_value": [{"lr": 0.1, "bs": 32}, {"lr": 0.2, "bs": 64}]}}
    assert SearchSpace(raw).to_parameters({"combine_params": 1}) == {"combine_params": {"lr": 0.2, "bs": 64}}


def test_the_widest_ranges_a_float_holds_are_accepted() -> None:
    space = SearchSpace(
        {"u": {"_type": "uniform", "_value": [-8e307, 8e307]}, "n": {"_type": "normal", "_value": [0, 1e307]}}
    )
    values = [space.sample(random.Random(seed))["u"] for seed in range(20)]
    assert len(set(values)) == 20 and all(-8e307 <= v <= 8e307 for v in values)


def test_to_flat_tells_booleans_from_numbers() -> None:
    space = SearchSpace({"x": {"_type": "choice", "_value": [0, False, 1, True]}})
    assert [space.to_flat({"x": v})["x"] for v in (0, False, 1, True)] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "space, message",
    [
        ({"a": {"_type": "choice", "_value": [{"_name": [1]}]}}, "_name must be a non-empty string"),
        ({1: {"_type": "choice", "_value": [1]}}, "non-empty string"),
        ({"_name": {"_type": "choice", "_value": [1]}}, "non-empty string"),
        (
            {
                "a/x/b": {"_type": "choice", "_value": [1]},
                "a": {"_type": "choice", "_value": [{"_name": "x", "b": {"_type": "choice", "_value": [2]}}]},
            },
            "defined twice",
        ),
    ],
)
def test_names_that_cannot_work_are_errors(space: dict, message: str) -> None:
    with pytest.raises(SearchSpaceError, match=message):
        SearchSpace(space)
