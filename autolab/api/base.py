"""The handler every API endpoint derives from: JSON answers, 4xx messages, the token check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tornado.web

from ..store import Store
from .auth import ALLOW_HOSTS_ENV, CUSTOM_HEADER, cross_site, host_allowed, not_json, token_matches
from .queries import to_json

MUTATING = ("PUT", "POST", "DELETE", "PATCH")


def foreign_host(handler: tornado.web.RequestHandler) -> str | None:
    """Why a loopback-bound server refuses this request (its Host header names another site), or None."""
    if not handler.settings.get("loopback_only"):
        return None
    host = handler.request.headers.get("Host")
    if host_allowed(host):
        return None
    return (
        f"this server answers only to localhost, not to Host {host!r}; to reach it through a proxy, "
        f"list that name in ${ALLOW_HOSTS_ENV} when you start the experiment (create, resume, view)"
    )


def allowed_methods(handler: type[tornado.web.RequestHandler]) -> list[str]:
    """The methods a handler class implements (a 405's Allow header)."""
    base = tornado.web.RequestHandler
    return [
        m for m in handler.SUPPORTED_METHODS if getattr(handler, m.lower()) is not getattr(base, m.lower())
    ]


class BadRequest(tornado.web.HTTPError):
    """A 4xx with a message for the client (never a 500 for a client's mistake)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(status, reason=message)
        self.message = message


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, store: Store, manager: Any, directory: Path, token: str | None = None) -> None:
        self.store = store
        self.manager = manager
        self.directory = directory
        self.token = token

    def prepare(self) -> None:
        refused = foreign_host(self)
        if refused:
            raise BadRequest(refused, 403)
        if self.request.method in MUTATING:
            if self.token and not token_matches(self.token, self.request.headers.get("Authorization")):
                raise BadRequest(
                    "this server listens beyond loopback: send the token printed at start as "
                    "'Authorization: Bearer <token>'",
                    403,
                )
            headers = self.request.headers
            why = cross_site(headers.get("Origin"), headers.get("Sec-Fetch-Site"), headers.get("Host"))
            if why:
                raise BadRequest(why, 403)
            why = not_json(headers.get("Content-Type"), headers.get(CUSTOM_HEADER))
            if why:
                raise BadRequest(why, 415)

    def send(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(to_json(payload))

    def fail(self, status: int, message: str) -> None:
        self.send({"error": message}, status)

    def body_json(self) -> Any:
        try:
            return json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadRequest("request body is not JSON") from None
        except RecursionError:
            raise BadRequest("request body is not JSON: lists or objects nested too deeply") from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.message if isinstance(exc, BadRequest) else self._reason
        if status_code == 405:
            allowed = allowed_methods(type(self))
            self.set_header("Allow", ", ".join(allowed))
            message = f"{self.request.method} is not allowed here; allowed: {', '.join(allowed)}"
        if status_code >= 500:
            message = f"internal error: {message}; see the manager's log"
        self.send({"error": message}, status_code)

    def need_manager(self) -> bool:
        if self.manager is None:
            self.fail(409, "the experiment is not running (read-only view)")
            return False
        return True

    # -- query arguments: each bad value is a 400 naming the argument --------------------------
    def arg_int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"{name}: expected an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise BadRequest(f"{name}: must be between {low} and {high}, got {value}")
        return value

    def arg_version(self, name: str) -> int | None:
        """A version cursor (the `version` of an earlier answer), or None when absent."""
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(
                f"{name}: expected a version (an integer from an earlier answer), got {raw!r}"
            ) from None
        if not 0 <= value < 2**63:
            raise BadRequest(f"{name}: must be between 0 and {2**63 - 1}, got {value}")
        return value

    def arg_choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        raw = self.get_query_argument(name, None) or default
        if raw not in choices:
            raise BadRequest(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")
        return raw

    def arg_bool(self, name: str) -> bool:
        raw = (self.get_query_argument(name, None) or "").lower()
        if raw in ("", "0", "false", "no"):
            return False
        if raw in ("1", "true", "yes"):
            return True
        raise BadRequest(f"{name}: expected true or false, got {raw!r}")
