"""The experiments page's server (autolab view --all): the list, each experiment's read-only page
under /e/<id>/, delete through the CLI, one-line refusals, and the token rule."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import psutil
import tornado.testing
import tornado.web

from autolab import experiments
from autolab.homeserver import make_home_app
from autolab.statuses import TrialStatus
from tests.api.helpers import add, fill


class HomeCase(tornado.testing.AsyncHTTPTestCase):
    token: str | None = None

    def get_app(self) -> tornado.web.Application:
        self._tmp = tempfile.TemporaryDirectory()
        self.home = Path(self._tmp.name) / "home"
        self._env = os.environ.get("AUTOLAB_HOME")
        os.environ["AUTOLAB_HOME"] = str(self.home)
        for exp_id, status in (("apitest1", "DONE"), ("apitest2", "STOPPED")):
            store = fill(self.home / exp_id)
            store.set_meta(id=exp_id, status=status)
            if exp_id == "apitest2":
                add(store, "fffff", {"x": 0.3, "k": 1}, TrialStatus.SUCCEEDED, 0.95)
            store.close()
            experiments.register(exp_id, "api", self.home / exp_id)
        return make_home_app("127.0.0.1", self.token, loopback_only=True)

    def tearDown(self) -> None:
        super().tearDown()
        if self._env is None:
            os.environ.pop("AUTOLAB_HOME", None)
        else:
            os.environ["AUTOLAB_HOME"] = self._env
        self._tmp.cleanup()

    def call(
        self, path: str, method: str = "GET", expect: int = 200, headers: dict[str, str] | None = None
    ) -> Any:
        if method != "GET":
            headers = {"Content-Type": "application/json", **(headers or {})}
        body = b"{}" if method in ("PUT", "POST") else None
        response = self.fetch(
            path, method=method, body=body, headers=headers, raise_error=False, follow_redirects=True
        )
        assert response.code == expect, (response.code, response.body[:300])
        kind = response.headers.get("Content-Type", "")
        return json.loads(response.body) if kind.startswith("application/json") else response.body.decode()


class TestHome(HomeCase):
    def test_every_experiment_with_status_progress_and_best(self) -> None:
        data = self.call("/api/v1/experiments")
        assert data["home"] == str(self.home) and data["tokenRequired"] is False
        by_id = {e["id"]: e for e in data["experiments"]}
        assert [e["id"] for e in data["experiments"]] == ["apitest2", "apitest1"]  # the newest first
        assert by_id["apitest1"]["status"] == "DONE" and by_id["apitest2"]["status"] == "STOPPED"
        assert by_id["apitest1"]["trialTotal"] == 5 and by_id["apitest1"]["maxTrialNumber"] == 10
        assert by_id["apitest1"]["best"]["value"] == 0.9 and by_id["apitest2"]["best"]["value"] == 0.95
        assert by_id["apitest1"]["tuner"] == "Random" and "config" not in by_id["apitest1"]

    def test_the_page_and_each_experiments_read_only_view(self) -> None:
        assert "experiments.js" in self.call("/")
        assert "js/app.js" in self.call("/e/apitest1")  # mounted, then served
        status = self.call("/e/apitest1/api/v1/status")
        assert status["id"] == "apitest1" and status["trials"]["SUCCEEDED"] == 2
        assert self.call("/e/apitest2/api/v1/profile")["readonly"] is True
        assert "trials" in self.call("/e/apitest2/api/v1/summary")
        self.call("/e/apitest1/api/v1/experiment/stop", "PUT", expect=409)  # read-only
        self.call("/e/nosuch/", expect=404)
        self.call("/api/v1/nosuch", expect=404)

    def test_delete_runs_the_cli_and_forgets_the_view(self) -> None:
        self.call("/e/apitest1/api/v1/status")
        answer = self.call("/api/v1/experiments/apitest1", "DELETE")
        assert answer["done"] is True and "deleted" in answer["message"]
        assert not (self.home / "apitest1").exists()
        assert [e["id"] for e in self.call("/api/v1/experiments")["experiments"]] == ["apitest2"]
        self.call("/e/apitest1/api/v1/status", expect=404)

    def test_stop_settles_what_a_dead_manager_left_as_the_cli_does(self) -> None:
        answer = self.call("/api/v1/experiments/apitest2/stop", "PUT")
        assert answer["message"].startswith("Experiment apitest2 stopped (its manager was not running")

    def test_refusals_are_one_line_409s_or_404s(self) -> None:
        me = psutil.Process()  # this test plays the manager of apitest1
        (self.home / "apitest1" / "manager.pid").write_text(f"{me.pid} {me.create_time()}\n")
        error = self.call("/api/v1/experiments/apitest1", "DELETE", expect=409)["error"]
        assert error == "experiment apitest1 is running; stop it first (autolab stop apitest1)"
        assert (self.home / "apitest1").exists()
        assert self.call("/api/v1/experiments")["experiments"][1]["status"] == "DONE"
        assert (
            "no experiment 'zzz'" in self.call("/api/v1/experiments/zzz/resume", "POST", expect=404)["error"]
        )

    def test_a_foreign_host_is_refused(self) -> None:
        self.call("/api/v1/experiments", headers={"Host": "evil.example"}, expect=403)


class TestHomeToken(HomeCase):
    token = "s3cret"

    def test_changes_need_the_token(self) -> None:
        assert self.call("/api/v1/experiments")["tokenRequired"] is True
        self.call("/api/v1/experiments/apitest1", "DELETE", expect=403)
        assert (self.home / "apitest1").exists()
        self.call("/api/v1/experiments/apitest1", "DELETE", headers={"Authorization": "Bearer s3cret"})
        assert not (self.home / "apitest1").exists()


def test_view_all_takes_no_id(capsys: Any) -> None:
    from autolab.cli import main

    assert main(["view", "abc", "--all"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "autolab: error: --all serves every experiment: give no experiment id"
    )


def test_the_experiments_api_is_documented() -> None:
    import re

    import yaml

    from autolab.homeserver import make_home_app as make

    spec = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "docs" / "openapi-experiments.yaml").read_text()
    )
    documented = {re.sub(r"\{[^}]+\}", "ID", p) for p in spec["paths"]}
    app = make("127.0.0.1", None, True)
    served = {
        re.sub(r"\([^)]+\)", "ID", r.matcher.regex.pattern.rstrip("$"))
        for r in app.wildcard_router.rules
        if r.matcher.regex.pattern.startswith("/api/v1/") and ".*" not in r.matcher.regex.pattern
    }
    assert served == documented


class TestHomeCorrupt(HomeCase):
    def test_a_corrupt_store_is_listed_unreadable(self) -> None:
        (self.home / "apitest2" / "autolab.db").write_bytes(b"not a database" * 100)
        for name in ("autolab.db-wal", "autolab.db-shm"):
            (self.home / "apitest2" / name).unlink(missing_ok=True)
        by_id = {e["id"]: e for e in self.call("/api/v1/experiments")["experiments"]}
        assert by_id["apitest2"]["status"] == "UNREADABLE" and "autolab.db" in by_id["apitest2"]["error"]
        assert by_id["apitest1"]["status"] == "DONE"
