"""Slurm training service: each trial is one batch job (sbatch), watched with squeue.

The job script (written into the trial directory) records the command's exit status in the trial
directory itself, so a trial's status is right even when Slurm accounting is off or the manager
was down when the job ended; squeue / scontrol / sacct are asked only for what the file cannot
say (queued or running, killed before it could write, time limit). Slurm is asked at most once
per pollInterval, not on every turn of the manager's loop.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import protocol
from .base import Event, EventKind, Launch, ServiceError, TrainingService
from .slurm_commands import (
    JOB_ID_FILE,
    SCRIPT_FILE,
    SQUEUE_FORMAT,
    STARTED_FILE,
    JobState,
    Runner,
    job_name,
    one_line,
    parse_job_id,
    parse_sacct,
    parse_scontrol,
    parse_squeue,
    run_command,
    sbatch_argv,
    slurm_time,
    write_job_files,
)

if TYPE_CHECKING:
    from ..config.model import ExperimentConfig

log = logging.getLogger("autolab.services.slurm")

COMMAND_TIMEOUT = 60.0  # seconds for one sbatch / squeue / scancel call
MAX_SUBMIT_FAILURES = 3  # this many failed submissions in a row, none ever accepted: stop
EXIT_FILE_GRACE = 10.0  # seconds to wait for the exit file of an ended job (shared filesystems lag)
SUBMIT_RETRY_FOR = 600.0  # seconds a submission is retried while the controller cannot be reached
# sbatch's words for a controller that did not take the job (down, or busy and saying so): the
# submission is retried, the slot kept. Not a timeout: the job may have been taken (no duplicate).
TRANSIENT = ("unable to contact slurm controller", "temporarily unable to accept job")


@dataclass
class _Job:
    launch: Launch
    job_id: str
    started: bool = False  # seen out of the queue (STARTED sent)
    run_since: float | None = None  # monotonic time it was first seen running
    killed: bool = False
    timed_out: bool = False
    ended_since: float | None = None  # monotonic time Slurm first said it ended (or forgot it)
    last_reason: str = ""
    cancel_failed: bool = False  # scancel did not go through (controller down): tried again


class SlurmService(TrainingService):
    def __init__(
        self,
        concurrency: int,
        *,
        partition: str | None = None,
        gres: str | None = None,
        time_limit: str | None = None,
        sbatch_args: Sequence[str] = (),
        poll_interval: float = 5.0,
        runner: Runner = run_command,
        exit_grace: float = EXIT_FILE_GRACE,
        max_submit_failures: int = MAX_SUBMIT_FAILURES,
    ) -> None:
        self.concurrency = concurrency
        self.partition = partition
        self.gres = gres
        self.time_limit = time_limit
        self.sbatch_args = list(sbatch_args)
        self.poll_interval = poll_interval
        self.exit_grace = exit_grace
        self.max_submit_failures = max_submit_failures
        self._run = runner
        self.jobs: dict[str, _Job] = {}
        # trials whose sbatch met a controller that was down: (launch, sbatch argv, first try, next try)
        self._retry: dict[str, tuple[Launch, list[str], float, float]] = {}
        self._handles: dict[str, dict[str, Any]] = {}
        self._pending: list[Event] = []
        self._next_query = 0.0
        self._accepted = 0  # submissions Slurm ever accepted
        self._failures = 0  # failed submissions in a row
        self._fatal: str | None = None  # raised (once) from poll() after the failed trials are reported
        self._fatal_raised = False

    @classmethod
    def from_config(cls, config: ExperimentConfig) -> SlurmService:
        """Build from the experiment's config; ServiceError when this machine cannot submit jobs."""
        ts = config.training_service
        if shutil.which("sbatch") is None:
            raise ServiceError(
                "trainingService.platform slurm: 'sbatch' is not on PATH; run the manager "
                "on a machine with the Slurm client commands (sbatch, squeue, scancel)"
            )
        workdir = config.experiment_working_directory
        if workdir.is_dir() and not os.access(workdir, os.W_OK | os.X_OK):
            raise ServiceError(
                f"experimentWorkingDirectory {workdir} is not writable; with platform slurm it "
                "must be writable and on a filesystem shared with the compute nodes"
            )
        return cls(
            config.trial_concurrency,
            partition=ts.partition,
            gres=ts.gres,
            time_limit=ts.time,
            sbatch_args=ts.sbatch_args,
            poll_interval=ts.poll_interval,
        )

    # -- submitting ----------------------------------------------------------------------------
    def free_slots(self) -> int:
        if self._fatal is not None:
            return 0
        # a failed submission holds its slot until its EXITED event has been handed over
        return max(0, self.concurrency - len(self.jobs) - len(self._retry) - len(self._pending))

    def start(self, launch: Launch) -> None:
        experiment = launch.env.get(protocol.ENV_EXPERIMENT_ID, "")
        gres = self.gres or (f"gpu:{launch.gpu_number}" if launch.gpu_number > 0 else None)
        time_limit = self.time_limit or (slurm_time(launch.max_duration) if launch.max_duration else None)
        argv = sbatch_argv(
            launch.trial_dir,
            launch.code_dir,
            job_name(experiment, launch.trial_id),
            partition=self.partition,
            gres=gres,
            time_limit=time_limit,
            extra=self.sbatch_args,
        )
        script = launch.trial_dir / SCRIPT_FILE
        try:
            write_job_files(launch, experiment, argv)
        except OSError as exc:
            self._submit_failed(
                launch,
                f"cannot write the job script {script}: {exc.strerror or exc}; the "
                "experiment directory must be writable and on a filesystem shared "
                "with the compute nodes",
                fatal=True,
            )
            return
        self._submit(launch, argv, time.monotonic())

    def _submit(self, launch: Launch, argv: list[str], first_try: float) -> None:
        result = self._run(argv, COMMAND_TIMEOUT)
        job_id = parse_job_id(result.stdout) if result.returncode == 0 else None
        if job_id is None:
            message = one_line(result.stderr) or one_line(result.stdout) or f"exit code {result.returncode}"
            now = time.monotonic()
            if any(w in message.lower() for w in TRANSIENT) and now - first_try < SUBMIT_RETRY_FOR:
                wait = min(60.0, max(self.poll_interval, 2.0 * (now - first_try) or self.poll_interval))
                log.warning(
                    "trial %s: sbatch failed (%s); tried again in %.0f s", launch.trial_id, message, wait
                )
                self._retry[launch.trial_id] = (launch, argv, first_try, now + wait)
                return
            self._submit_failed(launch, f"sbatch failed: {message}", fatal=result.returncode == 127)
            return
        self._accepted += 1
        self._failures = 0
        try:
            (launch.trial_dir / JOB_ID_FILE).write_text(job_id + "\n", encoding="utf-8")
        except OSError:
            pass
        self.jobs[launch.trial_id] = _Job(launch, job_id)
        self._handles[launch.trial_id] = {"job_id": job_id}
        log.info("trial %s submitted as Slurm job %s", launch.trial_id, job_id)

    def _submit_failed(self, launch: Launch, message: str, fatal: bool = False) -> None:
        log.warning("trial %s: %s", launch.trial_id, message)
        self._failures += 1
        self._pending.append(Event(launch.trial_id, EventKind.EXITED, None, message))
        if self._fatal is None and (
            fatal or (self._accepted == 0 and self._failures >= self.max_submit_failures)
        ):
            times = "" if fatal else f" ({self._failures} submissions failed, none was accepted)"
            self._fatal = f"platform slurm cannot run trials{times}: {message}"

    # -- watching ------------------------------------------------------------------------------
    def poll(self) -> list[Event]:
        events, self._pending = self._pending, []
        if self._fatal is not None and not self._fatal_raised and not events:
            self._fatal_raised = True  # once: the manager then stops, and later polls must let it
            raise ServiceError(self._fatal)
        now = time.monotonic()
        for trial_id, (launch, argv, first_try, next_try) in list(self._retry.items()):
            if now >= next_try:  # the controller was down: submit the same job script again
                del self._retry[trial_id]
                self._submit(launch, argv, first_try)
        if self.jobs and now >= self._next_query:
            self._next_query = math.inf  # a cancel during the refresh may ask for an earlier look
            events.extend(self._refresh(now))
            # counted from the end of the look, so that a slow controller is not asked back to back
            self._next_query = min(self._next_query, time.monotonic() + self.poll_interval)
        return events

    def _refresh(self, now: float) -> list[Event]:
        events: list[Event] = []
        states = self._squeue([job.job_id for job in self.jobs.values()])
        again = [job for job in self.jobs.values() if job.cancel_failed]
        if again and states is not None:  # the controller answers again: cancel what it missed
            self._cancel(*again)
        for trial_id, job in list(self.jobs.items()):
            code = protocol.read_exit_status(job.launch.trial_dir)
            state = states.get(job.job_id) if states is not None else None
            if code is not None:
                events.extend(self._ended(trial_id, job, code, state))
                continue
            if states is None:
                continue  # Slurm did not answer: ask again at the next interval
            if state is None or state.ended:
                # give the job's own exit file time to appear, unless it never ran (cancelled in the queue)
                if job.ended_since is None:
                    job.ended_since = now
                never_ran = state is not None and state.state == "CANCELLED" and not job.started
                if never_ran:
                    events.extend(self._ended(trial_id, job, None, state))
                elif now - job.ended_since >= self.exit_grace:
                    code = protocol.read_exit_status(job.launch.trial_dir)
                    final = state if code is not None else self._final_state(job.job_id, state)
                    if code is None and final is not None:
                        code = final.exit_code
                    events.extend(self._ended(trial_id, job, code, final))
                continue
            if state.pending:
                reason = "" if state.reason == "None" else state.reason
                if reason != job.last_reason:
                    job.last_reason = reason
                    log.info("trial %s: Slurm job %s is queued (%s)", trial_id, job.job_id, reason)
                    events.append(
                        Event(
                            trial_id, EventKind.QUEUED, message=f"queued in Slurm: {reason}" if reason else ""
                        )
                    )
                continue
            if not job.started:
                job.started, job.run_since = True, now
                events.append(Event(trial_id, EventKind.STARTED, time=_script_start(job.launch.trial_dir)))
            limit = job.launch.max_duration
            if (
                limit is not None
                and not job.killed
                and job.run_since is not None
                and now - job.run_since > limit
            ):
                job.timed_out = True
                self._cancel(job)
        return events

    def _ended(self, trial_id: str, job: _Job, code: int | None, state: JobState | None) -> list[Event]:
        del self.jobs[trial_id]
        events = []
        cancelled_in_queue = (
            state is not None and state.state == "CANCELLED" and (job.killed or state.elapsed == 0)
        )
        if not job.started and not (cancelled_in_queue or (job.killed and state is None)):
            events.append(
                Event(trial_id, EventKind.STARTED, time=_script_start(job.launch.trial_dir))
            )  # ran between two looks
        slurm_state = state.state if state is not None else ""
        timed_out = job.timed_out or slurm_state in ("TIMEOUT", "DEADLINE")
        if job.timed_out and job.launch.max_duration is not None:
            message = f"killed after maxTrialDuration ({job.launch.max_duration:g} s)"
        elif timed_out:
            message = f"Slurm job {job.job_id} reached its time limit ({slurm_state})"
        elif job.killed and not job.started and slurm_state in ("CANCELLED", ""):
            message = f"Slurm job {job.job_id} cancelled while queued"
        elif state is None and code is None:
            message = f"Slurm job {job.job_id} is gone and left no exit status"
        elif slurm_state in ("NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "PREEMPTED", "REVOKED") or (
            slurm_state == "CANCELLED" and not job.killed
        ):
            # a cancelled job's reason is the one it waited in the queue for: not why it ended
            why = state.reason if state is not None and slurm_state != "CANCELLED" else ""
            message = f"Slurm job {job.job_id} ended {slurm_state}" + (
                f" ({why})" if why not in ("", "None") else ""
            )
        elif code is not None and code < 0:
            message = f"killed by signal {-code}"
        else:
            message = ""
        ended = protocol.exit_status_time(job.launch.trial_dir)  # when the job wrote it, not when seen
        events.append(
            Event(
                trial_id, EventKind.EXITED, code, message, killed=job.killed, timed_out=timed_out, time=ended
            )
        )
        return events

    def _squeue(self, job_ids: list[str]) -> dict[str, JobState] | None:
        """States of the given jobs (those Slurm still knows); None when squeue failed."""
        result = self._run(
            ["squeue", "-h", "-t", "all", "-j", ",".join(job_ids), "-o", SQUEUE_FORMAT], COMMAND_TIMEOUT
        )
        if result.returncode != 0:
            if "invalid job id" in result.stderr.lower():
                return {}  # every one of them has left squeue's memory
            log.warning("squeue failed: %s", one_line(result.stderr) or f"exit code {result.returncode}")
            return None
        return parse_squeue(result.stdout)

    def _final_state(self, job_id: str, seen: JobState | None) -> JobState | None:
        """How an ended job ended, with its exit code: scontrol (recent jobs), then sacct."""
        result = self._run(["scontrol", "show", "job", "-o", job_id], COMMAND_TIMEOUT)
        state = parse_scontrol(job_id, result.stdout) if result.returncode == 0 else None
        if state is None:
            result = self._run(
                ["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,State,ExitCode"], COMMAND_TIMEOUT
            )
            state = parse_sacct(job_id, result.stdout) if result.returncode == 0 else None
        return state or seen

    # -- control -------------------------------------------------------------------------------
    def kill(self, trial_id: str) -> None:
        if self._retry.pop(trial_id, None) is not None:  # never submitted
            self._pending.append(
                Event(trial_id, EventKind.EXITED, None, "cancelled before Slurm took it", killed=True)
            )
            return
        job = self.jobs.get(trial_id)
        if job is None or job.killed:
            return
        job.killed = True
        self._cancel(job)

    def _cancel(self, *jobs: _Job) -> None:
        """scancel the jobs; if it fails (the controller down), the next look that reaches Slurm tries
        again, so that a stop during an outage still ends them."""
        ids = [job.job_id for job in jobs]
        result = self._run(["scancel", *ids], COMMAND_TIMEOUT)
        # a job that has ended meanwhile is no failure to retry ("Invalid job id", "already completing")
        gone = any(w in result.stderr.lower() for w in ("invalid job id", "already complet"))
        for job in jobs:
            job.cancel_failed = result.returncode != 0 and not gone
        if result.returncode != 0:
            log.warning("scancel %s failed: %s", " ".join(ids), one_line(result.stderr))
        # look again soon: a cancelled job's end should not wait a whole pollInterval
        self._next_query = min(self._next_query, time.monotonic() + min(self.poll_interval, 1.0))

    def handle(self, trial_id: str) -> dict[str, Any]:
        job = self.jobs.get(trial_id)
        if job is None:
            return dict(self._handles.get(trial_id, {}))
        return {"job_id": job.job_id, "started": job.started}

    def started_at(self, trial_dir: Path) -> float | None:
        """When its job's script began (a job that started while no manager ran)."""
        return _script_start(trial_dir)

    def adopt(self, launch: Launch, handle: dict[str, Any]) -> bool:
        """Take back a job by id (from the handle, else the trial directory's slurm_job_id file)."""
        job_id = str(handle.get("job_id") or _read_text(launch.trial_dir / JOB_ID_FILE) or "")
        if not job_id or protocol.read_exit_status(launch.trial_dir) is not None:
            return False  # never submitted, or it ended and said how: the manager settles it
        states = self._squeue([job_id])
        elapsed = 0.0  # seconds the job has run, as Slurm says
        if states is None:
            log.warning(
                "adopting Slurm job %s of trial %s without checking it (squeue failed)",
                job_id,
                launch.trial_id,
            )
            started = bool(handle.get("started"))
        elif job_id in states:
            state = states[job_id]
            # a job still queued gets its STARTED event later; one cancelled in the queue while the
            # manager was down never ran (it used no time)
            started = not state.pending and not (state.ended and state.elapsed == 0)
            elapsed = state.elapsed or 0.0
        elif self._final_state(job_id, None) is None:
            return False  # Slurm does not know it
        else:
            started = True
        # its clock (maxTrialDuration) counts from the job's start, not from the adoption
        since = time.monotonic() - elapsed
        self.jobs[launch.trial_id] = _Job(
            launch, job_id, started=started, run_since=since if started else None
        )
        self._handles[launch.trial_id] = {"job_id": job_id}
        self._next_query = 0.0
        return True

    def close(self) -> None:
        """Queued and running jobs are left alone: a resumed manager adopts them."""


def _script_start(trial_dir: Path) -> float | None:
    """When the job's script began (it writes the time first), so a trial's duration is the job's,
    not rounded to pollInterval; None when it has not said."""
    text = _read_text(trial_dir / STARTED_FILE)
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
