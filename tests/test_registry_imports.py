"""A user's className is imported afresh from its own codeDirectory each time, leaves the caller's
sys.path and sys.modules as they were, and a file that does not import is one line naming it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autolab import registry
from autolab._nni_shim import SHIM_PATH
from autolab.errors import AutolabError
from autolab.registry import Registry
from autolab.searchspace import SearchSpace
from autolab.tuners import TunerError, create_tuner
from autolab.tuners.base import TunerError as BaseTunerError


class WidgetError(AutolabError):
    pass


REGISTRY = Registry("tuner", "autolab.tuners", {}, WidgetError)
NNI_TUNER = """\
from nni.tuner import Tuner

class T(Tuner):
    def update_search_space(self, space):
        pass
    def generate_parameters(self, parameter_id, **kwargs):
        return {{"x": {x}}}
    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        pass
"""


def folder(tmp_path: Path, name: str, files: dict[str, str]) -> str:
    where = tmp_path / name
    where.mkdir()
    for file, text in files.items():
        (where / file).write_text(text)
    return str(where)


def test_same_module_name_in_two_code_directories_loads_each(tmp_path: Path) -> None:
    path, nni_before = list(sys.path), sys.modules.get("nni")
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 3]}})
    got = []
    for name, x in (("dA", 1.0), ("dB", 2.0)):
        code = folder(tmp_path, name, {"tuner_mod.py": NNI_TUNER.format(x=x)})
        tuner = create_tuner(space, None, {}, "tuner_mod.T", code)
        got.append(tuner.inner.generate_parameters(0))
        assert sys.path == path and sys.modules.get("nni") is nni_before
        assert "tuner_mod" not in sys.modules and SHIM_PATH not in sys.path
    assert got == [{"x": 1.0}, {"x": 2.0}]


def test_the_callers_own_module_of_that_name_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = type(sys)("tuner_mod")
    monkeypatch.setitem(sys.modules, "tuner_mod", mine)
    code = folder(tmp_path, "d", {"tuner_mod.py": "class T:\n    pass\n", "helper_xyz.py": "V = 1\n"})
    assert REGISTRY.find(None, "tuner_mod.T", code).__module__ == "tuner_mod"
    assert sys.modules["tuner_mod"] is mine


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 1\n\nclass Broken(\n    def f(self) pass\n", r"syn\.py line \d: SyntaxError: "),
        ("x = 1\ny = undefined_name\n", r"syn\.py line 2: NameError: name 'undefined_name' is not defined"),
        ("import no_such_dependency_xyz\n", r"syn\.py line 1: ModuleNotFoundError: No module named 'no_such"),
    ],
)
def test_a_file_that_does_not_import_is_one_line_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    code = folder(tmp_path, "d", {"syn.py": text})
    with pytest.raises(WidgetError, match=r"^tuner className 'syn\.Broken': " + message) as caught:
        REGISTRY.find(None, "syn.Broken", code)
    assert "\n" not in str(caught.value) and caught.value.__cause__ is None
    assert "syn" not in sys.modules and code not in sys.path


def test_a_missing_code_directory_or_module_names_it(tmp_path: Path) -> None:
    with pytest.raises(WidgetError, match=r"^tuner codeDirectory .*nope does not exist$"):
        REGISTRY.find(None, "my_tuner.T", str(tmp_path / "nope"))
    with pytest.raises(
        WidgetError, match=r"cannot import 'my_tuner' \(no module 'my_tuner' in codeDirectory "
    ):
        REGISTRY.find(None, "my_tuner.T", str(tmp_path))


def test_an_exception_in_the_users_init_is_one_line(tmp_path: Path) -> None:
    raising = "    def __init__(self, **kwargs):\n        raise ValueError('bad lr')\n"
    nni_style = NNI_TUNER.format(x=1).replace("class T(Tuner):\n", "class T(Tuner):\n" + raising)
    code = folder(tmp_path, "d", {"nni_t.py": nni_style, "own_t.py": OWN_TUNER})
    space = SearchSpace({"x": {"_type": "uniform", "_value": [0, 3]}})
    with pytest.raises(TunerError, match=r"^tuner nni_t\.T: __init__ raised ValueError: bad lr$"):
        create_tuner(space, None, {}, "nni_t.T", code)
    with pytest.raises(BaseTunerError, match=r"^tuner own_t\.T: __init__ raised ValueError: bad lr$"):
        create_tuner(space, None, {}, "own_t.T", code)


OWN_TUNER = """\
from autolab.tuners.base import Tuner

class T(Tuner):
    def __init__(self, space, **kwargs):
        raise ValueError("bad lr")
    def suggest(self, history):
        return {}
"""


def test_a_manager_process_keeps_the_path_and_one_module_for_tuner_and_assessor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = folder(tmp_path, "d", {"both_mod_xyz.py": "class T:\n    pass\n\nclass A:\n    pass\n"})
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(registry, "_keep", [True])  # as keep_imports() says in python -m autolab.launcher
    try:
        tuner = REGISTRY.find(None, "both_mod_xyz.T", code)
        assessor = REGISTRY.find(None, "both_mod_xyz.A", code)
        module = sys.modules["both_mod_xyz"]
        assert module.T is tuner and module.A is assessor  # one module object, not two
        assert sys.path[0] == code
    finally:
        sys.modules.pop("both_mod_xyz", None)
