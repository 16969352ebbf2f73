"""REST API and web UI server (tornado), run inside the manager process.

Minimal for now: the experiment status. The full API and web UI are built on this (issue 5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tornado.web

from .store import Store


class StatusHandler(tornado.web.RequestHandler):
    def initialize(self, store: Store, manager: Any) -> None:
        self.store = store
        self.manager = manager

    def get(self) -> None:
        meta = self.store.meta()
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"id": meta.get("id"), "status": meta.get("status"),
                               "trials": self.store.count_by_status()}))


def make_app(manager: Any, store: Store, directory: Path) -> tornado.web.Application:
    args = {"store": store, "manager": manager}
    return tornado.web.Application([(r"/api/v1/status", StatusHandler, args)])
