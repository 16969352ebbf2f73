"""The in-process study: ask/tell, optimize, failures kept, pruning by the assessor, define-by-run,
persistence as an experiment and reopening by name."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import autolab
from autolab.errors import UserError
from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.study import TrialPruned, create_study, load_study

SPACE = {"x": {"_type": "uniform", "_value": [-5, 5]}, "k": {"_type": "choice", "_value": [1, 2, 3]}}


def quadratic(trial: autolab.study.StudyTrial) -> float:
    return (trial.params["x"] - 1) ** 2 + trial.params["k"]


def test_optimize_in_memory_finds_the_minimum() -> None:
    study = create_study(SPACE, tuner="Random", seed=1)
    study.optimize(quadratic, n_trials=200)
    assert len(study.trials) == 200
    assert all(t.state is TrialStatus.SUCCEEDED for t in study.trials)
    best = study.best_trial
    assert best.value == min(t.value for t in study.trials if t.value is not None)
    assert best.params["k"] == 1 and abs(best.params["x"] - 1) < 0.5
    assert study.best_value == best.value and study.best_params == best.params
    assert study.directory is None  # nothing written


def test_maximize_picks_the_largest() -> None:
    study = create_study(SPACE, tuner="Random", direction="maximize", seed=2)
    study.optimize(quadratic, n_trials=30)
    assert study.best_value == max(t.value for t in study.trials if t.value is not None)


def test_ask_tell_and_enqueue() -> None:
    study = create_study(SPACE, tuner="TPE", seed=0)
    study.enqueue_trial({"x": 1.0, "k": 1})
    first = study.ask()
    assert first.params == {"x": 1.0, "k": 1}
    second = study.ask()
    assert second.trial_id != first.trial_id
    frozen = study.tell(first, 1.0)
    assert frozen.state is TrialStatus.SUCCEEDED and frozen.value == 1.0
    study.tell(second.number, {"default": 3.0, "other": 7})  # by number, NNI's dict value
    assert [t.value for t in study.trials] == [1.0, 3.0]
    assert study.trials[1].raw_value == {"default": 3.0, "other": 7}
    with pytest.raises(UserError, match="not a running trial"):
        study.tell(first, 2.0)  # told twice
    third = study.ask()
    assert study.tell(third, state="pruned").state is TrialStatus.EARLY_STOPPED
    with pytest.raises(UserError, match="state 'bogus'"):
        study.tell(study.ask(), state="bogus")


def test_an_objective_that_raises_fails_its_trial_and_the_study_goes_on() -> None:
    calls = []

    def objective(trial: autolab.study.StudyTrial) -> float:
        calls.append(trial.number)
        if trial.number % 3 == 1:
            raise ValueError(f"bad trial {trial.number}")
        if trial.number % 3 == 2:
            return float("nan")
        return 1.0

    study = create_study(SPACE, tuner="Random")
    study.optimize(objective, n_trials=9)
    assert len(calls) == 9
    failed = study.get_trials(states=("fail",))
    assert [t.number for t in failed] == [1, 2, 4, 5, 7, 8]
    assert failed[0].message == "ValueError: bad trial 1"
    assert "not a finite number" in failed[1].message
    assert len(study.get_trials(states=(TrialStatus.SUCCEEDED,))) == 3


def test_no_completed_trial_means_no_best() -> None:
    study = create_study(SPACE)
    with pytest.raises(ValueError, match="no trial"):
        _ = study.best_trial


def test_the_assessor_prunes_through_should_prune() -> None:
    study = create_study(
        SPACE, tuner="Random", assessor="Medianstop", assessor_args={"start_step": 2}, direction="maximize"
    )

    def objective(trial: autolab.study.StudyTrial) -> float:
        # the later trials are worse at every step than the first ones: Medianstop stops them
        level = 10.0 if trial.number < 3 else 0.0
        for step in range(5):
            trial.report(level + step, step)
            if trial.should_prune():
                raise TrialPruned()
        return level + 5

    study.optimize(objective, n_trials=8)
    states = [t.state for t in study.trials]
    assert states[:3] == [TrialStatus.SUCCEEDED] * 3
    assert states[3:] == [TrialStatus.EARLY_STOPPED] * 5
    assert study.trials[3].intermediate_values == {0: 0.0, 1: 1.0}  # stopped at its second report


def test_define_by_run_grows_the_space() -> None:
    def objective(trial: autolab.study.StudyTrial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 4)
        act = trial.suggest_categorical("act", ["relu", "tanh"])
        assert 1e-4 <= lr <= 1e-1 and 1 <= layers <= 4 and act in ("relu", "tanh")
        assert isinstance(layers, int)
        return lr * layers

    study = create_study(tuner="TPE", seed=3)
    study.optimize(objective, n_trials=25)
    assert set(study.space.raw) == {"lr", "layers", "act"}
    assert study.space.raw["layers"] == {"_type": "randint", "_value": [1, 5]}
    assert all(set(t.params) == {"lr", "layers", "act"} for t in study.trials)
    with pytest.raises(UserError, match="'lr' is"):
        trial = study.ask()
        trial.suggest_float("lr", 0, 1)


def test_bad_input_is_one_line() -> None:
    with pytest.raises(UserError, match="direction must be"):
        create_study(SPACE, direction="up")
    with pytest.raises(UserError, match="tuner Nope"):
        create_study(SPACE, tuner="Nope")
    with pytest.raises(UserError, match="_type"):
        create_study({"x": {"_type": "gaussian", "_value": [0, 1]}})
    with pytest.raises(UserError, match="n_trials"):
        create_study(SPACE).optimize(quadratic, n_trials=-1)
    with pytest.raises(UserError, match="storage="):
        create_study(SPACE, name="s", storage="sqlite:///x.db")


def test_n_jobs_runs_every_trial_once() -> None:
    study = create_study(SPACE, tuner="Random")
    study.optimize(quadratic, n_trials=40, n_jobs=4)
    assert len(study.trials) == 40
    assert len({t.trial_id for t in study.trials}) == 40
    assert sorted(t.number for t in study.trials) == list(range(40))


def test_timeout_ends_optimize() -> None:
    study = create_study(SPACE, tuner="Random")
    study.optimize(quadratic, timeout=0.2)
    assert len(study.trials) > 0


def test_one_call_optimize() -> None:
    best = autolab.optimize(quadratic, SPACE, n_trials=50, tuner="Random", seed=5)
    assert best.state is TrialStatus.SUCCEEDED and best.params["k"] == 1


def test_a_named_study_is_an_experiment_and_continues(autolab_home: Path, tmp_path: Path) -> None:
    study = create_study(SPACE, tuner="Random", name="search-1")
    study.optimize(quadratic, n_trials=10)
    study.optimize(lambda t: 1 / 0, n_trials=2)
    exp_id = study.id
    study.close()
    with Store(autolab_home / str(exp_id), readonly=True) as store:
        meta = store.meta()
        assert meta["name"] == "search-1" and meta["status"] == "DONE" and meta["study"] is True
        rows = store.trial_rows()
        assert len(rows) == 12
        final = store.metric_rows(rows[0].id)  # the row and its result, written in one transaction
        assert [(m.type, m.value) for m in final] == [("FINAL", rows[0].value)]
        assert rows[0].start_time is not None and rows[0].end_time is not None
        assert (
            rows[-1].status is TrialStatus.FAILED
            and rows[-1].message == "ZeroDivisionError: division by zero"
        )
    again = create_study(name="search-1")  # its space, tuner and direction come back with it
    assert again.id == exp_id and len(again.trials) == 12
    assert again.direction == "minimize" and set(again.space.raw) == {"x", "k"}
    again.optimize(quadratic, n_trials=5)
    assert len(again.trials) == 17
    assert [t.number for t in again.trials] == list(range(17))
    again.close()
    with pytest.raises(UserError, match="'minimize'"):
        create_study(name="search-1", direction="maximize")
    with pytest.raises(UserError, match="exists"):
        create_study(name="search-1", load_if_exists=False)
    assert len(load_study("search-1").trials) == 17
    with pytest.raises(UserError, match="no study named"):
        load_study("nothing")


def test_the_cli_shows_a_study(autolab_home: Path, subprocess_env: dict[str, str]) -> None:
    study = create_study(SPACE, tuner="Random", name="cli-study", seed=4)
    study.optimize(quadratic, n_trials=6)
    left = study.ask()  # asked, never told: the process "ends"
    study.close()
    env = {**subprocess_env, "AUTOLAB_HOME": str(autolab_home)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "autolab.cli", *args], env=env, capture_output=True, text=True, timeout=60
        )

    shown = cli("experiment", "show", str(study.id))
    assert shown.returncode == 0, shown.stderr
    profile = json.loads(shown.stdout)
    assert profile["name"] == "cli-study" and profile["trialTotal"] == 7
    assert profile["best"]["value"] == study.best_value
    exported = cli("experiment", "export", str(study.id), "--filename", str(autolab_home / "out.json"))
    assert exported.returncode == 0, exported.stderr
    rows = json.loads((autolab_home / "out.json").read_text())
    assert len(rows) == 7
    resumed = cli("resume", str(study.id))
    assert resumed.returncode == 2 and "in-process study" in resumed.stderr
    reopened = create_study(name="cli-study")
    kept = [t for t in reopened.trials if t.trial_id == left.trial_id][0]
    assert kept.state is TrialStatus.FAILED and "ended before telling" in kept.message
    reopened.close()


@pytest.mark.slow
def test_a_running_study_shows_running_and_autolab_stop_ends_it(
    autolab_home: Path, subprocess_env: dict[str, str]
) -> None:
    script = (
        "import time, autolab\n"
        "study = autolab.create_study({'x': {'_type': 'uniform', '_value': [0, 1]}}, name='long')\n"
        "study.optimize(lambda t: time.sleep(0.05) or t.params['x'], n_trials=100000)\n"
        "print('ENDED', len(study.trials), flush=True)\n"
    )
    env = {**subprocess_env, "AUTOLAB_HOME": str(autolab_home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        listed = ""
        while time.monotonic() < deadline and "RUNNING" not in listed:
            listed = subprocess.run(
                [sys.executable, "-m", "autolab.cli", "experiment", "list"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
        assert "long" in listed and "RUNNING" in listed
        stopped = subprocess.run(
            [sys.executable, "-m", "autolab.cli", "stop"], env=env, capture_output=True, text=True, timeout=90
        )
        assert stopped.returncode == 0, stopped.stderr
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    told = int(out.split()[-1])
    reopened = load_study("long")
    assert len(reopened.trials) == told > 0
    assert all(t.state is TrialStatus.SUCCEEDED for t in reopened.trials)  # none left half-done
    with Store(Path(str(reopened.directory)), readonly=True) as store:
        assert store.get_meta("status") == "STOPPED"
    reopened.close()


def test_a_space_file_and_a_new_space(tmp_path: Path) -> None:
    path = tmp_path / "space.json"
    path.write_text('// NNI space, JSON5\n{"k": {"_type": "choice", "_value": [1, 2]}}\n')
    study = create_study(str(path), tuner="GridSearch")
    study.optimize(lambda t: t.params["k"], n_trials=10)
    assert sorted(t.params["k"] for t in study.trials) == [1, 2]  # the grid ran out: optimize ended
    study.update_search_space({"k": {"_type": "choice", "_value": [3]}})
    study.optimize(lambda t: t.params["k"], n_trials=10)
    assert sorted(t.params["k"] for t in study.trials) == [1, 2, 3]
    with pytest.raises(UserError, match="is not a file"):
        create_study(str(tmp_path / "missing.json"))


def test_a_long_trial_shows_running_in_the_store(autolab_home: Path) -> None:
    study = create_study(SPACE, tuner="Random", name="long-trial")
    seen: list[str] = []

    def objective(trial: autolab.study.StudyTrial) -> float:
        # the row of a trial still running is written within a second (a fast one's only at its end)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen:
            with Store(Path(str(study.directory)), readonly=True) as store:
                row = store.trial_row(trial.trial_id)
            if row is not None:
                seen.append(row.status.value)
            time.sleep(0.05)
        return 1.0

    study.optimize(objective, n_trials=1)
    assert seen == ["RUNNING"]
    assert [t.state for t in study.trials] == [TrialStatus.SUCCEEDED]
    study.close()


def test_callbacks_see_each_trial_and_may_stop_the_study() -> None:
    seen: list[tuple[int, str]] = []

    def callback(study: autolab.study.Study, trial: autolab.study.FrozenTrial) -> None:
        seen.append((trial.number, trial.state.value))
        if len(seen) == 5:
            study.stop()

    study = create_study(SPACE, tuner="Random")
    study.optimize(quadratic, n_trials=100, callbacks=[callback])
    assert seen == [(n, "SUCCEEDED") for n in range(5)]
    assert len(study.trials) == 5
    study.optimize(quadratic, n_trials=2)  # a new optimize starts again
    assert len(study.trials) == 7


def test_import_autolab_loads_the_study_only_when_asked(subprocess_env: dict[str, str]) -> None:
    code = (
        "import sys, autolab\n"
        "print('autolab.study' in sys.modules)\n"
        "autolab.create_study\n"
        "print('autolab.study' in sys.modules, 'numpy' in sys.modules, 'tornado' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True", "False", "False"]


def test_a_running_study_shows_its_running_time_grow(
    autolab_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `autolab view` / `experiment status` read the store: elapsed was written only when optimize ended
    from autolab.lifecycle import RunClock

    monkeypatch.setattr(RunClock, "SAVE_EVERY", 0.0)
    study = create_study(SPACE, tuner="Random", name="clocked")
    seen: list[tuple[str, float]] = []

    def objective(trial: autolab.study.StudyTrial) -> float:
        if trial.number == 1:  # the flusher saves it every FLUSH_AFTER / 2 s: wait for a save
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with Store(autolab_home / str(study.id), readonly=True) as store:
                    meta = store.meta()
                if meta["elapsed"] > 0:
                    seen.append((meta["status"], meta["elapsed"]))
                    break
                time.sleep(0.05)
        return quadratic(trial)

    study.optimize(objective, n_trials=3)
    study.close()
    assert len(seen) == 1 and seen[0][0] == "RUNNING" and seen[0][1] > 0
