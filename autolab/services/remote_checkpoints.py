"""Checkpoints on remote machines, for the tuners that hand trials checkpoint directories (PBTTuner,
ASHA's promotion mode: NNI's `load_checkpoint_dir` and `save_checkpoint_dir` parameters).

Their default `all_checkpoint_dir` is `checkpoint/` in the experiment's directory, a path on the
manager's machine. On a machine the experiment's directory is `<root>/<experiment id>`, so a
parameter that names a path under the local experiment directory is handed to the trial as the
same path under the machine's (`localize`); the store, the export and the web UI keep the path the
tuner gave. Machines do not share a disk: a trial that loads a checkpoint another machine saved (a
PBT member exploiting a member that ran elsewhere, a promotion placed on another machine) has it
copied first, machine to machine over the two SSH connections (`bring`; nothing is kept on the
manager). A path outside the experiment directory (an all_checkpoint_dir the user gave) is used as
it is on every machine: a folder they share, as NNI requires.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .remote_ssh import SSH_FAILED, Result

if TYPE_CHECKING:
    from .remote_machines import Machine

LOAD, SAVE = "load_checkpoint_dir", "save_checkpoint_dir"
COPY_TIMEOUT = 3600.0  # seconds for one checkpoint's copy between two machines

# $1 a folder: says whether it is there
HAS = '[ -d "$1" ] && echo HAVE; exit 0'
# $1 a folder: its contents as a tar on stdout
PACK = 'cd "$1" && exec tar -cf - .'
# $1 a folder: stdin (a tar) unpacked into it; complete or not there at all
UNPACK = """
part="$1.part-$$"
mkdir -p "$part" && tar -xf - -C "$part" || { rm -rf "$part"; exit 3; }
rm -rf "$1" && mv "$part" "$1"
"""
# one copy at a time of a folder to a machine: trials that load the same checkpoint there (PBT members
# that copy the same top member) wait for the first copy, then find it
_copying: dict[tuple[str, str], threading.Lock] = {}
_copying_guard = threading.Lock()


def on_machine(path: str, local_dir: str, machine_dir: str) -> str:
    """`path` as a machine has it: under its copy of the experiment directory when it is under the
    local one, else as it is."""
    local, machine = local_dir.rstrip("/"), machine_dir.rstrip("/")
    if path == local:
        return machine
    return machine + path[len(local) :] if path.startswith(local + "/") else path


def localize(parameters: bytes, local_dir: str, machine_dir: str) -> tuple[bytes, str]:
    """The trial's parameter.json with each top-level path under `local_dir` moved under
    `machine_dir`, and the checkpoint folder it loads as the tuner gave it ('' when none, or when it
    is the folder it saves to)."""
    try:
        values = json.loads(parameters) if parameters else None
    except ValueError:
        return parameters, ""
    if not isinstance(values, dict):
        return parameters, ""
    moved = {k: on_machine(v, local_dir, machine_dir) if isinstance(v, str) else v for k, v in values.items()}
    load = values.get(LOAD)
    if not isinstance(load, str) or load == values.get(SAVE):  # PBT's first generation: its own, new
        load = ""
    return (parameters if moved == values else json.dumps(moved).encode()), load


def checkpoint_dirs(parameters: bytes) -> tuple[str, str]:
    """The checkpoint folders a trial (its parameter.json) loads and saves, as the tuner named them
    ('' when none): the service puts a trial on the machine that saved what it loads."""
    try:
        values = json.loads(parameters) if parameters else None
    except ValueError:
        return "", ""
    if not isinstance(values, dict):
        return "", ""
    load, save = values.get(LOAD), values.get(SAVE)
    return (load if isinstance(load, str) else ""), (save if isinstance(save, str) else "")


def bring(folder: str, local_dir: str, target: Machine, machines: Sequence[Machine]) -> tuple[bool, str]:
    """(worker thread) Make the checkpoint `folder` (as the tuner gave it) present on `target`:
    copied from the first other machine that has it. Returns whether the trial may start, and what
    was done or went wrong ('' when the folder was there already, or is nowhere yet, as a first
    generation's checkpoint is). A checkpoint that could not be copied, or may be on a machine that
    is down, stops the trial from starting: it would otherwise train from scratch, silently."""
    there = on_machine(folder, local_dir, target.directory)
    with _copying_guard:
        lock = _copying.setdefault((target.name, there), threading.Lock())
    with lock:
        return _bring(folder, local_dir, target, there, machines)


def _bring(
    folder: str, local_dir: str, target: Machine, there: str, machines: Sequence[Machine]
) -> tuple[bool, str]:
    if _has(target, there):
        return True, ""
    unreachable = []
    for source in machines:
        if source is target:
            continue
        if not source.up:
            unreachable.append(source.name)
            continue
        held = on_machine(folder, local_dir, source.directory)
        if not _has(source, held):
            continue
        result = copy(source, held, target, there)
        if result.returncode != 0:
            return False, f"checkpoint {folder} not copied from {source.name}: {result.error()}"
        return True, f"checkpoint {folder} copied from {source.name} to {target.name}"
    if unreachable:
        return False, f"checkpoint {folder} is on no machine that answers (down: {', '.join(unreachable)})"
    return True, ""


def _has(machine: Machine, folder: str) -> bool:
    result = machine.ssh.run(HAS, [folder])
    return result.returncode == 0 and b"HAVE" in result.stdout


def copy(source: Machine, held: str, target: Machine, there: str, timeout: float = COPY_TIMEOUT) -> Result:
    """Stream the folder `held` on source to `there` on target: `tar` on one, piped through the manager into `tar` on
    the other. The copy lands whole or not at all."""
    for machine in (source, target):
        connected = machine.ssh.connect()
        if connected.ssh_failed:
            return connected
    # both machines' channels, taken in one order for every copy: two copies in opposite directions
    # never wait on each other
    first, second = sorted((source, target), key=lambda m: m.name)
    with first.ssh.channels, second.ssh.channels:
        try:
            sender = subprocess.Popen(
                source.ssh.command(PACK, [held]),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=source.ssh.env(),
            )
        except OSError as exc:
            return Result(SSH_FAILED, b"", f"cannot run ssh: {exc.strerror or exc}")
        try:
            assert sender.stdout is not None
            try:
                receiver = subprocess.run(
                    target.ssh.command(UNPACK, [there]),
                    stdin=sender.stdout,
                    capture_output=True,
                    env=target.ssh.env(),
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return Result(SSH_FAILED, b"", f"copy not done within {timeout:g} s")
            except OSError as exc:
                return Result(SSH_FAILED, b"", f"cannot run ssh: {exc.strerror or exc}")
            sender.stdout.close()
            sent = sender.wait(timeout=60)
            said = sender.stderr.read().decode("utf-8", "replace") if sender.stderr is not None else ""
        finally:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
            for stream in (sender.stdout, sender.stderr):
                if stream is not None:
                    stream.close()
    if sent != 0:
        return Result(sent, b"", said or f"reading it on {source.name} failed (exit code {sent})")
    return Result(receiver.returncode, receiver.stdout, receiver.stderr.decode("utf-8", "replace"))
