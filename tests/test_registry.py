"""The registry shared by tuners and assessors: builtin names, a user's className, classArgs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autolab.errors import AutolabError
from autolab.registry import Registry


class WidgetError(AutolabError):
    pass


REGISTRY = Registry("widget", "autolab.tuners", {"random": "random_tuner:RandomTuner"}, WidgetError)


@pytest.mark.parametrize("name", ["random", "Random", "RAN_DOM"])
def test_builtin_names_ignore_case_and_underscores(name: str) -> None:
    assert REGISTRY.find(name).__name__ == "RandomTuner"


def test_unknown_and_missing_names_are_the_kinds_error() -> None:
    with pytest.raises(WidgetError, match=r"unknown widget 'Nope' \(builtin: random\)"):
        REGISTRY.find("Nope")
    with pytest.raises(WidgetError, match="widget needs a name or a className"):
        REGISTRY.find(None)


def test_user_class_from_code_directory(tmp_path: Path) -> None:
    (tmp_path / "registry_widget_mod.py").write_text(
        "class W:\n    def __init__(self, size=1):\n        self.size = size\n"
    )
    try:
        cls = REGISTRY.find("ignored when a className is given", "registry_widget_mod.W", str(tmp_path))
        assert REGISTRY.build(cls, "W", {"size": 3}).size == 3
        with pytest.raises(
            WidgetError, match=r"^widget W: unknown classArgs \['colour'\] \(W takes: size\)$"
        ):
            REGISTRY.build(cls, "W", {"colour": 1, "size": 2})
        with pytest.raises(WidgetError, match="has no 'Missing'"):
            REGISTRY.find(None, "registry_widget_mod.Missing", str(tmp_path))
        with pytest.raises(WidgetError, match="cannot import 'no_such_module_xyz'"):
            REGISTRY.find(None, "no_such_module_xyz.W", str(tmp_path))
        with pytest.raises(WidgetError, match="must be module.Class"):
            REGISTRY.find(None, "JustAName", str(tmp_path))
        assert str(tmp_path) not in sys.path  # imported from there, the caller's path as it was
    finally:
        sys.modules.pop("registry_widget_mod", None)


def test_a_custom_tuner_file_written_for_nni_imports_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`from nni.tuner import Tuner` in a user's tuner file works without NNI installed: the
    registry puts autolab's `nni` module last on the path (a real NNI would come first)."""
    (tmp_path / "nni_style_tuner.py").write_text(
        "from nni.tuner import Tuner\n"
        "from nni.utils import OptimizeMode, extract_scalar_reward\n\n"
        "class MyTuner(Tuner):\n"
        "    def __init__(self, optimize_mode='maximize'):\n"
        "        self.mode = OptimizeMode(optimize_mode)\n"
        "    def update_search_space(self, space):\n        self.space = space\n"
        "    def generate_parameters(self, parameter_id, **kwargs):\n        return {'x': 1}\n"
        "    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):\n"
        "        extract_scalar_reward(value)\n"
    )
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "_nni_shim" not in p])
    for name in [m for m in sys.modules if m == "nni" or m.startswith("nni.")] + ["nni_style_tuner"]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    cls = REGISTRY.find(None, "nni_style_tuner.MyTuner", str(tmp_path))
    assert cls.__mro__[1].__module__ == "autolab.tuner"
    assert REGISTRY.build(cls, "MyTuner", {"optimize_mode": "minimize"}).mode.value == "minimize"
