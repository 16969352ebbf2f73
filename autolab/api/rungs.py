"""GET /api/v1/rungs: the rung view of a multi-fidelity experiment (autolab.rungs), computed once per
store version and kept as its JSON text (the page asks whenever trials change; at 10,000 trials
building it costs about half a second, sending the kept text a few milliseconds)."""

from __future__ import annotations

from ..rungs import rung_view
from .base import BaseHandler
from .queries import to_json

_cache: dict[str, tuple[int, str]] = {}  # store path -> (version, answer as JSON)


class RungsHandler(BaseHandler):
    def get(self) -> None:
        key = str(self.store.path)
        version = self.store.version()
        cached = _cache.get(key)
        if cached is None or cached[0] != version:
            view = {**rung_view(self.store.fidelity_rows()), "version": version}
            cached = _cache[key] = (version, to_json(view))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(cached[1])
