"""`autolab trial rerun` (a new trial from an earlier one's parameters, some edited: NNI's
customized trial) and `autolab trial retry` (a FAILED or USER_CANCELED trial again), through the
running manager's REST API (api/actions.py), which records them with their source."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import experiments
from ..client import call
from ..errors import UserError
from ..reruns import parse_set
from .common import find_trial


def add_commands(sub: Any, groups: dict[str, Any]) -> None:
    trial_sub = groups["trial"]
    p = trial_sub.add_parser("rerun", help="run a new trial with an earlier trial's parameters, some changed")
    p.add_argument("id", help="experiment id")
    p.add_argument("trial", help="the trial whose parameters to start from (id or unique prefix)")
    edits = p.add_mutually_exclusive_group()
    edits.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a parameter (repeatable); the value is read as JSON, else as a string",
    )
    edits.add_argument("--params", metavar="JSON", help='parameters to change, as a JSON object {"lr": 0.1}')
    p.set_defaults(handler=cmd_rerun)

    p = trial_sub.add_parser("retry", help="run a FAILED or USER_CANCELED trial again")
    p.add_argument("id", help="experiment id")
    p.add_argument("trial", help="the trial to retry (id or unique prefix)")
    p.set_defaults(handler=cmd_retry)


def _edits(args: argparse.Namespace) -> dict[str, Any]:
    if args.params is None:
        return parse_set(args.set)
    try:
        edits = json.loads(args.params)
    except ValueError as exc:
        raise UserError(f"--params: not JSON: {exc}") from None
    if not isinstance(edits, dict):
        raise UserError('--params: expected a JSON object {"name": value, ...}')
    return edits


def cmd_rerun(args: argparse.Namespace) -> int:
    edits = _edits(args)
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        row = find_trial(store, ref, args.trial)
    answer = call(ref, "POST", f"/api/v1/trials/{row.id}/rerun", {"parameters": edits})
    print(f"Trial {answer['trialJobId']} of experiment {ref.id} queued: {json.dumps(answer['parameter'])}")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    with experiments.open_store(ref) as store:
        row = find_trial(store, ref, args.trial)
    answer = call(ref, "POST", f"/api/v1/trials/{row.id}/retry", {})
    print(f"Trial {answer['trialJobId']} of experiment {ref.id} queued (retry of {row.id}).")
    return 0
