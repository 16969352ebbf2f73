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
        with pytest.raises(WidgetError, match=r"widget W: bad classArgs \['colour'\]"):
            REGISTRY.build(cls, "W", {"colour": 1})
        with pytest.raises(WidgetError, match="has no 'Missing'"):
            REGISTRY.find(None, "registry_widget_mod.Missing", str(tmp_path))
        with pytest.raises(WidgetError, match="cannot import 'no_such_module_xyz'"):
            REGISTRY.find(None, "no_such_module_xyz.W", str(tmp_path))
        with pytest.raises(WidgetError, match="must be module.Class"):
            REGISTRY.find(None, "JustAName", str(tmp_path))
    finally:
        sys.modules.pop("registry_widget_mod", None)
        sys.path.remove(str(tmp_path))
