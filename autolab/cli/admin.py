"""Commands that change or manage experiments (nnictl's management set): update, trial kill,
experiment status/delete/import, plus `top` and `log` (top.py, log.py).

A change goes through the running manager's REST API (autolab.client); when no manager runs it is
written to the store directly, so the next `autolab resume` starts from it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import json5

from .. import experiments
from ..client import STUDY, call
from ..config import (
    CONFIG_FILE,
    AlgorithmConfig,
    ConfigError,
    apply_update,
    config_from_dict,
    save_config,
    validate_update,
)
from ..errors import UserError
from ..experiments import ExperimentRef
from ..failfast import none_worked
from ..importing import BadImport, importable
from ..launcher import build_tuner
from ..progress import front_text, ran_out
from ..protocol import default_value, process_alive
from ..searchspace import SearchSpace, read_file
from ..services.orphans import kill_orphan
from ..statuses import ACTIVE, ExperimentStatus, TrialStatus
from ..tally import Tally, done_text
from ..timefmt import format_duration
from ..views import profile
from . import log, top
from .common import find_trial
from .tensorboard import stop_serving

UPDATE_KEYS = {
    "searchspace": "searchSpace",
    "concurrency": "trialConcurrency",
    "duration": "maxExperimentDuration",
    "trialnum": "maxTrialNumber",
}


def add_commands(sub: Any, groups: dict[str, Any]) -> None:
    upd = sub.add_parser("update", help="change a limit or the search space (running or stopped experiment)")
    upd_sub = upd.add_subparsers(dest="update_command", metavar="WHAT")
    upd_sub.required = True
    for what, key in UPDATE_KEYS.items():
        p = upd_sub.add_parser(what, help=f"set {key}")
        p.add_argument("id", nargs="?", help="experiment id (default: the running or latest one)")
        if what == "searchspace":
            p.add_argument("--filename", "-f", required=True, help="search_space.json (JSON5 allowed)")
        else:
            example = {"concurrency": "4", "duration": "30s, 10m, 1.5h, 2d", "trialnum": "100"}[what]
            p.add_argument("--value", "-v", required=True, help=f"new value (e.g. {example})")
        p.set_defaults(handler=cmd_update, update_key=key)

    trial_sub = groups["trial"]
    p = trial_sub.add_parser("kill", help="kill a running trial")
    p.add_argument("id", nargs="?", help="experiment id (default: the running or latest one)")
    p.add_argument("--trial_id", "--trial-id", "-T", dest="trial_id", required=True)
    p.set_defaults(handler=cmd_trial_kill)

    exp_sub = groups["experiment"]
    p = exp_sub.add_parser("status", help="the experiment's status, trial counts and progress")
    p.add_argument("id", nargs="?")
    p.add_argument("--json", action="store_true", help="JSON instead of text")
    p.set_defaults(handler=cmd_status)

    p = exp_sub.add_parser("delete", help="delete a stopped experiment: its directory and registry entry")
    p.add_argument("id", nargs="?")
    p.add_argument("--all", action="store_true", help="every experiment that is not running")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=cmd_delete)

    p = exp_sub.add_parser(
        "import", help="add finished trials (NNI's export shape) for the tuner to learn from"
    )
    p.add_argument("id", nargs="?")
    p.add_argument("--filename", "-f", required=True, help='JSON list of {"parameter": {...}, "value": ...}')
    p.set_defaults(handler=cmd_import)

    top.add_commands(sub)
    log.add_commands(sub)


# -- update ---------------------------------------------------------------------------------------
def parse_update_value(
    key: str, args: argparse.Namespace, tuner: AlgorithmConfig
) -> int | float | SearchSpace:
    """The new value for key from --value / --filename, checked; UserError naming the flag."""
    if key == "searchSpace":
        raw = read_file(args.filename)  # SearchSpaceError names the file
        try:
            return validate_update(key, raw, tuner)
        except ConfigError as exc:
            raise UserError(f"{args.filename}: {exc}") from None
    text = str(args.value).strip()
    try:  # the text of an integer is one here (the REST API takes JSON numbers only)
        value: int | str = int(text)
    except ValueError:
        value = text
    try:
        return validate_update(key, value, tuner)
    except ConfigError as exc:
        raise UserError(f"--value {args.value}: {exc}") from None


def cmd_update(args: argparse.Namespace) -> int:
    key = args.update_key
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        stored = store.get_meta("config") or {}
        if store.get_meta("study"):
            raise UserError(STUDY.format(id=ref.id))
    tuner = config_from_dict(stored, ref.directory / CONFIG_FILE).tuner
    value = parse_update_value(key, args, tuner)
    shown = "the search space" if key == "searchSpace" else f"{key} = {_show_value(key, value)}"
    if update_experiment(ref, key, value):
        print(f"Experiment {ref.id}: {shown} (applied now).")
    else:
        print(f"Experiment {ref.id}: {shown} (the experiment is not running; used when it is resumed).")
    return 0


def update_experiment(ref: ExperimentRef, key: str, value: Any) -> bool:
    """Apply a checked update (validate_update's value): to the running manager (True), else to the
    stored config, used when the experiment is resumed (False)."""
    if experiments.manager_alive(ref.directory):
        call(ref, "PUT", "/api/v1/experiment/params", {key: getattr(value, "raw", value)})
        return True
    with experiments.open_store(ref, readonly=False) as store:
        config = config_from_dict(store.get_meta("config") or {}, ref.directory / CONFIG_FILE)
        apply_update(config, key, value)
        if key == "searchSpace":
            build_tuner(config)  # the tuner must accept it (TunerError names the parameter)
        save_config(store, ref.directory, config)
    return False


def _show_value(key: str, value: int | float | SearchSpace) -> str:
    return format_duration(value) if isinstance(value, float) else str(value)


# -- trial kill -----------------------------------------------------------------------------------
def cmd_trial_kill(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        row = find_trial(store, ref, args.trial_id)
    trial_id = row.id
    if experiments.manager_alive(ref.directory):
        call(ref, "DELETE", f"/api/v1/trials/{trial_id}")
        print(f"Trial {trial_id} of experiment {ref.id} is being killed.")
        return 0
    if row.status not in ACTIVE:
        raise UserError(f"experiment {ref.id}: trial {trial_id} is not running ({row.status.value})")
    # the manager died and left this trial behind: kill its process group (or job, or remote
    # process) and record it
    message = "killed by autolab trial kill while the manager was not running"
    with experiments.open_store(ref, readonly=False) as store:
        if row.machine:  # on a remote machine: over SSH, owed to it when it does not answer
            from .remote_kill import kill_remote_trial  # not at the top: the CLI starts light

            killed, said = kill_remote_trial(store, ref.directory, row)
            message = f"{message}: {said}"
        else:
            killed = kill_orphan(row.handle)
            said = "killed" if killed else "marked cancelled (it had ended)"
        store.update_trial(trial_id, status=TrialStatus.USER_CANCELED, end_time=time.time(), message=message)
    print(f"Trial {trial_id} of experiment {ref.id} {said}.")
    return 0


# -- experiment status ----------------------------------------------------------------------------
def status_info(ref: ExperimentRef) -> dict[str, Any]:
    with experiments.open_store(ref) as store:
        info = profile(ref, store)
        # why trials wait, as a scheduler's queue said it (Slurm's reason): {message: trials}
        waiting = Counter(r.message for r in store.trial_rows(status=["WAITING"]) if r.message)
        # no trial worked yet: why the last one failed (read only then: it reads every trial)
        quiet = info["error"] or info["best"] or info.get("front")
        info["failing"] = None if quiet else none_worked(store, ref.directory)
    info["waiting"] = dict(waiting.most_common())
    info.pop("config", None)
    info["managerAlive"] = experiments.manager_alive(ref.directory)
    return info


def cmd_status(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    info = status_info(ref)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    counts = info["trialCounts"]
    running = info["trialTally"]["running"]
    limit = info["maxTrialNumber"]
    budget = info["maxExperimentDuration"]
    print(f"Experiment {ref.id}{' (' + info['name'] + ')' if info['name'] else ''}: {info['status']}")
    print(
        f"  trials:  {done_text(Tally(**info['trialTally']), limit)}"
        + (f" ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})" if counts else "")
    )
    print(
        f"  elapsed: {format_duration(info['elapsed'])}" + (f" / {format_duration(budget)}" if budget else "")
    )
    if info["best"]:
        best = info["best"]
        print(
            f"  best:    trial {best['trialJobId']} value {best['value']:.6g} {json.dumps(best['parameter'])}"
        )
    elif info.get("front"):
        print(f"  front:   {front_text(info['front'])}")
    if info.get("noMoreTrials"):
        print(f"  ended:   {ran_out(info).removeprefix('Ended early: ')}")
    for why, n in list(info["waiting"].items())[:3]:
        print(f"  waiting: {n} trial(s), {why}")
    if info["url"]:
        print(f"  web UI:  {info['url']}")
    if info["error"]:
        print(f"  error:   {info['error']}")
    if info["failing"]:
        print(f"  failing: {info['failing']}")
    for note in info.get("notes") or []:  # the training service's: a remote machine unreachable...
        print(f"  note:    {note}")
    stopped = info["status"] in (
        ExperimentStatus.STOPPED,
        ExperimentStatus.ERROR,
    )  # ERROR: e.g. a resume that failed
    if stopped and not info["managerAlive"] and running:
        print(f"  note:    its manager is not running; resume it with: autolab resume {ref.id}")
    return 0


# -- experiment delete ----------------------------------------------------------------------------
def cmd_delete(args: argparse.Namespace) -> int:
    if args.all:
        refs = [r for r in experiments.all_experiments() if not experiments.manager_alive(r.directory)]
        if not refs:
            print("No stopped experiment to delete.")
            return 0
    else:
        if args.id is None:
            raise UserError("give the id of the experiment to delete (or --all)")
        refs = [experiments.find(args.id)]
    for ref in refs:
        check_deletable(ref)
    if not args.yes:  # asked whatever stdin is (a pipe's "n" is an answer too); no answer deletes nothing
        names = ", ".join(r.id for r in refs)
        print(f"Delete experiment(s) {names} and all their files? [y/N] ", end="", flush=True)
        answer = sys.stdin.readline()
        if not answer:
            print()
            raise UserError("nothing deleted: no answer on stdin (pass --yes to delete without asking)")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 0
    for ref in refs:
        delete_experiment(ref)
        print(f"Experiment {ref.id} deleted ({ref.directory}).")
    return 0


def check_deletable(ref: ExperimentRef) -> None:
    if experiments.manager_alive(ref.directory):
        raise UserError(f"experiment {ref.id} is running; stop it first (autolab stop {ref.id})")
    try:
        store = experiments.open_store(ref)
    except experiments.ExperimentNotFound:
        return  # a store that cannot be read records no trials to wait for; deleting it is the way out
    with store:
        orphans = [r.id for r in store.trial_rows([TrialStatus.RUNNING]) if _orphan_alive(r.handle)]
    if orphans:
        raise UserError(
            f"experiment {ref.id} has trials still running ({', '.join(orphans)}) that its manager "
            f"left; stop them first (autolab stop {ref.id})"
        )


def _orphan_alive(handle: dict[str, Any]) -> bool:
    create_time = float(handle.get("create_time") or 0.0)
    return bool(create_time) and process_alive(int(handle.get("pid") or 0), create_time)


def delete_experiment(ref: ExperimentRef) -> None:
    """Rename the directory away (atomic: fails cleanly when it cannot be removed), drop the
    registry entry, then remove the files."""
    directory = ref.directory
    trash = directory.with_name(f".{directory.name}.deleting-{os.getpid()}")
    # its registry entry, unless the id is registered for another directory (a copy given as a path)
    own = [
        e
        for e in experiments.all_experiments()
        if e.id == ref.id and e.directory.resolve() == directory.resolve()
    ]
    if directory.exists():
        stop_serving(directory)  # its TensorBoard reads files about to go
        try:
            directory.rename(trash)
        except OSError as exc:
            raise UserError(f"experiment {ref.id}: cannot delete {directory}: {exc.strerror}") from None
    try:
        if own:
            experiments.unregister(ref.id)
    except Exception:
        if trash.exists():
            trash.rename(directory)  # put it back: nothing half-deleted
        raise
    if trash.exists():
        shutil.rmtree(trash, onerror=lambda *a: None)
        if trash.exists():
            print(
                f"autolab: warning: some files could not be removed; delete {trash} by hand", file=sys.stderr
            )


# -- experiment import ----------------------------------------------------------------------------
def load_import_file(filename: str, space: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Records in NNI's export shape, checked; UserError naming the file and the item."""

    try:
        text = Path(filename).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{filename}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{filename}: not UTF-8 text") from None
    try:
        records = json5.loads(text)
    except ValueError as exc:
        raise UserError(f"{filename}: not valid JSON: {exc}") from None
    except RecursionError:
        raise UserError(f"{filename}: not valid JSON: lists or objects nested too deeply") from None
    try:
        return importable(records, space)
    except BadImport as exc:
        raise UserError(f"{filename}: {exc}") from None


def cmd_import(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        space = (store.get_meta("config") or {}).get("searchSpace")
    records = load_import_file(args.filename, space)
    if experiments.manager_alive(ref.directory):
        answer = call(ref, "POST", "/api/v1/trials/import", records)
        count = int(answer.get("imported", 0)) if isinstance(answer, dict) else len(records)
        print(f"Imported {count} trials into experiment {ref.id}; the tuner learns from them now.")
        return 0
    with experiments.open_store(ref, readonly=False) as store:
        count = store.add_imported(records, experiments.new_trial_id, default_value)
    print(f"Imported {count} trials into experiment {ref.id}; the tuner learns from them when it is resumed.")
    return 0
