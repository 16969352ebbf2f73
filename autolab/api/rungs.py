"""GET /api/v1/rungs: the rung view of a multi-fidelity experiment (autolab.rungs), cached per store
version (the page asks on every change it sees; at 10,000 trials reading them costs)."""

from __future__ import annotations

from typing import Any

from ..rungs import rung_view
from .base import BaseHandler

_cache: dict[str, tuple[int, dict[str, Any]]] = {}  # store path -> (version, answer)


class RungsHandler(BaseHandler):
    def get(self) -> None:
        key = str(self.store.path)
        version = self.store.version()
        cached = _cache.get(key)
        if cached is None or cached[0] != version:
            cached = _cache[key] = (version, rung_view(self.store.trial_rows()))
        self.send({**cached[1], "version": version})
