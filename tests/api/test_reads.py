"""The REST API's read endpoints, through tornado's test client, against a store filled by hand."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import tornado.testing
import tornado.web

from autolab.server import make_app
from tests.api.helpers import fill


class ApiCase(tornado.testing.AsyncHTTPTestCase):
    manager: Any = None
    token: str | None = None

    def get_app(self) -> tornado.web.Application:
        self._tmp = tempfile.TemporaryDirectory()
        self.directory = Path(self._tmp.name) / "exp"
        self.store = fill(self.directory)
        return make_app(self.manager_object(), self.store, self.directory, token=self.token)

    def manager_object(self) -> Any:
        return None

    def tearDown(self) -> None:
        super().tearDown()
        self.store.close()
        self._tmp.cleanup()

    def call(
        self,
        path: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
    ) -> Any:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        if method in ("PUT", "POST") and data is None:
            data = b""
        if method != "GET":  # as the CLI and the page send every change
            headers = {"Content-Type": "application/json", **(headers or {})}
        response = self.fetch(
            path, method=method, body=data, headers=headers, raise_error=False, allow_nonstandard_methods=True
        )
        assert response.code == expect, (response.code, response.body[:500])
        if response.headers.get("Content-Type", "").startswith("application/json"):
            payload = json.loads(response.body)
            if expect >= 400:
                assert isinstance(payload.get("error"), str) and payload["error"], payload
            return payload
        return response.body.decode()


class TestReads(ApiCase):
    def test_status_and_profile(self) -> None:
        status = self.call("/api/v1/status")
        assert status["id"] == "apitest1" and status["trials"]["SUCCEEDED"] == 2
        profile = self.call("/api/v1/profile")
        assert profile["id"] == "apitest1"
        assert profile["readonly"] is True and profile["tokenRequired"] is False
        assert profile["trialTotal"] == 5 and profile["best"]["trialJobId"] == "bbbbb"
        assert profile["optimizeMode"] == "maximize"
        assert profile["config"]["searchSpace"]["k"]["_value"] == [1, 2, 3]
        # no manager process runs this store: a RUNNING meta status reads as STOPPED
        assert profile["status"] == "STOPPED"

    def test_trial_page_defaults_and_paging(self) -> None:
        page = self.call("/api/v1/trials")
        assert page["total"] == 5 and [t["trialJobId"] for t in page["trials"]] == [
            "aaaaa",
            "bbbbb",
            "ccccc",
            "ddddd",
            "eeeee",
        ]
        page = self.call("/api/v1/trials?offset=1&limit=2")
        assert page["total"] == 5 and [t["sequence"] for t in page["trials"]] == [1, 2]
        first = self.call("/api/v1/trials?limit=1")["trials"][0]
        assert first["parameter"] == {"x": 0.1, "k": 1} and first["value"] == 0.5
        assert first["intermediateCount"] == 3 and first["lastIntermediate"] == 0.5
        assert abs(first["duration"] - 10) < 1e-6

    def test_trial_page_sorts_with_nulls_last(self) -> None:
        ids = [t["trialJobId"] for t in self.call("/api/v1/trials?sort=value&order=desc")["trials"]]
        assert ids[:2] == ["bbbbb", "aaaaa"] and len(ids) == 5
        ids = [t["trialJobId"] for t in self.call("/api/v1/trials?sort=value&order=asc")["trials"]]
        assert ids[:2] == ["aaaaa", "bbbbb"]
        ids = [t["trialJobId"] for t in self.call("/api/v1/trials?sort=startTime&order=desc")["trials"]]
        assert ids[:4] == ["ccccc", "ddddd", "bbbbb", "aaaaa"] and ids[4] == "eeeee"
        ids = [t["trialJobId"] for t in self.call("/api/v1/trials?sort=duration&order=desc")["trials"]]
        assert ids[0] == "bbbbb" and ids[-1] == "eeeee"
        statuses = [t["status"] for t in self.call("/api/v1/trials?sort=status")["trials"]]
        assert statuses == sorted(statuses)

    def test_trial_page_filters(self) -> None:
        page = self.call("/api/v1/trials?status=SUCCEEDED")
        assert page["total"] == 2 and {t["status"] for t in page["trials"]} == {"SUCCEEDED"}
        page = self.call("/api/v1/trials?status=RUNNING,WAITING")
        assert {t["trialJobId"] for t in page["trials"]} == {"ccccc", "eeeee"}
        page = self.call("/api/v1/trials?status=FAILED&status=RUNNING")
        assert page["total"] == 2
        page = self.call("/api/v1/trials?q=%22k%22%3A%202")  # parameters containing "k": 2
        assert {t["trialJobId"] for t in page["trials"]} == {"bbbbb", "eeeee"}
        assert self.call("/api/v1/trials?q=100%25")["total"] == 0  # % is literal, not a wildcard

    def test_trial_page_bad_arguments_are_400(self) -> None:
        for query, word in [
            ("sort=colour", "sort"),
            ("order=up", "order"),
            ("limit=0", "limit"),
            ("limit=100000", "limit"),
            ("offset=-1", "offset"),
            ("offset=abc", "offset"),
            ("status=DONE", "status"),
        ]:
            error = self.call(f"/api/v1/trials?{query}", expect=400)["error"]
            assert error.startswith(word), error

    def test_one_trial_has_parameters_final_and_intermediate(self) -> None:
        trial = self.call("/api/v1/trials/bbbbb")
        assert trial["parameter"] == {"x": 0.01, "k": 2}
        assert trial["finalMetric"] == {"default": 0.9, "loss": 0.2} and trial["value"] == 0.9
        assert trial["final"]["data"] == {"default": 0.9, "loss": 0.2}
        assert [m["value"] for m in trial["intermediate"]] == [0.7]
        assert trial["directory"] is None  # no folder (as an imported trial): no path that is not there
        assert self.call("/api/v1/trials/aaaaa")["directory"].endswith("trials/aaaaa")
        assert [m["value"] for m in self.call("/api/v1/trials/aaaaa")["intermediate"]] == [0.2, 0.4, 0.5]
        assert "no trial" in self.call("/api/v1/trials/zzzzz", expect=404)["error"]

    def test_log_tail(self) -> None:
        log = self.call("/api/v1/trials/aaaaa/log?tail=100")
        assert log["stdout"]["truncated"] is True and log["stdout"]["size"] == len(
            "".join(f"line {i}\n" for i in range(1000))
        )
        assert log["stdout"]["text"].endswith("line 999\n") and len(log["stdout"]["text"]) == 100
        assert log["stderr"]["text"] == "warning: something\n" and log["stderr"]["truncated"] is False
        assert log["stdout"]["path"].endswith("trials/aaaaa/stdout")
        missing = self.call("/api/v1/trials/ccccc/log")
        assert missing["stdout"]["exists"] is False and missing["stdout"]["text"] == ""
        self.call("/api/v1/trials/aaaaa/log?tail=0", expect=400)
        self.call("/api/v1/trials/nope1/log", expect=404)

    def test_metrics_after_is_incremental(self) -> None:
        everything = self.call("/api/v1/metrics")
        assert len(everything["metrics"]) == 8 and everything["more"] is False
        assert self.call(f"/api/v1/metrics?after={everything['version']}")["metrics"] == []
        from autolab.protocol import PERIODICAL, Metric

        self.store.record_metrics("ccccc", [Metric.of(PERIODICAL, 0.4)], 0)
        new = self.call(f"/api/v1/metrics?after={everything['version']}")["metrics"]
        assert [(m["trialJobId"], m["sequence"], m["value"]) for m in new] == [("ccccc", 2, 0.4)]
        only = self.call("/api/v1/metrics?trial=aaaaa&type=PERIODICAL")["metrics"]
        assert [m["value"] for m in only] == [0.2, 0.4, 0.5]
        self.call("/api/v1/metrics?after=yesterday", expect=400)
        self.call("/api/v1/metrics?after=1.5", expect=400)
        self.call("/api/v1/metrics?after=-1", expect=400)
        self.call("/api/v1/metrics?type=FOO", expect=400)
        self.call("/api/v1/metrics?trial=nope1", expect=404)

    def test_metrics_paging_brings_each_row_once(self) -> None:
        seen: list[tuple[str, str, int]] = []
        after = ""
        for _ in range(20):
            page = self.call(f"/api/v1/metrics?limit=2{after}")
            seen += [(m["trialJobId"], m["type"], m["sequence"]) for m in page["metrics"]]
            after = f"&after={page['version']}"
            if not page["more"]:
                break
        assert len(seen) == 8 and len(set(seen)) == 8

    def test_summary_full_then_incremental(self) -> None:
        full = self.call("/api/v1/summary")
        cols = full["columns"]
        rows = [dict(zip(cols, r, strict=True)) for r in full["trials"]]
        assert [r["id"] for r in rows] == ["aaaaa", "bbbbb", "ccccc", "ddddd", "eeeee"]
        assert rows[1]["metrics"] == {"default": 0.9, "loss": 0.2} and rows[0]["metrics"] is None
        assert rows[2]["intermediateCount"] == 2 and full["profile"]["id"] == "apitest1"
        assert self.call(f"/api/v1/summary?after={full['version']}")["trials"] == []
        self.store.update_trial("ccccc", status="SUCCEEDED", end_time=time.time())
        changed = self.call(f"/api/v1/summary?after={full['version']}")["trials"]
        assert [(r[0], r[2]) for r in changed] == [("ccccc", "SUCCEEDED")]
        self.call("/api/v1/summary?after=x", expect=400)

    def test_export_json_and_csv(self) -> None:
        rows = self.call("/api/v1/export?format=json")
        assert len(rows) == 5 and rows[1]["value"] == {"default": 0.9, "loss": 0.2}
        with_inter = self.call("/api/v1/export?intermediate=true")
        assert with_inter[0]["intermediate"] == [0.2, 0.4, 0.5]
        response = self.fetch("/api/v1/export?format=csv&download=1")
        assert response.code == 200 and response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        table = list(csv.DictReader(io.StringIO(response.body.decode())))
        assert len(table) == 5 and table[1]["metric.loss"] == "0.2" and table[0]["x"] == "0.1"
        self.call("/api/v1/export?format=xml", expect=400)
        self.call("/api/v1/export?intermediate=maybe", expect=400)

    def test_an_export_being_built_does_not_hold_up_other_requests(self) -> None:
        # the loop also schedules the manager's trials: a big export is built beside it, not on it
        import threading

        from autolab.api import reads

        building, release, built = threading.Event(), threading.Event(), threading.Event()
        real = reads.export_rows

        def slow(store: Any, intermediate: bool = False) -> Any:
            building.set()
            release.wait(5)
            built.set()
            return real(store, intermediate=intermediate)

        reads.export_rows = slow  # type: ignore[assignment]
        try:
            export = self.http_client.fetch(self.get_url("/api/v1/export"), raise_error=False)
            self.io_loop.run_sync(lambda: self.io_loop.run_in_executor(None, building.wait, 10))
            started = time.monotonic()
            status = self.fetch("/api/v1/status")  # answered while the export is still being built
            assert status.code == 200 and time.monotonic() - started < 4 and not built.is_set()
            release.set()
            done = self.io_loop.run_sync(lambda: export)
            assert done.code == 200 and len(json.loads(done.body)) == 5
        finally:
            reads.export_rows = real  # type: ignore[assignment]
            release.set()

    def test_unknown_endpoint_is_json_404(self) -> None:
        assert "no such endpoint" in self.call("/api/v1/nothing", expect=404)["error"]
        self.call("/api/v1/trials/aaaaa/whatever", expect=404)

    def test_read_only_view_refuses_changes(self) -> None:
        assert "read-only" in self.call("/api/v1/experiment/stop", "PUT", expect=409)["error"]
        self.call("/api/v1/trials/ccccc", "DELETE", expect=409)
        self.call("/api/v1/experiment/params", "PUT", {"trialConcurrency": 3}, expect=409)

    def test_serves_the_page(self) -> None:
        page = self.fetch("/")
        assert page.code == 200 and b"<title>autolab</title>" in page.body
        assert self.fetch("/vendor/echarts.min.js").code == 200
        assert self.fetch("/js/app.js").code == 200
        assert self.fetch("/nothing-here.js").code == 404
