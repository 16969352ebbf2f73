"""Endpoints that change a running experiment (the CLI's autolab.client and the page use them)."""

from __future__ import annotations

from typing import Any

from ..commands import unsafe_placeholders
from ..config import UPDATABLE, ConfigError, validate_update
from ..importing import BadImport, importable
from ..searchspace import SearchSpace
from ..statuses import ExperimentStatus, TrialStatus
from .base import BaseHandler

STOP_LINGER = 2.5  # seconds: the page polls every second; it reads the trials' final statuses


class StopHandler(BaseHandler):
    def put(self) -> None:
        if self.need_manager():
            self.manager.linger = STOP_LINGER
            self.manager.request_stop()
            self.send({"status": ExperimentStatus.STOPPING})


class ParamsHandler(BaseHandler):
    def put(self) -> None:
        if not self.need_manager():
            return
        body = self.body_json()
        if not isinstance(body, dict) or not body:
            return self.fail(400, f"send a JSON object with some of {sorted(UPDATABLE)}")
        unknown = set(body) - set(UPDATABLE)
        if unknown:
            return self.fail(400, f"cannot update {sorted(unknown)}; updatable: {sorted(UPDATABLE)}")
        try:
            tuner = self.manager.config.tuner
            changes = {key: validate_update(key, value, tuner) for key, value in body.items()}
        except ConfigError as exc:
            return self.fail(400, str(exc))
        space = changes.get("searchSpace")
        if isinstance(space, SearchSpace):  # a new parameter must not land where its value could run
            command = (self.store.get_meta("config") or {}).get("trialCommand") or ""
            why = unsafe_placeholders(command, set(space.raw or {}))
            if why:
                return self.fail(400, f"searchSpace: the trialCommand's {why}")
        try:
            self.manager.update(**changes)
        except ValueError as exc:  # TunerError: the tuner cannot take the new space
            return self.fail(400, str(exc))
        self.send({"updated": sorted(body)})


class KillTrialHandler(BaseHandler):
    def delete(self, trial_id: str) -> None:
        if not self.need_manager():
            return
        if self.store.trial_row(trial_id) is None:
            return self.fail(404, f"no trial {trial_id!r}")
        if not self.manager.kill_trial(trial_id, TrialStatus.USER_CANCELED):
            return self.fail(409, f"trial {trial_id} is not running")
        self.send({"trialJobId": trial_id, "status": "KILLING"})


class ImportHandler(BaseHandler):
    def post(self) -> None:
        if not self.need_manager():
            return
        body = self.body_json()
        try:
            records = importable(body, (self.store.get_meta("config") or {}).get("searchSpace"))
        except BadImport as exc:
            return self.fail(400, str(exc))
        self.send({"imported": self.manager.import_trials(records)})


def check_import(records: Any, space: dict[str, Any] | None = None) -> str | None:
    """Why records are not NNI's export shape (or name unknown parameters), or None."""
    try:
        importable(records, space)
    except BadImport as exc:
        return str(exc)
    return None
