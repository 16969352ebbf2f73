"""What the Slurm service says to Slurm and reads back: the job script, sbatch's argv, and the
parsing of squeue / scontrol / sacct output (pure functions, tested on their own), and `run_command`,
the one place a Slurm command is run (a failure comes back as a result, never raised)."""

from __future__ import annotations

import math
import shlex
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import protocol

if TYPE_CHECKING:
    from .base import Launch

SCRIPT_FILE = "slurm_job.sh"  # the batch script, in the trial directory
JOB_ID_FILE = "slurm_job_id"  # the job id, so a human (and adopt) can find the job
STARTED_FILE = "slurm_started"  # when the job started (epoch seconds), written by the job script

# squeue's %T states, grouped by what they mean for a trial.
PENDING_STATES = frozenset(
    {
        "PENDING",
        "CONFIGURING",
        "REQUEUED",
        "REQUEUE_HOLD",
        "REQUEUE_FED",
        "RESV_DEL_HOLD",
        "SPECIAL_EXIT",
    }
)
ENDED_STATES = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "OUT_OF_MEMORY",
        "REVOKED",
    }
)
# Anything else (RUNNING, COMPLETING, SUSPENDED, STAGE_OUT, SIGNALING, ...) has left the queue.

SQUEUE_FORMAT = "%i|%T|%r|%M"  # id, state, reason, time used (a job adopted at resume keeps its clock)

# The batch script runs the user's command as the local service does (through bash, in the code
# directory) and records its exit status in the trial directory, so the status is known without
# Slurm accounting. The command runs in the background so that the TERM Slurm sends on scancel or
# at the time limit reaches it while this shell stays alive to write the status.
_SCRIPT = """#!/bin/bash
# autolab trial {trial_id} (experiment {experiment}); submitted with:
#   {sbatch}
{exports}
exit_file={exit_file}
date +%s > {started_file} 2>/dev/null
record() {{ printf '%s\\n' "$1" > "$exit_file.tmp" && mv -f "$exit_file.tmp" "$exit_file"; }}
cd {code_dir} || {{ echo "autolab: cannot cd to {code_dir_text}" >&2; record 127; exit 127; }}
"${{BASH:-bash}}" -c {command} </dev/null &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
wait "$child"; rc=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
record "$rc"
exit "$rc"
"""


@dataclass(frozen=True)
class JobState:
    """One line of squeue, or what scontrol / sacct say about an ended job."""

    job_id: str
    state: str  # e.g. PENDING, RUNNING, COMPLETED (squeue's %T, without scontrol's " by 123" suffix)
    reason: str = ""
    exit_code: int | None = None  # from Slurm's ExitCode=code:signal (a signal gives -signal)
    elapsed: float | None = None  # seconds it has run (squeue's %M), None when not said

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def ended(self) -> bool:
        return self.state in ENDED_STATES


def slurm_time(seconds: float) -> str:
    """A duration as sbatch's --time takes it, rounded up to whole minutes: [D-]HH:MM:00."""
    minutes = max(1, math.ceil(seconds / 60.0 - 1e-9))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours:02d}:{minutes:02d}:00"
    return f"{days}-{text}" if days else text


def job_name(experiment: str, trial_id: str) -> str:
    return f"autolab-{experiment}-{trial_id}" if experiment else f"autolab-{trial_id}"


def _filename(path: Path) -> str:
    # sbatch expands %j, %x ... in -o / -e; a literal % is written %%
    return str(path).replace("%", "%%")


def sbatch_argv(
    trial_dir: Path,
    code_dir: Path,
    name: str,
    *,
    partition: str | None = None,
    gres: str | None = None,
    time_limit: str | None = None,
    extra: list[str] | None = None,
    sbatch: str = "sbatch",
) -> list[str]:
    """sbatch's argv for one trial; the user's sbatchArgs come last so they win over ours."""
    argv = [
        sbatch,
        "--parsable",
        f"--job-name={name}",
        f"--chdir={code_dir}",
        f"--output={_filename(trial_dir / protocol.STDOUT_FILE)}",
        f"--error={_filename(trial_dir / protocol.STDERR_FILE)}",
        # autolab decides what runs again (resume re-runs a lost trial): a job Slurm requeued after a
        # node failure would run a second time after its trial was recorded FAILED
        "--no-requeue",
    ]
    if partition:
        argv.append(f"--partition={partition}")
    if gres:
        argv.append(f"--gres={gres}")
    if time_limit:
        argv.append(f"--time={time_limit}")
    argv.extend(extra or [])
    argv.append(str(trial_dir / SCRIPT_FILE))
    return argv


