from __future__ import annotations

from pathlib import Path

import pytest

from autolab.assessors import AssessorError, create_assessor
from autolab.assessors.curvefitting import CurvefittingAssessor
from autolab.assessors.medianstop import MedianstopAssessor


@pytest.mark.parametrize("name", ["Medianstop", "medianstop", "MEDIANSTOP", "median_stop"])
def test_medianstop_by_name(name: str) -> None:
    assessor = create_assessor(name, {"optimize_mode": "minimize", "start_step": 4})
    assert isinstance(assessor, MedianstopAssessor)
    assert (assessor.optimize_mode, assessor.start_step, assessor.slow) == ("minimize", 4, False)


def test_curvefitting_by_name_with_defaults() -> None:
    assessor = create_assessor("Curvefitting", {"epoch_num": 20})
    assert isinstance(assessor, CurvefittingAssessor)
    assert (assessor.epoch_num, assessor.start_step, assessor.threshold, assessor.gap) == (20, 6, 0.95, 1)
    assert assessor.optimize_mode == "maximize" and assessor.slow is True


@pytest.mark.parametrize(
    "name, args, match",
    [
        ("Nope", {}, "unknown assessor 'Nope'"),
        (None, {}, "name or a className"),
        ("Medianstop", {"start_stepp": 3}, "start_stepp"),
        ("Medianstop", {"optimize_mode": "best"}, "optimize_mode"),
        ("Medianstop", {"start_step": -2}, "start_step"),
        ("Curvefitting", {}, "epoch_num"),
        ("Curvefitting", {"epoch_num": 10, "treshold": 0.9}, "treshold"),
    ],
)
def test_bad_config_is_one_clear_error(name, args, match) -> None:
    with pytest.raises(AssessorError, match=match):
        create_assessor(name, args)


def test_custom_class_from_code_directory(tmp_path: Path) -> None:
    (tmp_path / "my_assessor_mod.py").write_text(
        "from autolab.assessors.base import Assessor\n"
        "class Always(Assessor):\n"
        "    def __init__(self, answer=True):\n"
        "        super().__init__()\n"
        "        self.answer = answer\n"
        "    def should_stop(self, trial, history):\n"
        "        return self.answer\n"
    )
    assessor = create_assessor(None, {"answer": False}, "my_assessor_mod.Always", str(tmp_path))
    assert assessor.should_stop(None, None) is False  # type: ignore[arg-type]
    with pytest.raises(AssessorError, match="has no 'Missing'"):
        create_assessor(None, {}, "my_assessor_mod.Missing", str(tmp_path))
    with pytest.raises(AssessorError, match="cannot import"):
        create_assessor(None, {}, "no_such_module_xyz.Cls", str(tmp_path))
    with pytest.raises(
        AssessorError, match=r"unknown classArgs \[.colour.\] \(my_assessor_mod.Always takes: answer\)"
    ):
        create_assessor(None, {"colour": 1}, "my_assessor_mod.Always", str(tmp_path))
