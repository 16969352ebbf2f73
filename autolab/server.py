"""The tornado application run inside the manager process: REST API (/api/v1) + the web UI (/).

Handlers live in autolab.api (reads, control, auth); docs/openapi.yaml documents the API. Errors
are JSON {"error": message} with a 4xx status. `autolab view` serves the same app with manager=None
(read-only: control endpoints answer 409).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import tornado.web

from .api import actions, control, importance, pareto, reads, rungs, trialfiles
from .api.base import BadRequest, BaseHandler, foreign_host
from .api.control import check_import
from .api.log import RequestLog, cap_tornado_warnings
from .store import Store

__all__ = ["check_import", "make_app", "routes", "webui_dir"]


class StatusHandler(BaseHandler):
    def get(self) -> None:
        meta = self.store.meta()
        self.send(
            {"id": meta.get("id"), "status": meta.get("status"), "trials": self.store.count_by_status()}
        )


class TrialHandler(reads.TrialReadHandler, control.KillTrialHandler):
    """GET: the trial; DELETE: kill it."""


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        raise BadRequest(f"no such endpoint: {self.request.method} {self.request.path}", 404)


class WebUIHandler(tornado.web.StaticFileHandler):
    def prepare(self) -> None:
        refused = foreign_host(self)
        if refused:
            raise BadRequest(refused, 403)
        if any("\0" in arg for arg in self.path_args):  # no file name holds one (os refuses it)
            raise BadRequest(f"no such file: {self.request.path} (a file name has no NUL byte)", 404)
        if not self.path_args or self.path_args[0] in ("", "index.html"):
            importance.warm_up()  # someone opened the page: its Importance chart is asked for next

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.message if isinstance(exc, BadRequest) else self._reason
        if status_code == 405:
            self.set_header("Allow", "GET, HEAD")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{message}\n")

    def set_extra_headers(self, path: str) -> None:
        # index.html must be re-checked (it names the scripts); the rest may be cached briefly
        self.set_header("Cache-Control", "no-cache" if path.endswith(".html") or not path else "max-age=300")


def webui_dir() -> Path | None:
    """The web page's folder: inside the package when installed from a wheel, else the repo's webui/."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "webui",
        here.parent / "webui",
        Path(sys.prefix) / "share" / "autolab" / "webui",
    ):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def routes(store: Store, manager: Any, directory: Path, token: str | None = None) -> list[Any]:
    args = {"store": store, "manager": manager, "directory": directory, "token": token}
    trial = r"([A-Za-z0-9_-]+)"
    return [
        (r"/api/v1/status", StatusHandler, args),
        (r"/api/v1/profile", reads.ProfileHandler, args),
        (r"/api/v1/summary", reads.SummaryHandler, args),
        (r"/api/v1/metrics", reads.MetricsHandler, args),
        (r"/api/v1/export", reads.ExportHandler, args),
        (r"/api/v1/pareto", pareto.ParetoHandler, args),
        (r"/api/v1/rungs", rungs.RungsHandler, args),
        (r"/api/v1/pareto/hypervolume", pareto.HypervolumeHandler, args),
        (r"/api/v1/importance", importance.ImportanceHandler, args),
        (r"/api/v1/experiment/stop", control.StopHandler, args),
        (r"/api/v1/experiment/params", control.ParamsHandler, args),
        (r"/api/v1/trials", reads.TrialsHandler, args),
        (r"/api/v1/trials/import", control.ImportHandler, args),
        (rf"/api/v1/trials/{trial}/log", reads.TrialLogHandler, args),
        (rf"/api/v1/trials/{trial}/log/([a-z]+)", trialfiles.TrialStreamHandler, args),
        (rf"/api/v1/trials/{trial}/zip", trialfiles.TrialZipHandler, args),
        (rf"/api/v1/trials/{trial}/rerun", actions.RerunHandler, args),
        (rf"/api/v1/trials/{trial}/retry", actions.RetryHandler, args),
        (rf"/api/v1/trials/{trial}", TrialHandler, args),
        (r"/api/.*", NotFoundHandler, args),
    ]


def make_app(
    manager: Any, store: Store, directory: Path, token: str | None = None, loopback_only: bool = True
) -> tornado.web.Application:
    """The application; token: required (as a Bearer header) on every mutating request when set;
    loopback_only (the server listens on loopback): requests must name a loopback Host (see api.auth)."""
    cap_tornado_warnings()
    handlers = routes(store, manager, directory, token)
    page = webui_dir()
    if page is not None:
        handlers.append((r"/(.*)", WebUIHandler, {"path": str(page), "default_filename": "index.html"}))
    return tornado.web.Application(
        handlers, transforms=[FastGZip], loopback_only=loopback_only, log_function=RequestLog()
    )


class FastGZip(tornado.web.GZipContentEncoding):
    """gzip at level 1: the 10,000-trial summary (3 MB of JSON) compresses 4x in a third of the time."""

    GZIP_LEVEL = 1
