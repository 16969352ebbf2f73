"""Read endpoints: profile, trial pages, one trial, its logs, metrics after a version, summary, export."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import tornado.ioloop

from .. import protocol
from ..experiments import ExperimentRef
from ..objectives import optimize_mode
from ..statuses import ExperimentStatus
from ..store import SORT_KEYS, Store
from ..views import export_csv, export_rows, profile
from .base import BadRequest, BaseHandler, to_json
from .queries import STATUSES, metrics_after, summary_rows, trial_item, trial_metrics, trial_page
from .safefiles import open_regular

MAX_PAGE = 1000
MAX_SEARCH = 1000  # characters of ?q= (longer than any id, status or parameters it finds)
LOG_TAIL_DEFAULT = 16 * 1024
LOG_TAIL_MAX = 1024 * 1024


def live_profile(handler: BaseHandler) -> dict[str, Any]:
    """views.profile() plus what only the running manager knows (exact elapsed time, stopping)."""
    meta = handler.store.meta()
    ref = ExperimentRef(
        str(meta.get("id")), str(meta.get("name") or ""), handler.directory, float(meta.get("created") or 0.0)
    )
    info = profile(ref, handler.store)
    manager = handler.manager
    info["readonly"] = manager is None
    info["tokenRequired"] = bool(handler.token)
    info["serverTime"] = time.time()
    if manager is not None:
        info["elapsed"] = manager.elapsed()
        info["status"] = (
            ExperimentStatus.STOPPING if manager.stopping and not manager.finished else manager.status
        )
        info["error"] = manager.error or info.get("error")
        info["url"] = meta.get("url")
        info["notes"] = list(manager.notes)
    config = info.get("config") or {}
    info["optimizeMode"] = optimize_mode(config)
    return info


class ProfileHandler(BaseHandler):
    def get(self) -> None:
        self.send(live_profile(self))


class SummaryHandler(BaseHandler):
    """The page's one poll: the profile and every trial changed after version `after` (all when absent)."""

    def get(self) -> None:
        payload = summary_rows(self.store, self.arg_version("after"))
        payload["profile"] = live_profile(self)
        self.send(payload)


class TrialsHandler(BaseHandler):
    def get(self) -> None:
        offset = self.arg_int("offset", 0, 0, 10**9)
        limit = self.arg_int("limit", 50, 1, MAX_PAGE)
        sort = self.arg_choice("sort", "sequence", tuple(SORT_KEYS))
        order = self.arg_choice("order", "asc", ("asc", "desc"))
        statuses = [s for part in self.get_query_arguments("status") for s in part.split(",") if s]
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise BadRequest(f"status: unknown {', '.join(bad)}; expected some of {', '.join(STATUSES)}")
        search = self.get_query_argument("q", "") or ""
        if len(search) > MAX_SEARCH:
            raise BadRequest(f"q: at most {MAX_SEARCH} characters, got {len(search)}")
        self.send(trial_page(self.store, offset, limit, sort, order, statuses, search))


class TrialReadHandler(BaseHandler):
    def get(self, trial_id: str) -> None:
        row = self.store.trial_row(trial_id)
        if row is None:
            raise BadRequest(f"no trial {trial_id!r}", 404)
        item = trial_item(row, time.time())
        item.update(trial_metrics(self.store, trial_id))
        directory = self.directory / "trials" / trial_id
        item["directory"] = str(directory) if directory.is_dir() else None  # None: an imported trial
        self.send(item)


def tail(path: Path, limit: int, root: Path) -> dict[str, Any]:
    """The last `limit` bytes of a file under root (decoded leniently), its size and whether it was cut."""
    try:
        with open_regular(path, root) as fh:  # never a link out of root, never a FIFO (it would block)
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - limit))
            data = fh.read(limit)
    except FileNotFoundError:
        return {"path": str(path), "exists": False, "size": 0, "truncated": False, "text": ""}
    except OSError as exc:
        raise BadRequest(f"{path}: cannot read: {exc.strerror}", 409) from None
    return {
        "path": str(path),
        "exists": True,
        "size": size,
        "truncated": size > limit,
        "text": data.decode("utf-8", "replace"),
    }


class TrialLogHandler(BaseHandler):
    def get(self, trial_id: str) -> None:
        if self.store.trial_row(trial_id) is None:
            raise BadRequest(f"no trial {trial_id!r}", 404)
        limit = self.arg_int("tail", LOG_TAIL_DEFAULT, 1, LOG_TAIL_MAX)
        directory = self.directory / "trials" / trial_id
        self.send(
            {
                "trialJobId": trial_id,
                "directory": str(directory),
                "stdout": tail(directory / protocol.STDOUT_FILE, limit, self.directory / "trials"),
                "stderr": tail(directory / protocol.STDERR_FILE, limit, self.directory / "trials"),
            }
        )


class MetricsHandler(BaseHandler):
    def get(self) -> None:
        after = self.arg_version("after")
        trial_id = self.get_query_argument("trial", None) or None
        kind = self.get_query_argument("type", None) or None
        if kind is not None and kind not in protocol.METRIC_TYPES:
            raise BadRequest(f"type: expected {' or '.join(protocol.METRIC_TYPES)}, got {kind!r}")
        limit = self.arg_int("limit", 10000, 1, 100000)
        if trial_id is not None and self.store.trial_row(trial_id) is None:
            raise BadRequest(f"no trial {trial_id!r}", 404)
        self.send(metrics_after(self.store, after, trial_id, kind, limit))


class ExportHandler(BaseHandler):
    async def get(self) -> None:
        kind = self.arg_choice("format", "json", ("json", "csv"))
        intermediate = self.arg_bool("intermediate")
        name = f"{self.store.get_meta('id', 'experiment')}.{kind}"
        # built off the IOLoop, on a connection of its own (the loop schedules the manager's trials:
        # an export of thousands of trials' curves, asked many times, must not stall them)
        body = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, _export_text, self.directory, kind, intermediate
        )
        if self.arg_bool("download"):
            self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.set_header("Content-Type", "application/json" if kind == "json" else "text/csv; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


def _export_text(directory: Path, kind: str, intermediate: bool) -> str:
    with Store(directory, readonly=True) as store:
        rows = export_rows(store, intermediate=intermediate)
    return to_json(rows) if kind == "json" else export_csv(rows)