def job_script(
    trial_id: str,
    experiment: str,
    command: str,
    code_dir: Path,
    trial_dir: Path,
    env: dict[str, str],
    sbatch: list[str],
) -> str:
    exports = "\n".join(f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items()))
    return _SCRIPT.format(
        trial_id=trial_id,
        experiment=experiment or "-",
        sbatch=shlex.join(sbatch).replace("\n", " "),
        exports=exports,
        exit_file=shlex.quote(str(trial_dir / protocol.EXIT_FILE)),
        started_file=shlex.quote(str(trial_dir / STARTED_FILE)),
        code_dir=shlex.quote(str(code_dir)),
        code_dir_text=str(code_dir).replace('"', "'").replace("$", ""),
        command=shlex.quote(command),
    )


def parse_job_id(stdout: str) -> str | None:
    """sbatch --parsable prints `jobid` or `jobid;cluster`; None when there is no id."""
    for line in stdout.strip().splitlines()[::-1]:
        head = line.strip().split(";", 1)[0]
        if head.isdigit():
            return head
    return None


def parse_squeue(stdout: str) -> dict[str, JobState]:
    """Lines of `squeue -h -o "%i|%T|%r|%M"` by job id (the time used may be missing)."""
    states: dict[str, JobState] = {}
    for line in stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 2 and parts[0]:
            elapsed = parse_elapsed(parts[-1]) if len(parts) >= 4 else None
            reason = "|".join(parts[2:-1] if len(parts) >= 4 else parts[2:]).strip()
            states[parts[0]] = JobState(parts[0], parts[1].strip().upper(), reason, elapsed=elapsed)
    return states


def parse_elapsed(text: str) -> float | None:
    """squeue's %M ([days-][hours:]minutes:seconds) in seconds; None when it is not that."""
    days, _, clock = text.strip().rpartition("-")
    try:
        fields = [int(x) for x in clock.split(":")]
        whole_days = int(days) if days else 0
    except ValueError:
        return None
    if not 1 <= len(fields) <= 3:
        return None
    seconds = 0
    for value in fields:
        seconds = seconds * 60 + value
    return float(whole_days * 86400 + seconds)


def exit_code_of(text: str) -> int | None:
    """Slurm's ExitCode `code:signal` -> the code, or -signal when a signal ended it."""
    try:
        code, _, signal = text.strip().partition(":")
        sig = int(signal or 0)
        return -sig if sig else int(code)
    except ValueError:
        return None


def parse_scontrol(job_id: str, stdout: str) -> JobState | None:
    """`scontrol show job -o ID` (key=value pairs on one line)."""
    fields: dict[str, str] = {}
    for token in stdout.split():
        key, sep, value = token.partition("=")
        if sep and key not in fields:
            fields[key] = value
    if "JobState" not in fields:
        return None
    return JobState(
        job_id, fields["JobState"].upper(), fields.get("Reason", ""), exit_code_of(fields.get("ExitCode", ""))
    )


def parse_sacct(job_id: str, stdout: str) -> JobState | None:
    """`sacct -n -P -X -j ID -o JobID,State,ExitCode`; the last line for the job wins (requeues)."""
    found = None
    for line in stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 3 and parts[0].split(";")[0] == job_id:
            state = parts[1].split()[0].upper() if parts[1].strip() else ""
            found = JobState(job_id, state, "", exit_code_of(parts[2]))
    return found


Runner = Callable[[Sequence[str], float], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a Slurm command; a missing binary or a hang comes back as a failed result, never raises."""
    try:
        return subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
    except OSError as exc:
        return subprocess.CompletedProcess(
            list(argv), 127, "", f"cannot run {argv[0]}: {exc.strerror or exc}"
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            list(argv), 124, "", f"{argv[0]} did not answer within {timeout:g} s"
        )


def one_line(text: str) -> str:
    """The last three lines of a command's output on one line (a trial's message)."""
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:500]


def write_job_files(launch: Launch, experiment: str, argv: Sequence[str]) -> None:
    """The job script and the command file, in the trial directory (OSError when it is not writable)."""
    (launch.trial_dir / SCRIPT_FILE).write_text(
        job_script(
            launch.trial_id,
            experiment,
            launch.command,
            launch.code_dir,
            launch.trial_dir,
            launch.env,
            list(argv),
        ),
        encoding="utf-8",
    )
    (launch.trial_dir / protocol.COMMAND_FILE).write_text(
        f"#!/bin/sh\n# run in {launch.code_dir} by {launch.trial_dir / SCRIPT_FILE}\n{launch.command}\n",
        encoding="utf-8",
    )
