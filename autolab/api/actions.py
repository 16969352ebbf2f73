"""Trials the user starts from an earlier one, through the running manager: a re-run with edited
parameters (NNI's customized trial) and a retry (autolab.reruns checks both; the CLI's `autolab
trial rerun / retry` and the page call these)."""

from __future__ import annotations

from typing import Any

from ..reruns import CUSTOMIZED, RETRY, BadRerun, check_retryable, edited_parameters, source_of
from ..store import TrialRow
from .base import BaseHandler


class _FromTrial(BaseHandler):
    def source_row(self, trial_id: str) -> TrialRow | None:
        if not self.need_manager():
            return None
        row = self.store.trial_row(trial_id)
        if row is None:
            self.fail(404, f"no trial {trial_id!r}")
        return row

    def queue(self, params: dict[str, Any], source: str, fidelity: dict[str, Any] | None) -> None:
        try:
            trial = self.manager.add_user_trial(params, source, fidelity)
        except BadRerun as exc:
            return self.fail(409, str(exc))
        self.send(
            {
                "trialJobId": trial.trial_id,
                "source": source,
                "parameter": trial.parameters,
                "status": "WAITING",
            },
            201,
        )


class RerunHandler(_FromTrial):
    """POST {"parameters": {name: value, ...}}: a new trial with the trial's parameters, these
    changed (none: the same ones). 400 names a parameter or value the search space refuses."""

    def post(self, trial_id: str) -> None:
        row = self.source_row(trial_id)
        if row is None:
            return
        body = self.body_json()
        if not isinstance(body, dict) or set(body) - {"parameters"}:
            return self.fail(400, 'send a JSON object {"parameters": {"name": value, ...}}')
        space = (self.store.get_meta("config") or {}).get("searchSpace")
        try:
            params = edited_parameters(row.parameters, body.get("parameters", {}), space)
        except BadRerun as exc:
            return self.fail(400, str(exc))
        # a customized trial is not part of a multi-fidelity schedule: the tuner sees a foreign result
        self.queue(params, source_of(CUSTOMIZED, row.id), None)


class RetryHandler(_FromTrial):
    """POST: the FAILED or USER_CANCELED trial again, same parameters and fidelity (a Hyperband
    tuner counts it as the same configuration, as it does a trial re-run after a crash)."""

    def post(self, trial_id: str) -> None:
        row = self.source_row(trial_id)
        if row is None:
            return
        try:
            check_retryable(row.id, row.status)
        except BadRerun as exc:
            return self.fail(409, str(exc))
        self.queue(dict(row.parameters), source_of(RETRY, row.id), row.fidelity)
