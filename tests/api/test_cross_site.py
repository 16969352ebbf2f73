"""Cross-site writes: every change endpoint refuses what another site's page can make the browser
send (a form's content types, no custom header; an Origin or Sec-Fetch-Site naming another site),
and nothing changes; the page's own way (JSON from its own origin) and the CLI's still work."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tornado.testing
import tornado.web

from autolab.api.auth import cross_site, media_type, not_json, origin_netloc
from autolab.launcher import build_manager
from autolab.server import make_app
from tests.api.helpers import FakeManager
from tests.api.test_reads import ApiCase
from tests.helpers_experiment import make_experiment

RECORDS = [{"parameter": {"x": 0.3, "k": 1}, "value": 0.4}]
# every mutating endpoint with a body it would take
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("/api/v1/experiment/stop", "PUT", None),
    ("/api/v1/experiment/params", "PUT", {"trialConcurrency": 3}),
    ("/api/v1/trials/ccccc", "DELETE", None),
    ("/api/v1/trials/import", "POST", RECORDS),
]
MULTIPART = b'--xyz\r\nContent-Disposition: form-data; name="j"\r\n\r\nBODY\r\n--xyz--\r\n'
# what a form or a no-preflight fetch on another site can send
FORM_TYPES = [
    "text/plain",
    "text/plain; charset=json",
    "text/plain;application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/jsonx",
    "",
]


class TestCrossSite(ApiCase):
    def manager_object(self) -> Any:
        self.fake = FakeManager()
        return self.fake

    def host(self) -> str:
        return f"127.0.0.1:{self.get_http_port()}"

    def send_raw(self, path: str, method: str, body: Any, headers: dict[str, str]) -> Any:
        data = b"" if body is None else json.dumps(body).encode()
        if headers.get("Content-Type", "").startswith("multipart/"):  # as a form sends it
            data = MULTIPART.replace(b"BODY", data)
        return self.fetch(
            path,
            method=method,
            body=data,
            headers=headers,
            raise_error=False,
            allow_nonstandard_methods=True,
        )

    def assert_refused(self, headers: dict[str, str], code: int, words: str) -> None:
        before = self.store.summary_json(None)
        for path, method, body in ENDPOINTS:
            response = self.send_raw(path, method, body, headers)
            assert response.code == code, (path, headers, response.code, response.body)
            error = json.loads(response.body)["error"]
            assert words in error, error
        assert self.fake.calls == []
        assert self.store.summary_json(None) == before

    def test_form_content_types_are_refused(self) -> None:
        for ctype in FORM_TYPES:
            self.assert_refused({"Content-Type": ctype} if ctype else {}, 415, "application/json")

    def test_another_sites_origin_is_refused(self) -> None:
        for origin in ("http://evil.example", "http://127.0.0.1:1", "null", "https://127.0.0.1"):
            headers = {"Content-Type": "application/json", "Origin": origin}
            self.assert_refused(headers, 403, "refused")
        # Origin of another site with a form type: refused too (403 first)
        self.assert_refused({"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403, "evil")

    def test_sec_fetch_site_other_than_same_origin_is_refused(self) -> None:
        for site in ("cross-site", "same-site"):
            headers = {"Content-Type": "application/json", "Sec-Fetch-Site": site}
            self.assert_refused(headers, 403, site)
        # the page's own origin but a cross-site fetch: still refused
        headers = {
            "Content-Type": "application/json",
            "Origin": f"http://{self.host()}",
            "Sec-Fetch-Site": "cross-site",
        }
        self.assert_refused(headers, 403, "cross-site")

    def test_the_pages_own_way_and_the_clis_work(self) -> None:
        page = {
            "Content-Type": "application/json; charset=UTF-8",
            "Origin": f"http://{self.host()}",
            "Sec-Fetch-Site": "same-origin",
        }
        for path, method, body in ENDPOINTS:
            response = self.send_raw(path, method, body, page)
            assert response.code == 200, (path, response.body)
        assert [c[0] for c in self.fake.calls] == ["stop", "update", "kill", "import"]
        self.send_raw("/api/v1/experiment/stop", "PUT", None, {"Content-Type": "application/json"})
        self.send_raw("/api/v1/experiment/stop", "PUT", None, {"X-Autolab": "1"})  # a custom header
        assert [c[0] for c in self.fake.calls][4:] == ["stop", "stop"]

    def test_reads_stay_open_to_other_origins(self) -> None:
        response = self.fetch("/api/v1/status", headers={"Origin": "http://evil.example"})
        assert response.code == 200


@pytest.mark.parametrize(
    "value, expected",
    [
        ("application/json", "application/json"),
        (" Application/JSON ; charset=utf-8", "application/json"),
        ("text/plain; charset=json", "text/plain"),
        (None, ""),
    ],
)
def test_media_type(value: str | None, expected: str) -> None:
    assert media_type(value) == expected


def test_rules() -> None:
    assert origin_netloc("http://localhost:80") == "localhost"
    assert origin_netloc("HTTPS://Host:443") == "host"
    assert origin_netloc("null") == origin_netloc("file://x") == ""
    assert cross_site("http://localhost:8080", "same-origin", "localhost:8080") is None
    assert cross_site("http://localhost", None, "localhost:80") is None
    assert cross_site(None, "none", "localhost:8080") is None
    assert cross_site(None, None, None) is None
    assert cross_site("http://localhost:8081", None, "localhost:8080")
    assert not_json("application/json;charset=utf-8", None) is None
    assert not_json("text/plain", "1") is None
    assert not_json("text/plain; charset=json", None)


def test_an_origin_listed_as_a_proxy_name_is_this_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    # a proxy (JupyterHub) may rewrite Host to the loopback address it forwards to
    assert cross_site("https://hub.lab.org", "same-origin", "127.0.0.1:8080")
    monkeypatch.setenv("AUTOLAB_ALLOW_HOSTS", "hub.lab.org")
    assert cross_site("https://hub.lab.org", "same-origin", "127.0.0.1:8080") is None
    assert cross_site("https://hub.lab.org.evil", None, "127.0.0.1:8080")


class TestCrossSiteRealManager(tornado.testing.AsyncHTTPTestCase):
    """The attack of the issue against a real manager: a page on another site posts fake SUCCEEDED
    trials to the import endpoint as text/plain; nothing reaches the store."""

    def get_app(self) -> tornado.web.Application:
        self._tmp = tempfile.TemporaryDirectory()
        self.directory = make_experiment(Path(self._tmp.name), "autolab.report_final_result(1.0)\n")
        self.manager = build_manager(self.directory)
        return make_app(self.manager, self.manager.store, self.directory)

    def tearDown(self) -> None:
        super().tearDown()
        self.manager.close()
        self.manager.store.close()
        self._tmp.cleanup()

    def test_a_fake_import_from_another_site_changes_nothing(self) -> None:
        records = json.dumps([{"parameter": {"x": 0.5, "k": 1}, "value": 99.0}]).encode()
        version = self.manager.store.version()
        for headers in (
            {"Content-Type": "text/plain; charset=json"},
            {"Content-Type": "application/json", "Origin": "http://evil.example"},
            {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
        ):
            response = self.fetch("/api/v1/trials/import", method="POST", body=records, headers=headers)
            assert response.code in (403, 415), response.code
        assert self.manager.store.trial_rows() == [] and self.manager.store.version() == version
        # the CLI's way is taken
        response = self.fetch(
            "/api/v1/trials/import", method="POST", body=records, headers={"Content-Type": "application/json"}
        )
        assert json.loads(response.body) == {"imported": 1}
        assert len(self.manager.store.trial_rows()) == 1
