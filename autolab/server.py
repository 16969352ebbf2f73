"""REST API and web UI server (tornado), run inside the manager process.

This holds the control endpoints the CLI uses to change a running experiment (autolab.client);
the read API and the web UI build on it (issue 5). Errors are 4xx JSON {"error": message}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tornado.web

from .history import TrialStatus
from .store import Store

UPDATABLE = {"trialConcurrency", "maxTrialNumber", "maxExperimentDuration", "searchSpace"}


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, store: Store, manager: Any, directory: Path) -> None:
        self.store = store
        self.manager = manager
        self.directory = directory

    def send(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, default=str))

    def fail(self, status: int, message: str) -> None:
        self.send({"error": message}, status)

    def body_json(self) -> Any:
        try:
            return json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, reason="request body is not JSON") from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.send({"error": self._reason}, status_code)

    def need_manager(self) -> bool:
        if self.manager is None:
            self.fail(409, "the experiment is not running (read-only view)")
            return False
        return True


class StatusHandler(BaseHandler):
    def get(self) -> None:
        meta = self.store.meta()
        self.send({"id": meta.get("id"), "status": meta.get("status"), "trials": self.store.count_by_status()})


class StopHandler(BaseHandler):
    def put(self) -> None:
        if self.need_manager():
            self.manager.request_stop()
            self.send({"status": "STOPPING"})


class ParamsHandler(BaseHandler):
    def put(self) -> None:
        if not self.need_manager():
            return
        body = self.body_json()
        if not isinstance(body, dict) or not body:
            return self.fail(400, f"send a JSON object with some of {sorted(UPDATABLE)}")
        unknown = set(body) - UPDATABLE
        if unknown:
            return self.fail(400, f"cannot update {sorted(unknown)}; updatable: {sorted(UPDATABLE)}")
        problem = _check_update(body)
        if problem:
            return self.fail(400, problem)
        try:
            self.manager.update(**body)
        except ValueError as exc:  # SearchSpaceError, TunerError
            return self.fail(400, str(exc))
        self.send({"updated": sorted(body)})


def _check_update(body: dict[str, Any]) -> str | None:
    for key in ("trialConcurrency", "maxTrialNumber"):
        if key in body:
            v = body[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                return f"{key} must be an integer >= 1, got {v!r}"
    if "maxExperimentDuration" in body:
        v = body["maxExperimentDuration"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
            return f"maxExperimentDuration must be a number of seconds > 0, got {v!r}"
    if "searchSpace" in body and not isinstance(body["searchSpace"], dict):
        return "searchSpace must be a JSON object"
    return None


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
        problem = check_import(body)
        if problem:
            return self.fail(400, problem)
        self.send({"imported": self.manager.import_trials(body)})


def check_import(records: Any) -> str | None:
    """Why records are not NNI's export shape, or None."""
    from .protocol import MetricError, default_value

    if not isinstance(records, list):
        return 'expected a JSON list of {"parameter": {...}, "value": ...}'
    for i, r in enumerate(records):
        if not isinstance(r, dict) or not isinstance(r.get("parameter"), dict) or "value" not in r:
            return f'item {i}: expected {{"parameter": {{...}}, "value": ...}}'
        try:
            default_value(r["value"])
        except MetricError as exc:
            return f"item {i}: value: {exc}"
    return None


def routes(store: Store, manager: Any, directory: Path) -> list[Any]:
    args = {"store": store, "manager": manager, "directory": directory}
    return [
        (r"/api/v1/status", StatusHandler, args),
        (r"/api/v1/experiment/stop", StopHandler, args),
        (r"/api/v1/experiment/params", ParamsHandler, args),
        (r"/api/v1/trials/import", ImportHandler, args),
        (r"/api/v1/trials/([A-Za-z0-9_-]+)", KillTrialHandler, args),
    ]


def make_app(manager: Any, store: Store, directory: Path) -> tornado.web.Application:
    return tornado.web.Application(routes(store, manager, directory))
