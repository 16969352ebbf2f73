"""validate_update (one check for `autolab update` and the REST API) and save_config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from autolab.config import (
    AlgorithmConfig,
    ConfigError,
    apply_update,
    config_from_dict,
    save_config,
    validate_update,
)
from autolab.searchspace import SearchSpace
from autolab.store import Store

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("trialConcurrency", 4, 4),
        ("maxTrialNumber", 100, 100),
        ("maxExperimentDuration", "90m", 5400.0),
        ("maxExperimentDuration", "1.5h", 5400.0),
        ("maxExperimentDuration", 3600, 3600.0),
        ("maxExperimentDuration", 2.5, 2.5),
    ],
)
def test_typed_values_out(key: str, value: Any, expected: Any) -> None:
    out = validate_update(key, value)
    assert out == expected and type(out) is type(expected)


def test_a_search_space_comes_out_parsed() -> None:
    out = validate_update("searchSpace", SPACE)
    assert isinstance(out, SearchSpace) and out.raw == SPACE and [d.key for d in out.dims] == ["x"]
    assert validate_update("searchSpace", out) is out  # already parsed (the CLI loaded a file)


@pytest.mark.parametrize(
    "key, value, needle",
    [
        ("trialConcurrency", 0, "trialConcurrency must be an integer >= 1, got 0"),
        ("trialConcurrency", "2", "got '2'"),  # JSON numbers only: the CLI converts its text
        ("maxTrialNumber", True, "got True"),
        ("maxTrialNumber", 2.5, "got 2.5"),
        ("trialConcurrency", 10**23, "at most 10000"),
        ("maxExperimentDuration", -1, "duration > 0"),
        ("maxExperimentDuration", "10x", "bad duration '10x'"),
        ("maxExperimentDuration", float("inf"), "duration > 0"),
        ("maxExperimentDuration", None, "must be a duration"),
        ("searchSpace", [], "searchSpace must be a JSON object"),
        ("searchSpace", {"lr": {"_type": "loguniform", "_value": [0, 1]}}, "lr"),
        ("colour", 1, "cannot update 'colour'"),
    ],
)
def test_bad_values_are_one_line_config_errors(key: str, value: Any, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_update(key, value)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_save_config_writes_the_store_and_config_yml(tmp_path: Path) -> None:
    config = config_from_dict({"trialCommand": "x", "searchSpace": SPACE}, tmp_path / "config.yml")
    apply_update(config, "maxTrialNumber", validate_update("maxTrialNumber", 7))
    apply_update(config, "maxExperimentDuration", validate_update("maxExperimentDuration", "2m"))
    directory = tmp_path / "exp"
    directory.mkdir()
    (directory / "config.yml").write_text("stale: true\n")
    store = Store(directory, create=True)
    save_config(store, directory, config)
    stored = store.get_meta("config")
    store.close()
    written = yaml.safe_load((directory / "config.yml").read_text())
    assert written == stored == config.to_dict()
    assert written["maxTrialNumber"] == 7 and written["maxExperimentDuration"] == 120.0
    assert config_from_dict(written, config.source) == config
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith("config")) == ["config.yml"]


@pytest.mark.parametrize(
    "text",
    [
        "trialCommand: x\nsearchSpace: {lr: {_type: uniform, _value: [0, 1]}}\n",
        "task:\n  template: 'run {lr}'\n  search_args: [{type: uniform, name: lr, value: [0, 1]}]\n",
    ],
)
def test_create_parses_the_search_space_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    from autolab.config import load_config
    from autolab.launcher import build_tuner

    parsed: list[object] = []
    real = SearchSpace.__init__

    def counting(self: SearchSpace, *args: Any, **kwargs: Any) -> None:
        parsed.append(args[0])
        real(self, *args, **kwargs)

    monkeypatch.setattr(SearchSpace, "__init__", counting)
    path = tmp_path / "config.yml"
    path.write_text(text)
    config = load_config(path)  # what `autolab create` does before it creates anything
    tuner = build_tuner(config)
    assert len(parsed) == 1 and parsed[0] == {"lr": {"_type": "uniform", "_value": [0, 1]}}
    assert tuner.space is config.search_space


FACTOR_SPACE = {"feature": {"_type": "factor", "_value": [[1, 2, 3], [4, 5]]}}


def test_a_custom_tuners_space_passes_unchecked_as_at_create() -> None:
    """NNI hands a custom tuner its space as written (its own `_type`s): an update does the same,
    and a builtin tuner's update is still checked."""
    custom = AlgorithmConfig(None, "my_tuner.FactorTuner", Path("."), {})
    out = validate_update("searchSpace", FACTOR_SPACE, custom)
    assert isinstance(out, SearchSpace) and out.raw == FACTOR_SPACE
    with pytest.raises(ConfigError, match="factor"):
        validate_update("searchSpace", FACTOR_SPACE, AlgorithmConfig("TPE", None, None, {}))
    with pytest.raises(ConfigError, match="factor"):
        validate_update("searchSpace", FACTOR_SPACE)


def test_machine_passwords_are_kept_private_and_never_shown(tmp_path: Path) -> None:
    # the store keeps them (a resumed manager logs in with them), but the profile (REST API, which
    # needs no token to read, and `experiment show`) shows ******, and the folder is the owner's only
    from autolab.experiments import ExperimentRef
    from autolab.views import profile

    machines = [
        {"host": "10.0.0.1", "user": "bob", "password": "bob-pw-123"},
        {"host": "10.0.0.2", "user": "amy", "sshKeyFile": "~/.ssh/id_rsa", "sshPassphrase": "key-pw-456"},
    ]
    raw = {
        "trialCommand": "x",
        "searchSpace": SPACE,
        "trainingService": {"platform": "remote", "machineList": machines},
    }
    config = config_from_dict(raw, tmp_path / "config.yml")
    directory = tmp_path / "exp"
    directory.mkdir()
    directory.chmod(0o755)
    with Store(directory, create=True) as store:
        save_config(store, directory, config)
        assert "bob-pw-123" in str(store.get_meta("config"))  # resume needs it
        shown = profile(ExperimentRef("e1", "", directory, 0.0), store)
    text = str(shown)
    assert "bob-pw-123" not in text and "key-pw-456" not in text
    listed = shown["config"]["trainingService"]["machineList"]
    assert [m.get("password") for m in listed] == ["******", None]
    assert listed[1]["sshPassphrase"] == "******" and listed[0]["user"] == "bob"
    assert directory.stat().st_mode & 0o777 == 0o700
    # no secret: the folder keeps the mode it was made with
    plain = tmp_path / "plain"
    plain.mkdir()
    plain.chmod(0o755)
    with Store(plain, create=True) as store:
        save_config(
            store, plain, config_from_dict({"trialCommand": "x", "searchSpace": SPACE}, tmp_path / "c.yml")
        )
    assert plain.stat().st_mode & 0o777 == 0o755
