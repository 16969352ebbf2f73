"""The TrainingService contract: every service (local, Slurm, remote) must pass these.

Slurm runs against the fake commands in slurm_fake.py (jobs really run); the real cluster is
tested in tests/e2e/slurm. Remote runs on two real sshd machines on loopback (sshd.py).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autolab import protocol
from autolab.services.base import Event, EventKind, Launch, TrainingService
from autolab.services.local import LocalService
from autolab.services.remote import RemoteService
from autolab.services.slurm import SlurmService

from .slurm_fake import installed
from .waiting import held, release, wait_ready, wait_until


@pytest.fixture(params=["local", "slurm", "remote"])
def make_service(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[int], TrainingService]]:
    if request.param == "local":
        yield lambda n: LocalService(concurrency=n, kill_grace=1.0)
        return
    if request.param == "remote":
        machines = request.getfixturevalue("two_machines")

        def remote(n: int) -> TrainingService:
            configs = [m.config() for m in machines]
            service = RemoteService(configs, n, "exp", tmp_path / "ssh", poll_interval=0.1, kill_grace=1.0)
            wait_until(lambda: service.poll() == [] and all(m.up for m in service.machines), 60, "machines")
            return service

        yield remote
        return
    for _ in installed(tmp_path / "slurm", monkeypatch):
        yield lambda n: SlurmService(n, poll_interval=0.1, exit_grace=0.5)


def launch(tmp_path: Path, trial_id: str, code: str, **kwargs: object) -> Launch:
    trial_dir = tmp_path / "exp" / "trials" / trial_id
    trial_dir.mkdir(parents=True, exist_ok=True)
    env = {protocol.ENV_TRIAL_DIR: str(trial_dir), protocol.ENV_TRIAL_ID: trial_id}
    return Launch(trial_id, 0, trial_dir, f"{sys.executable} -c '{code}'", tmp_path, env, **kwargs)  # type: ignore[arg-type]


def events_until(
    service: TrainingService, done: Callable[[list[Event]], bool], timeout: float = 60
) -> list[Event]:
    seen: list[Event] = []

    def poll() -> bool:
        seen.extend(service.poll())
        return done(seen)

    try:
        wait_until(poll, timeout, "the events")
    except AssertionError:
        raise AssertionError(f"timed out after {timeout:g} s; events: {seen}") from None
    return seen


def exited(*ids: str) -> Callable[[list[Event]], bool]:
    return lambda events: {e.trial_id for e in events if e.kind == EventKind.EXITED} >= set(ids)


def test_started_then_exited_with_code_output_and_env(
    tmp_path: Path, make_service: Callable[[int], TrainingService]
) -> None:
    service = make_service(2)
    code = 'import os, sys; print(os.environ["AUTOLAB_TRIAL_ID"]); sys.exit(3)'
    service.start(launch(tmp_path, "a", code))
    events = events_until(service, exited("a"))
    # QUEUED (a cluster's queue reason, e.g. Slurm's "Priority" while its node wakes up) may come first:
    # it says why a trial waits, nothing about how it ran
    kinds = [e.kind for e in events if e.trial_id == "a" and e.kind != EventKind.QUEUED]
    assert kinds == [EventKind.STARTED, EventKind.EXITED]
    end = events[-1]
    assert end.exit_code == 3 and not end.killed
    assert (tmp_path / "exp" / "trials" / "a" / protocol.STDOUT_FILE).read_text().strip() == "a"
    assert (tmp_path / "exp" / "trials" / "a" / protocol.EXIT_FILE).read_text().strip() == "3"


def test_free_slots_follow_concurrency(
    tmp_path: Path, make_service: Callable[[int], TrainingService]
) -> None:
    service = make_service(2)
    assert service.free_slots() == 2
    trials = tmp_path / "exp" / "trials"
    service.start(launch(tmp_path, "a", held(trials / "a")))
    service.start(launch(tmp_path, "b", held(trials / "b")))
    assert service.free_slots() == 0
    service.set_concurrency(3)
    assert service.free_slots() == 1
    release(trials / "a")
    release(trials / "b")
    events_until(service, exited("a", "b"))
    assert service.free_slots() == 3


def test_kill_ends_the_trial_marked_killed(
    tmp_path: Path, make_service: Callable[[int], TrainingService]
) -> None:
    service = make_service(1)
    service.start(launch(tmp_path, "k", "import time; time.sleep(60)"))
    events_until(service, lambda ev: any(e.kind == EventKind.STARTED for e in ev))
    started = time.time()
    service.kill("k")
    events = events_until(service, exited("k"))
    assert events[-1].killed
    assert time.time() - started < 20


def test_max_duration_is_enforced(tmp_path: Path, make_service: Callable[[int], TrainingService]) -> None:
    service = make_service(1)
    service.start(launch(tmp_path, "d", "import time; time.sleep(60)", max_duration=1.0))
    events = events_until(service, exited("d"))
    assert events[-1].timed_out


def test_handle_lets_a_new_service_adopt_a_running_trial(
    tmp_path: Path, make_service: Callable[[int], TrainingService]
) -> None:
    first = make_service(1)
    trial = launch(tmp_path, "r", held(tmp_path / "exp" / "trials" / "r"))
    first.start(trial)
    events_until(first, lambda ev: any(e.kind == EventKind.STARTED for e in ev))
    wait_ready(trial.trial_dir)
    handle = first.handle("r")
    assert handle, "a running trial must have a handle to find it again"
    second = make_service(1)
    assert second.adopt(trial, handle)
    assert second.free_slots() == 0
    release(trial.trial_dir)
    events = events_until(second, exited("r"))
    assert [e for e in events if e.kind == EventKind.EXITED][0].exit_code == 0
