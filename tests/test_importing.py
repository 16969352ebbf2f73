"""Import records: NNI's export shape, checked once for the CLI and the REST API."""

from __future__ import annotations

import pytest

from autolab.importing import BadImport, importable

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def test_an_export_imports_back_skipping_unfinished_trials() -> None:
    exported = [
        {"parameter": {"x": 0.1}, "value": 0.5, "trialJobId": "a", "status": "SUCCEEDED"},
        {"parameter": {"x": 0.2}, "value": None, "trialJobId": "b", "status": "FAILED"},
        {
            "parameter": {"x": 0.3},
            "value": {"default": 0.7, "loss": 1},
            "trialJobId": "c",
            "status": "SUCCEEDED",
        },
    ]
    assert importable(exported, SPACE) == [
        {"parameter": {"x": 0.1}, "value": 0.5},
        {"parameter": {"x": 0.3}, "value": {"default": 0.7, "loss": 1}},
    ]


def test_nni_export_data_values_are_json_text() -> None:
    # what NNI's `nnictl experiment export --type json` writes: each value as JSON text
    exported = [
        {"parameter": {"x": 0.1}, "value": "0.97", "trialJobId": "Ab3dE"},
        {"parameter": {"x": 0.2}, "value": '{"default": 0.96, "loss": 0.2}', "trialJobId": "Fg4hI"},
        {"parameter": {"x": 0.3}, "value": "null", "trialJobId": "Jk5lM"},
    ]
    assert importable(exported, SPACE) == [
        {"parameter": {"x": 0.1}, "value": 0.97},
        {"parameter": {"x": 0.2}, "value": {"default": 0.96, "loss": 0.2}},
    ]


@pytest.mark.parametrize(
    "records, message",
    [
        ({"parameter": {}}, "expected a JSON list"),
        ([{"value": 1}], "item 0: expected"),
        ([{"parameter": {"x": 0.1}, "value": "high"}], "item 0: value: 'high' is neither a number nor JSON"),
        ([{"parameter": {"x": 0.1}, "value": '"high"'}], "item 0: value"),
        (
            [{"parameter": {"x": 0.1}, "value": 1}, {"parameter": {"zzz": 1}, "value": 1}],
            "item 1: parameter 'zzz'",
        ),
    ],
)
def test_bad_records_name_the_item(records: object, message: str) -> None:
    with pytest.raises(BadImport, match=message):
        importable(records, SPACE)


def test_every_record_is_plain_json_checked_or_not() -> None:
    # a record lacking some parameters is not checked against the space, but it is stored, listed
    # and served: none may nest past the metric depth or hold NaN (the API's trial list 500'd for good)
    space = {"x": {"_type": "uniform", "_value": [0, 1]}, "y": {"_type": "uniform", "_value": [0, 1]}}
    deep: object = []
    for _ in range(100):
        deep = [deep]
    for record, message in [
        (
            {"parameter": {"x": deep}, "value": 1},
            "item 0: parameter 'x': lists and dicts nested deeper than 32",
        ),
        ({"parameter": {"x": float("nan")}, "value": 1}, "item 0: parameter 'x': nan is not a finite number"),
        ({"parameter": {"x": 0.5}, "value": {"default": 1, "d": deep}}, "item 0: value: d: lists and dicts"),
    ]:
        with pytest.raises(BadImport) as err:
            importable([record], space)
        assert str(err.value).startswith(message)
    assert importable(
        [{"parameter": {"x": "<img>"}, "value": 1}], space
    )  # text is text (the page escapes it)


def test_values_must_fit_the_space_unless_the_record_predates_a_parameter() -> None:
    space = {"x": {"_type": "uniform", "_value": [0, 1]}, "opt": {"_type": "choice", "_value": ["a", "b"]}}
    with pytest.raises(BadImport, match=r"item 1: parameter 'x': 1\.5 is outside \[0, 1\]"):
        importable(
            [
                {"parameter": {"x": 0.5, "opt": "a"}, "value": 1},
                {"parameter": {"x": 1.5, "opt": "a"}, "value": 1},
            ],
            space,
        )
    with pytest.raises(BadImport, match="item 0: parameter 'x': 1000.* is not a finite number"):
        importable([{"parameter": {"x": 10**400, "opt": "a"}, "value": 1}], space)
    with pytest.raises(BadImport, match="item 0: 'c' is not an option of 'opt'"):
        importable([{"parameter": {"x": 0.5, "opt": "c"}, "value": 1}], space)
    # from before 'opt' was added: kept as a record (tuners skip what does not fit the space)
    assert importable([{"parameter": {"x": 0.5}, "value": 1}], space) == [
        {"parameter": {"x": 0.5}, "value": 1}
    ]
