"""PAUSED (ASHA's promotion mode): which trials end PAUSED, and a crash between recording a
promotion and ending its paused trial."""

from __future__ import annotations

from pathlib import Path

from autolab.fidelity import fidelity
from autolab.history import Trial
from autolab.searchspace import parse
from autolab.statuses import COMPLETED, TrialStatus
from autolab.store import Store
from autolab.trials import Trials
from autolab.tuners.asha import AshaTuner
from autolab.tuners.hyperband import HyperbandTuner

SPACE = parse({"x": {"_type": "uniform", "_value": [0, 1]}})


def _trial(rung: int, bracket: int | None = None) -> Trial:
    fid = fidelity(3**rung, bracket, rung, "c0")
    return Trial("t", 0, {"x": 0.5}, TrialStatus.RUNNING, fidelity=fid)


def test_asha_pauses_below_its_top_rung_only() -> None:
    tuner = AshaTuner(SPACE, max_t=9)
    assert [tuner.pauses(_trial(rung)) for rung in (0, 1, 2)] == [True, True, False]
    assert not tuner.pauses(Trial("t", 0, {"x": 0.5}, TrialStatus.RUNNING))
    # Hyperband retrains from scratch: nothing of its trials waits to be continued
    assert not HyperbandTuner(SPACE, R=9).pauses(_trial(0, bracket=0))


def test_a_paused_result_counts_as_completed(tmp_path: Path) -> None:
    assert TrialStatus.PAUSED in COMPLETED and TrialStatus.PAUSED.finished
    with Store(tmp_path, create=True) as store:
        store.add_trial("a", {"x": 0.1}, fidelity=fidelity(1, None, 0, "c0"))
        store.update_trial("a", status=TrialStatus.PAUSED, value=0.7)
        store.add_trial("b", {"x": 0.2}, fidelity=fidelity(1, None, 0, "c1"))
        store.update_trial("b", status=TrialStatus.SUCCEEDED, value=0.5)
        assert store.best_trial(maximize=True).id == "a"
        assert [t.trial_id for t in store.history().completed()] == ["a", "b"]


def test_promotion_recorded_before_a_crash_ends_the_paused_trial_on_resume(tmp_path: Path) -> None:
    (tmp_path / "trials").mkdir()
    with Store(tmp_path, create=True) as store:
        for tid, config in (("a", "c0"), ("b", "c1")):
            store.add_trial(tid, {"x": 0.1}, fidelity=fidelity(1, None, 0, config))
            store.update_trial(tid, status=TrialStatus.PAUSED, value=0.5)
        # the manager recorded c0's promotion and died before ending "a"
        store.add_trial("c", {"x": 0.1}, fidelity=fidelity(3, None, 1, "c0"))
        Trials(store, tmp_path)
        assert {r.id: r.status for r in store.trial_rows()} == {
            "a": TrialStatus.SUCCEEDED,
            "b": TrialStatus.PAUSED,
            "c": TrialStatus.WAITING,
        }


def test_recording_a_promotion_ends_only_that_configurations_paused_trial(tmp_path: Path) -> None:
    with Store(tmp_path, create=True) as store:
        trials = Trials(store, tmp_path)
        for config in ("c0", "c1"):
            t = trials.record({"x": 0.1}, "tuner", fidelity=fidelity(1, None, 0, config))
            t.status = TrialStatus.PAUSED
            store.update_trial(t.trial_id, status=TrialStatus.PAUSED)
        trials.record({"x": 0.1}, "tuner", fidelity=fidelity(3, None, 1, "c1"))
        assert [r.status for r in store.trial_rows()] == ["PAUSED", "SUCCEEDED", "WAITING"]
        assert [t.status for t in trials.history.trials] == ["PAUSED", "SUCCEEDED", "WAITING"]
