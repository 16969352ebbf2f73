"""The server's request log, capped: a fuzzer's stream of 4xx answers cannot make manager.out grow
faster than a few kilobytes a minute (a fuzz run of 35,000 requests wrote 4.4 MB before).

Tornado logs each 4xx answer as a warning (to manager.out, the manager's stderr). Here at most
LIMIT of them are logged per PERIOD seconds, each line showing at most URI_SHOWN characters of the
address; the rest are counted, and the count is logged (one line) with the first 4xx of a later
period. 2xx/3xx stay at info (not shown) and 5xx are always logged: each one is a bug to see.
Tornado's own warnings about malformed requests (bad multipart bodies, bad headers:
tornado.general) get the same cap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import tornado.web

LIMIT = 20  # lines
PERIOD = 60.0  # seconds
URI_SHOWN = 200  # characters of a request's address in its line
access_log = logging.getLogger("tornado.access")
general_log = logging.getLogger("tornado.general")


class Throttle:
    """At most `limit` events let through per `period` seconds; the others are counted."""

    def __init__(
        self, limit: int = LIMIT, period: float = PERIOD, clock: Callable[[], float] = time.monotonic
    ):
        self.limit, self.period, self.clock = limit, period, clock
        self.start = clock()
        self.count = 0
        self.dropped = 0

    def allow(self) -> tuple[bool, int]:
        """(let this one through?, how many the periods before it left out, to report now)."""
        now = self.clock()
        report = 0
        if now - self.start >= self.period:
            report, self.dropped = self.dropped, 0
            self.start, self.count = now, 0
        self.count += 1
        if self.count > self.limit:
            self.dropped += 1
            return False, report
        return True, report


def left_out(count: int, what: str, throttle: Throttle) -> str:
    return f"{count} more {what} not logged (at most {throttle.limit} per {throttle.period:g} s are)"


class RequestLog:
    """An Application's log_function: tornado's lines, with the 4xx ones capped."""

    def __init__(self, throttle: Throttle | None = None) -> None:
        self.throttle = throttle or Throttle()

    def __call__(self, handler: tornado.web.RequestHandler) -> None:
        status = handler.get_status()
        request = handler.request
        uri = request.uri or ""
        if len(uri) > URI_SHOWN:  # a 60,000-character query is not worth a 60 kB line
            uri = f"{uri[:URI_SHOWN]}... ({len(uri)} characters)"
        line = (
            f"{status} {request.method} {uri} ({request.remote_ip}) {1000.0 * request.request_time():.2f}ms"
        )
        if status < 400:
            access_log.info(line)
        elif status >= 500:
            access_log.error(line)
        else:
            allowed, report = self.throttle.allow()
            if report:
                access_log.warning(left_out(report, "4xx answers", self.throttle))
            if allowed:
                access_log.warning(line)


class CapFilter(logging.Filter):
    """Caps the warnings tornado logs about malformed requests (tornado.general)."""

    def __init__(self, throttle: Throttle | None = None) -> None:
        super().__init__()
        self.throttle = throttle or Throttle()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            return True
        allowed, report = self.throttle.allow()
        if report:
            record.msg = f"{left_out(report, 'warnings', self.throttle)}; then: {record.getMessage()}"
            record.args = None
            return True
        return allowed


def cap_tornado_warnings() -> None:
    """Add the cap to tornado.general once per process."""
    if not any(isinstance(f, CapFilter) for f in general_log.filters):
        general_log.addFilter(CapFilter())
