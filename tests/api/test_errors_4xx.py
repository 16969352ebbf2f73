"""What a fuzzer found: no 500 for a bad request (huge numbers, a huge search, a NUL byte in a
path), 405 answers say what is allowed, and the 4xx request log is capped."""

from __future__ import annotations

import logging
from typing import Any

from autolab.api import log as request_log
from autolab.api.log import RequestLog, Throttle
from autolab.api.queries import trial_page
from tests.api.helpers import FakeManager
from tests.api.test_reads import ApiCase


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class TestNo500(ApiCase):
    def manager_object(self) -> Any:
        self.fake = FakeManager()
        return self.fake

    def test_import_of_a_number_beyond_float_range_is_400(self) -> None:
        body = b'[{"parameter": {"x": 0.3, "k": 1}, "value": 1' + b"0" * 400 + b"}]"
        error = self.call("/api/v1/trials/import", "POST", body, expect=400)["error"]
        assert error == "item 0: value: metric is beyond the range of a float"
        assert self.fake.calls == []

    def test_a_very_long_search_is_400(self) -> None:
        error = self.call("/api/v1/trials?q=" + "a" * 60000, expect=400)["error"]
        assert error == "q: at most 1000 characters, got 60000"
        assert self.call("/api/v1/trials?q=" + "a" * 1000)["total"] == 0

    def test_a_nul_byte_in_a_page_path_is_404(self) -> None:
        for path in ("/index.html%00.js", "/%00", "/js/%00api.js"):
            response = self.fetch(path, raise_error=False)
            assert response.code == 404, (path, response.code)
            assert b"NUL" in response.body
        assert self.fetch("/index.html").code == 200

    def test_405_says_what_is_allowed(self) -> None:
        cases = [
            ("/api/v1/status", "POST", "GET"),
            ("/api/v1/trials/aaaaa", "PUT", "GET, DELETE"),
            ("/api/v1/experiment/stop", "GET", "PUT"),
            ("/api/v1/trials/import", "OPTIONS", "POST"),
            ("/index.html", "POST", "GET, HEAD"),
        ]
        for path, method, allowed in cases:
            body = b"" if method in ("POST", "PUT") else None
            response = self.fetch(
                path,
                method=method,
                body=body,
                headers={"Content-Type": "application/json"},
                raise_error=False,
                allow_nonstandard_methods=True,
            )
            assert response.code == 405, (path, method, response.code)
            assert response.headers.get("Allow") == allowed, (path, method)
            assert method in response.body.decode()[:200] or path == "/index.html"


class TestRequestLogCap(ApiCase):
    def get_app(self) -> Any:
        app = super().get_app()
        self.now = 0.0
        self.throttle = Throttle(limit=5, period=60.0, clock=lambda: self.now)
        app.settings["log_function"] = RequestLog(self.throttle)
        return app

    def test_4xx_lines_are_capped_and_the_rest_counted(self) -> None:
        lines = Lines()
        request_log.access_log.addHandler(lines)
        try:
            for _ in range(50):
                self.fetch("/api/v1/nothing?q=" + "z" * 5000, raise_error=False)
            assert len(lines.lines) == 5
            assert all(len(line) < 400 and "(5018 characters)" in line for line in lines.lines), lines.lines
            self.now = 61.0  # a minute later: the count of those left out, then the line
            self.fetch("/api/v1/nothing", raise_error=False)
            assert lines.lines[5:] == [
                "45 more 4xx answers not logged (at most 5 per 60 s are)",
                lines.lines[6],
            ]
            assert lines.lines[6].startswith("404 GET /api/v1/nothing ")
            self.fetch("/api/v1/status")  # not a 4xx: info, not counted
            assert self.throttle.count == 1
        finally:
            request_log.access_log.removeHandler(lines)


def test_store_search_takes_any_length(tmp_path: Any) -> None:
    from tests.api.helpers import fill

    store = fill(tmp_path / "exp")
    try:
        assert trial_page(store, search="a" * 60000)["total"] == 0
        assert trial_page(store, search="AAAAA")["total"] == 1  # case-insensitive, as before
        assert trial_page(store, search="%")["total"] == 0  # no pattern characters
        assert trial_page(store, search="_")["total"] == 0
    finally:
        store.close()


def test_tornados_own_warnings_are_capped() -> None:
    now = [0.0]
    logger = logging.getLogger("tests.cap")
    logger.propagate = False
    lines = Lines()
    logger.addHandler(lines)
    logger.addFilter(request_log.CapFilter(Throttle(limit=3, period=60.0, clock=lambda: now[0])))
    for i in range(10):
        logger.warning("Invalid multipart/form-data %d", i)
    logger.error("a real error")  # errors always pass
    now[0] = 60.0
    logger.warning("later")
    assert lines.lines == [
        "Invalid multipart/form-data 0",
        "Invalid multipart/form-data 1",
        "Invalid multipart/form-data 2",
        "a real error",
        "7 more warnings not logged (at most 3 per 60 s are); then: later",
    ]
