"""Import records: NNI's export shape, checked once for the CLI and the REST API."""

from __future__ import annotations

import pytest

from autolab.importing import BadImport, importable

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def test_an_export_imports_back_skipping_unfinished_trials() -> None:
    exported = [
        {"parameter": {"x": 0.1}, "value": 0.5, "trialJobId": "a", "status": "SUCCEEDED"},
        {"parameter": {"x": 0.2}, "value": None, "trialJobId": "b", "status": "FAILED"},
        {"parameter": {"x": 0.3}, "value": {"default": 0.7, "loss": 1}, "trialJobId": "c", "status": "SUCCEEDED"},
    ]
    assert importable(exported, SPACE) == [{"parameter": {"x": 0.1}, "value": 0.5},
                                           {"parameter": {"x": 0.3}, "value": {"default": 0.7, "loss": 1}}]


@pytest.mark.parametrize("records, message", [
    ({"parameter": {}}, "expected a JSON list"),
    ([{"value": 1}], "item 0: expected"),
    ([{"parameter": {"x": 0.1}, "value": "high"}], "item 0: value"),
    ([{"parameter": {"x": 0.1}, "value": 1}, {"parameter": {"zzz": 1}, "value": 1}], "item 1: parameter 'zzz'"),
])
def test_bad_records_name_the_item(records: object, message: str) -> None:
    with pytest.raises(BadImport, match=message):
        importable(records, SPACE)
