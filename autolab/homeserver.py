"""`autolab view --all`: the experiments page, served with no experiment running. It lists every
experiment in AUTOLAB_HOME (api/home.py) and serves each one's page read-only under /e/<id>/ (the
page an `autolab view ID` serves), mounted on first use; a running experiment's link is its
manager's own address."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tornado.routing
import tornado.web

from . import experiments
from .api import home
from .api.base import BadRequest, BaseHandler
from .api.log import RequestLog, cap_tornado_warnings
from .server import FastGZip, NotFoundHandler, WebUIHandler, routes, webui_dir
from .store import Store

PAGE = "experiments.html"
EXPERIMENT = r"([A-Za-z0-9_-]+)"


class Views:
    """The read-only views of experiments mounted on the app (one store handle each)."""

    def __init__(self) -> None:
        self.app: tornado.web.Application | None = None
        self.stores: dict[str, Store] = {}

    def mount(self, exp_id: str) -> bool:
        """Serve the experiment's page and API under /e/<id>/; False when there is no such one."""
        if exp_id in self.stores:
            return True
        ref = next((r for r in experiments.all_experiments() if r.id == exp_id), None)
        if ref is None or self.app is None:
            return False
        try:
            store = experiments.open_store(ref)
        except experiments.ExperimentNotFound:
            return False
        self.stores[exp_id] = store
        prefix = f"/e/{re.escape(exp_id)}"
        rules: list[Any] = [
            (prefix + pattern, *rest) for pattern, *rest in routes(store, None, ref.directory)
        ]
        page = webui_dir()
        if page is not None:
            rules.append(
                (prefix + r"/(.*)", WebUIHandler, {"path": str(page), "default_filename": "index.html"})
            )
        router = self.app.wildcard_router
        # before the catch-all that mounts them
        router.rules[0:0] = [
            router.process_rule(tornado.routing.Rule(tornado.routing.PathMatches(p), *r)) for p, *r in rules
        ]
        return True

    def forget(self, exp_id: str) -> None:
        store = self.stores.pop(exp_id, None)
        if store is None or self.app is None:
            return
        prefix = f"/e/{re.escape(exp_id)}/"
        router = self.app.wildcard_router
        router.rules = [
            r
            for r in router.rules
            if not (
                isinstance(r.matcher, tornado.routing.PathMatches)
                and r.matcher.regex.pattern.startswith(prefix)
            )
        ]
        store.close()


class MountHandler(BaseHandler):
    """/e/<id>/...: an experiment not served yet is mounted, and the request asked again."""

    def initialize(self, views: Views, token: str | None = None) -> None:  # type: ignore[override]
        super().initialize(store=None, manager=None, directory=experiments.home(), token=token)  # type: ignore[arg-type]
        self.views = views

    def get(self, exp_id: str, rest: str | None) -> None:
        if not self.views.mount(exp_id):
            raise BadRequest(f"no experiment {exp_id!r} in {experiments.home()}", 404)
        query = f"?{self.request.query}" if self.request.query else ""
        self.redirect(f"/e/{exp_id}/{(rest or '').lstrip('/')}{query}")


def make_home_app(host: str, token: str | None, loopback_only: bool) -> tornado.web.Application:
    cap_tornado_warnings()
    views = Views()
    args = {"token": token, "host": host}
    handlers: list[Any] = [
        (r"/api/v1/experiments", home.ExperimentsHandler, args),
        (rf"/api/v1/experiments/{EXPERIMENT}/stop", home.StopHandler, args),
        (rf"/api/v1/experiments/{EXPERIMENT}/resume", home.ResumeHandler, args),
        (rf"/api/v1/experiments/{EXPERIMENT}", home.DeleteHandler, args),
        (
            r"/api/.*",
            NotFoundHandler,
            {"store": None, "manager": None, "directory": Path("."), "token": token},
        ),
        (rf"/e/{EXPERIMENT}(/.*)?", MountHandler, {"views": views, "token": token}),
    ]
    page = webui_dir()
    if page is not None:
        handlers.append((r"/(.*)", WebUIHandler, {"path": str(page), "default_filename": PAGE}))
    app = tornado.web.Application(
        handlers,
        transforms=[FastGZip],
        loopback_only=loopback_only,
        log_function=RequestLog(),
        forget=views.forget,
    )
    views.app = app
    return app
