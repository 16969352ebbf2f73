"""Finding an experiment: by id or prefix from the registry, or by its directory given as a path
(an experiment copied from another machine), with errors that name what was given."""

from __future__ import annotations

from pathlib import Path

import pytest

from autolab import experiments
from autolab.store import Store


def made(directory: Path, exp_id: str, name: str = "copied") -> Path:
    (directory / "trials").mkdir(parents=True)
    with Store(directory, create=True) as store:
        store.set_meta(id=exp_id, name=name, status="DONE", created=123.0, elapsed=1.0, config={})
    return directory


def test_an_experiment_directory_given_as_a_path_is_found_registered_or_not(
    tmp_path: Path, autolab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # copied from another machine into a folder that is not AUTOLAB_HOME (nnictl view --experiment_dir)
    copied = made(tmp_path / "from-cluster" / "abcd1234", "abcd1234")
    for given in (str(copied), "from-cluster/abcd1234", "./from-cluster/abcd1234"):
        monkeypatch.chdir(tmp_path)
        ref = experiments.find(given)
        assert (ref.id, ref.name, ref.directory, ref.created) == (
            "abcd1234",
            "copied",
            copied.resolve(),
            123.0,
        )
    monkeypatch.chdir(tmp_path / "from-cluster")  # a bare folder name that is no registered id
    assert experiments.find("abcd1234").directory == copied.resolve()
    # a registered experiment with that id wins over the folder of the same name
    registered = made(autolab_home / "abcd1234", "abcd1234", "mine")
    experiments.register("abcd1234", "mine", registered)
    assert experiments.find("abcd1234").directory == registered
    with pytest.raises(
        experiments.ExperimentNotFound,
        match=r"from-cluster: not an experiment's directory \(it has no autolab.db\)$",
    ):
        experiments.find(str(tmp_path / "from-cluster"))


def test_an_id_not_found_in_an_empty_home_is_named(autolab_home: Path) -> None:
    with pytest.raises(experiments.ExperimentNotFound) as caught:
        experiments.find("zzzz")
    assert str(caught.value) == (
        f"experiment 'zzzz' not found: {autolab_home} has no experiment (AUTOLAB_HOME; an experiment's "
        "directory can be given as a path)"
    )


def test_a_unique_name_finds_its_experiment_after_ids_and_prefixes(autolab_home: Path) -> None:
    # a named study (create_study(name="s1")) is an experiment listed by its name: top s1, trial ls s1
    for exp_id, name in (
        ("k2v54z7f", "s1"),
        ("s1abcdef", "other"),
        ("x9y8z7w6", "twice"),
        ("q1w2e3r4", "twice"),
    ):
        experiments.register(exp_id, name, made(autolab_home / exp_id, exp_id, name))
    assert experiments.find("s1").id == "s1abcdef"  # an id's prefix comes first
    experiments.unregister("s1abcdef")
    assert experiments.find("s1").id == "k2v54z7f"
    with pytest.raises(experiments.ExperimentNotFound, match="'twice' is ambiguous"):
        experiments.find("twice")
