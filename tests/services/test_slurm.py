"""SlurmService against a fake sbatch / squeue / scontrol / sacct / scancel (tests/services/slurm_fake.py)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autolab import protocol
from autolab.config import ExperimentConfig, config_from_dict
from autolab.services.base import Event, EventKind, Launch, ServiceError
from autolab.services.slurm import SlurmService

from .slurm_fake import FakeSlurm, installed


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlurm]:
    yield from installed(tmp_path, monkeypatch)


def launch(tmp_path: Path, trial_id: str, command: str, **kwargs: object) -> Launch:
    trial_dir = tmp_path / "exp" / "trials" / trial_id
    trial_dir.mkdir(parents=True, exist_ok=True)
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    env = {protocol.ENV_EXPERIMENT_ID: "exp1", protocol.ENV_TRIAL_ID: trial_id}
    return Launch(trial_id, 1, trial_dir, command, code, env, **kwargs)  # type: ignore[arg-type]


def config_of(tmp_path: Path, settings: dict[str, object]) -> ExperimentConfig:
    """A config with these keys (the service reads its own; the rest only has to be valid)."""
    return config_from_dict({"trialCommand": "true", "searchSpace": {}, **settings}, tmp_path / "config.yml")


def service(**kwargs: object) -> SlurmService:
    options: dict = {"poll_interval": 0.1, "exit_grace": 0.5}
    options.update(kwargs)
    return SlurmService(int(options.pop("concurrency", 4)), **options)


def wait_events(svc: SlurmService, until: object, timeout: float = 20.0) -> list[Event]:
    """Poll until `until(events so far)` is true; returns every event seen."""
    events: list[Event] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        events.extend(svc.poll())
        if until(events):  # type: ignore[operator]
            return events
        time.sleep(0.02)
    raise AssertionError(f"timed out; events so far: {events}")


def exited(*trial_ids: str) -> object:
    return lambda events: {e.trial_id for e in events if e.kind == EventKind.EXITED} >= set(trial_ids)


def kinds(events: list[Event], trial_id: str) -> list[EventKind]:
    return [e.kind for e in events if e.trial_id == trial_id]


def final(events: list[Event], trial_id: str) -> Event:
    return next(e for e in events if e.trial_id == trial_id and e.kind == EventKind.EXITED)


def test_trials_run_as_jobs_with_their_exit_codes(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    svc.start(launch(tmp_path, "ok", 'echo "$AUTOLAB_TRIAL_ID in $(pwd)"; exit 0'))
    svc.start(launch(tmp_path, "bad", "echo oops >&2; exit 3"))
    assert svc.free_slots() == 2
    events = wait_events(svc, exited("ok", "bad"))
    assert kinds(events, "ok") == [EventKind.STARTED, EventKind.EXITED]
    assert final(events, "ok").exit_code == 0 and final(events, "bad").exit_code == 3
    assert not final(events, "bad").killed
    trial = tmp_path / "exp" / "trials"
    assert (trial / "ok" / "stdout").read_text().strip() == f"ok in {tmp_path / 'code'}"
    assert (trial / "bad" / "stderr").read_text().strip() == "oops"
    assert (trial / "ok" / "slurm_job_id").read_text().strip() == svc.handle("ok")["job_id"]
    assert svc.free_slots() == 4
    (submit,) = [c for c in fake_slurm.calls("sbatch") if "--job-name=autolab-exp1-ok" in c]
    assert f"--chdir={tmp_path / 'code'}" in submit and "--parsable" in submit


def test_sbatch_options_from_settings(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    settings = {
        "trialConcurrency": 3,
        "trainingService": {
            "platform": "slurm",
            "partition": "gpu",
            "time": "02:00:00",
            "sbatchArgs": ["--mem=1G"],
            "pollInterval": 0.1,
        },
    }
    svc = SlurmService.from_config(config_of(tmp_path, settings))
    assert svc.concurrency == 3 and svc.poll_interval == 0.1
    svc.start(launch(tmp_path, "a", "true", gpu_number=2, max_duration=90.0))
    bare = service()
    bare.start(launch(tmp_path, "b", "true", max_duration=90.0))
    gres = service(gres="gpu:a100:1")
    gres.start(launch(tmp_path, "c", "true", gpu_number=2))
    calls = {
        next(a for a in c if a.startswith("--job-name=")).rsplit("-", 1)[1]: c
        for c in fake_slurm.calls("sbatch")
    }
    assert {"--partition=gpu", "--gres=gpu:2", "--time=02:00:00"} <= set(calls["a"])
    assert calls["a"][-2] == "--mem=1G"
    assert "--time=00:02:00" in calls["b"] and not any(a.startswith("--gres") for a in calls["b"])
    assert "--gres=gpu:a100:1" in calls["c"]
    for each in (svc, bare, gres):
        wait_events(each, lambda e, each=each: not each.jobs)


def test_queued_jobs_are_not_started_and_count_toward_concurrency(
    tmp_path: Path, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.hold()
    svc = service(concurrency=2)
    svc.start(launch(tmp_path, "a", "true"))
    svc.start(launch(tmp_path, "b", "true"))
    assert svc.free_slots() == 0
    end = time.time() + 0.6
    events: list[Event] = []
    while time.time() < end:
        events.extend(svc.poll())
        time.sleep(0.02)
    # pending in the queue: WAITING, no STARTED; why it waits, once per reason
    assert [(e.trial_id, e.kind, e.message) for e in events] == [
        ("a", EventKind.QUEUED, "queued in Slurm: Priority"),
        ("b", EventKind.QUEUED, "queued in Slurm: Priority"),
    ]
    fake_slurm.release()
    events = wait_events(svc, exited("a", "b"))
    assert kinds(events, "a") == [EventKind.STARTED, EventKind.EXITED]
    assert svc.free_slots() == 2


def test_squeue_is_asked_at_poll_interval_not_every_turn(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service(poll_interval=0.5)
    svc.start(launch(tmp_path, "a", "sleep 30"))
    began = time.monotonic()
    for _ in range(100):
        svc.poll()
        time.sleep(0.01)
    elapsed = time.monotonic() - began
    calls = len(fake_slurm.calls("squeue"))
    assert 1 <= calls <= elapsed / 0.5 + 1
    assert calls < 10
    svc.kill("a")
    wait_events(svc, exited("a"))


def test_kill_running_job_uses_scancel(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    svc.start(launch(tmp_path, "a", "sleep 30"))
    wait_events(svc, lambda ev: EventKind.STARTED in kinds(ev, "a"))
    started = time.time()
    svc.kill("a")
    svc.kill("a")  # twice is harmless
    event = final(wait_events(svc, exited("a")), "a")
    assert event.killed and event.exit_code == 128 + signal.SIGTERM
    assert time.time() - started < 5
    assert len(fake_slurm.calls("scancel")) == 1


def test_kill_queued_job_ends_it_without_start(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    fake_slurm.hold()
    svc = service()
    svc.start(launch(tmp_path, "a", "true"))
    svc.kill("a")
    events = wait_events(svc, exited("a"))
    assert kinds(events, "a") == [EventKind.EXITED]
    event = final(events, "a")
    assert event.killed and event.exit_code is None and "cancelled while queued" in event.message


def test_max_trial_duration_cancels_the_job(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    svc.start(launch(tmp_path, "a", "sleep 30", max_duration=0.5))
    event = final(wait_events(svc, exited("a")), "a")
    assert event.timed_out and not event.killed and "maxTrialDuration" in event.message


def test_no_exit_file_falls_back_to_slurm_exit_code(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    # the command kills the job script itself, so nothing records the exit status
    svc.start(launch(tmp_path, "a", "kill -9 $PPID; sleep 1"))
    event = final(wait_events(svc, exited("a")), "a")
    assert event.exit_code == -9 and "signal 9" in event.message
    assert not (tmp_path / "exp" / "trials" / "a" / protocol.EXIT_FILE).exists()


def test_job_forgotten_by_slurm_without_exit_file(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    svc.start(launch(tmp_path, "a", "kill -9 $PPID"))
    job_id = svc.handle("a")["job_id"]
    fake_slurm.forget(job_id)
    event = final(wait_events(svc, exited("a")), "a")
    assert event.exit_code is None and "gone" in event.message


def test_squeue_failure_is_retried_not_fatal(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    (fake_slurm.root / "squeue_fail").touch()
    svc = service()
    svc.start(launch(tmp_path, "a", "sleep 0.3; exit 5"))
    time.sleep(0.4)
    events = wait_events(svc, exited("a"))  # the exit file is enough
    assert final(events, "a").exit_code == 5


def test_sbatch_failure_fails_the_trial_and_the_service_after_repeats(
    tmp_path: Path, fake_slurm: FakeSlurm
) -> None:
    fake_slurm.fail_sbatch("sbatch: error: invalid partition specified: nope")
    svc = service(concurrency=5)
    for name in ("a", "b"):
        svc.start(launch(tmp_path, name, "true"))
    assert svc.free_slots() == 3  # until the failures are reported
    events = svc.poll()
    assert [(e.trial_id, e.kind, e.exit_code) for e in events] == [
        ("a", EventKind.EXITED, None),
        ("b", EventKind.EXITED, None),
    ]
    assert "invalid partition specified: nope" in events[0].message
    assert svc.free_slots() == 5
    svc.start(launch(tmp_path, "c", "true"))
    assert svc.free_slots() == 0  # third failure in a row, none accepted
    assert [e.trial_id for e in svc.poll()] == ["c"]  # the failed trial is reported first
    with pytest.raises(ServiceError, match="3 submissions failed.*invalid partition"):
        svc.poll()
    assert svc.poll() == []  # raised once; the manager can then stop


def test_sbatch_failures_after_a_success_are_not_fatal(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    svc.start(launch(tmp_path, "ok", "true"))
    fake_slurm.fail_sbatch("sbatch: error: QOSMaxSubmitJobPerUserLimit")
    for name in ("a", "b", "c", "d"):
        svc.start(launch(tmp_path, name, "true"))
    events = wait_events(svc, exited("ok", "a", "b", "c", "d"))
    assert (
        final(events, "d").exit_code is None and "QOSMaxSubmitJobPerUserLimit" in final(events, "d").message
    )
    assert final(events, "ok").exit_code == 0
    assert svc.free_slots() == 4


def test_unwritable_trial_directory_is_a_clear_error(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    bad = launch(tmp_path, "a", "true")
    bad.trial_dir = tmp_path / "not-there" / "a"
    svc.start(bad)
    (event,) = svc.poll()
    assert event.kind == EventKind.EXITED and event.exit_code is None
    with pytest.raises(ServiceError, match="must be writable and on a filesystem shared"):
        svc.poll()
    assert fake_slurm.calls("sbatch") == []


def test_from_settings_without_sbatch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServiceError, match="'sbatch' is not on PATH"):
        SlurmService.from_config(
            config_of(tmp_path, {"trialConcurrency": 1, "trainingService": {"platform": "slurm"}})
        )


def test_adopt_takes_back_queued_and_running_jobs(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    first = service()
    running = launch(tmp_path, "running", "sleep 30")
    first.start(running)
    wait_events(first, lambda ev: EventKind.STARTED in kinds(ev, "running"))
    assert first.handle("running")["started"] is True
    fake_slurm.hold()
    first.start(launch(tmp_path, "queued", "exit 4"))
    handle = first.handle("queued")
    first.close()

    second = service()
    assert second.adopt(launch(tmp_path, "queued", "exit 4"), handle)
    # no handle stored: the job id is read from the trial directory
    assert second.adopt(running, {})
    assert second.free_slots() == 2
    fake_slurm.release()
    second.kill("running")
    events = wait_events(second, exited("queued", "running"))
    assert kinds(events, "queued") == [EventKind.STARTED, EventKind.EXITED]
    assert final(events, "queued").exit_code == 4
    assert kinds(events, "running") == [EventKind.EXITED] and final(events, "running").killed


def test_adopt_refuses_unknown_or_finished_jobs(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    assert not svc.adopt(launch(tmp_path, "never", "true"), {})
    assert not svc.adopt(launch(tmp_path, "unknown", "true"), {"job_id": "999999"})
    done = launch(tmp_path, "done", "exit 2")
    svc.start(done)
    handle = svc.handle("done")
    wait_events(svc, exited("done"))
    assert not service().adopt(done, handle)  # it left its exit status: the manager settles it
    assert svc.free_slots() == 4


def test_a_failed_scancel_is_tried_again_once_slurm_answers(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service()
    svc.start(launch(tmp_path, "a", "sleep 30"))
    wait_events(svc, lambda ev: EventKind.STARTED in kinds(ev, "a"))
    (fake_slurm.root / "scancel_fail").touch()  # the controller is down when the stop comes
    svc.kill("a")
    assert svc.jobs["a"].cancel_failed
    (fake_slurm.root / "scancel_fail").unlink()
    event = final(wait_events(svc, exited("a")), "a")
    assert event.killed and len(fake_slurm.calls("scancel")) == 2


def test_adopted_jobs_keep_their_clock_and_one_cancelled_in_the_queue_never_ran(
    tmp_path: Path, fake_slurm: FakeSlurm
) -> None:
    first = service()
    running = launch(tmp_path, "running", "sleep 30", max_duration=60.0)
    first.start(running)
    wait_events(first, lambda ev: EventKind.STARTED in kinds(ev, "running"))
    fake_slurm.hold()
    queued = launch(tmp_path, "queued", "exit 4")
    first.start(queued)
    handles = {t: first.handle(t) for t in ("running", "queued")}
    first.close()
    time.sleep(1.2)  # the manager is down; the queued job is cancelled from outside meanwhile
    cancelled = fake_slurm.root / "jobs" / f"{handles['queued']['job_id']}.cancel"
    cancelled.touch()

    second = service()
    assert second.adopt(running, handles["running"]) and second.adopt(queued, handles["queued"])
    # maxTrialDuration counts from the job's start (squeue's time used), not from the adoption
    since = second.jobs["running"].run_since
    assert since is not None and time.monotonic() - since >= 1.0
    assert not second.jobs["queued"].started
    events = wait_events(second, exited("queued"))
    assert kinds(events, "queued") == [EventKind.EXITED]  # no STARTED: it never ran
    assert final(events, "queued").message == f"Slurm job {handles['queued']['job_id']} ended CANCELLED"
    fake_slurm.release()
    second.kill("running")
    wait_events(second, exited("running"))


def test_a_submission_to_a_controller_that_is_down_is_tried_again(
    tmp_path: Path, fake_slurm: FakeSlurm
) -> None:
    down = "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)"
    fake_slurm.fail_sbatch(down)
    svc = service(concurrency=2)
    svc.start(launch(tmp_path, "a", "exit 0"))
    svc.start(launch(tmp_path, "b", "exit 0"))
    assert svc.poll() == [] and svc.free_slots() == 0  # no trial failed; their slots are kept
    svc.kill("b")  # a stop meanwhile: it never reaches Slurm
    assert [(e.trial_id, e.killed) for e in svc.poll()] == [("b", True)]
    fake_slurm.fail_sbatch(None)  # the controller is back
    events = wait_events(svc, exited("a"))
    assert final(events, "a").exit_code == 0 and len(fake_slurm.calls("sbatch")) >= 2
    assert svc.free_slots() == 2 and svc.poll() == []  # nothing left waiting, nothing failed


def test_events_carry_the_jobs_own_start_and_end_times(tmp_path: Path, fake_slurm: FakeSlurm) -> None:
    svc = service(poll_interval=0.5)  # a look every half second: the times must not be the looks'
    trial = launch(tmp_path, "a", "sleep 1.2")
    before = time.time()
    svc.start(trial)
    events = wait_events(svc, exited("a"))
    started = next(e for e in events if e.kind == EventKind.STARTED)
    ended = final(events, "a")
    written = float((trial.trial_dir / "slurm_started").read_text())
    assert started.time == written and int(before) <= written <= time.time()
    assert ended.time == (trial.trial_dir / protocol.EXIT_FILE).stat().st_mtime
    assert 1.0 <= ended.time - written <= 3.0  # the job's 1.2 s (the start is in whole seconds)
