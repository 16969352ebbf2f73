"""The control endpoints (stop, update, kill, import) with a stand-in manager, and the token rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tornado.web

from autolab.config import AlgorithmConfig
from autolab.statuses import TrialStatus
from tests.api.helpers import CONFIG, FakeManager
from tests.api.test_reads import ApiCase

TOKEN = "s3cret-token"


class TestControl(ApiCase):
    def manager_object(self) -> Any:
        self.fake = FakeManager()
        return self.fake

    def test_profile_is_live(self) -> None:
        profile = self.call("/api/v1/profile")
        assert profile["readonly"] is False and profile["elapsed"] == 42.0 and profile["status"] == "RUNNING"

    def test_profile_has_the_services_notes(self) -> None:
        assert self.call("/api/v1/profile")["notes"] == []
        self.fake.notes = ["machine gpu2 set aside: pythonPath /opt/py/bin does not exist"]
        assert self.call("/api/v1/profile")["notes"] == self.fake.notes

    def test_stop(self) -> None:
        assert self.call("/api/v1/experiment/stop", "PUT") == {"status": "STOPPING"}
        assert self.fake.calls == [("stop", None)]
        assert self.call("/api/v1/profile")["status"] == "STOPPING"

    def test_update_params(self) -> None:
        body = {"trialConcurrency": 3, "maxTrialNumber": 20, "maxExperimentDuration": 3600}
        assert self.call("/api/v1/experiment/params", "PUT", body) == {"updated": sorted(body)}
        assert self.fake.calls == [("update", body)]

    def test_update_takes_a_duration_as_text(self) -> None:
        self.call("/api/v1/experiment/params", "PUT", {"maxExperimentDuration": "90m"})
        assert self.fake.calls == [("update", {"maxExperimentDuration": 5400.0})]
        bad = self.call("/api/v1/experiment/params", "PUT", {"maxExperimentDuration": "soon"}, expect=400)
        assert "bad duration 'soon'" in bad["error"]

    def test_update_search_space(self) -> None:
        space = {"x": {"_type": "uniform", "_value": [0, 2]}}
        self.call("/api/v1/experiment/params", "PUT", {"searchSpace": space})
        assert self.fake.calls == [("update", {"searchSpace": space})]
        bad = self.call(
            "/api/v1/experiment/params", "PUT", {"searchSpace": {"x": {"_type": "nope"}}}, expect=400
        )
        assert "x" in bad["error"]
        deep = '{"_type": "uniform", "_value": [0, 1]}'
        for i in range(200):  # nested choices hundreds deep: a 400, not a 500 (RecursionError)
            deep = f'{{"_type": "choice", "_value": [{{"_name": "o{i}", "p": {deep}}}]}}'
        body = f'{{"searchSpace": {{"x": {deep}}}}}'.encode()
        bad = self.call("/api/v1/experiment/params", "PUT", body, expect=400)
        assert "nested too deeply" in bad["error"] or "deeper" in bad["error"], bad

    def test_a_custom_tuners_search_space_passes_unchecked(self) -> None:
        space = {"feature": {"_type": "factor", "_value": [[1, 2], [3]]}}
        self.call("/api/v1/experiment/params", "PUT", {"searchSpace": space}, expect=400)  # TPE checks
        self.fake.config.tuner = AlgorithmConfig(None, "my_tuner.FactorTuner", Path("."), {})
        self.call("/api/v1/experiment/params", "PUT", {"searchSpace": space})
        assert self.fake.calls == [("update", {"searchSpace": space})]

    def test_a_new_parameter_where_its_value_could_run_is_refused(self) -> None:
        self.store.set_meta(config={**CONFIG, "trialCommand": "python3 t.py `echo {y}` {x}"})
        space = {"y": {"_type": "choice", "_value": ["$(touch pwned)"]}}
        error = self.call("/api/v1/experiment/params", "PUT", {"searchSpace": space}, expect=400)["error"]
        assert "placeholder {y} stands inside backticks" in error
        assert self.fake.calls == []
        self.call("/api/v1/experiment/params", "PUT", {"searchSpace": {"x": space["y"]}})
        assert self.fake.calls == [("update", {"searchSpace": {"x": space["y"]}})]

    def test_bad_updates_are_400_and_change_nothing(self) -> None:
        for body in [
            {"trialConcurrency": 0},
            {"trialConcurrency": "2"},
            {"maxTrialNumber": True},
            {"trialConcurrency": 10**23},
            {"maxExperimentDuration": -1},
            {"colour": 1},
            {},
            [1],
            {"searchSpace": []},
        ]:
            self.call("/api/v1/experiment/params", "PUT", body, expect=400)
        self.call("/api/v1/experiment/params", "PUT", b"{not json", expect=400)
        assert self.fake.calls == []

    def test_bodies_nested_too_deeply_are_400_not_500(self) -> None:
        deep = b"[" * 5000 + b"]" * 5000
        headers = {"Content-Type": "application/json"}
        for path, method in [("/api/v1/experiment/params", "PUT"), ("/api/v1/trials/import", "POST")]:
            error = self.call(path, method, deep, headers=headers, expect=400)["error"]
            assert "nested too deeply" in error, error
        assert self.fake.calls == []

    def test_kill(self) -> None:
        assert self.call("/api/v1/trials/ccccc", "DELETE") == {"trialJobId": "ccccc", "status": "KILLING"}
        assert self.fake.calls == [("kill", ("ccccc", TrialStatus.USER_CANCELED))]
        assert "not running" in self.call("/api/v1/trials/aaaaa", "DELETE", expect=409)["error"]
        self.call("/api/v1/trials/zzzzz", "DELETE", expect=404)

    def test_import(self) -> None:
        records = [{"parameter": {"x": 0.3, "k": 1}, "value": 0.4}]
        headers = {"Content-Type": "application/json"}
        assert self.call("/api/v1/trials/import", "POST", records, headers=headers) == {"imported": 1}
        self.call("/api/v1/trials/import", "POST", [{"parameter": 1}], headers=headers, expect=400)
        self.call(
            "/api/v1/trials/import", "POST", [{"parameter": {}, "value": "high"}], headers=headers, expect=400
        )
        # a cross-site form posts text/plain without a CORS preflight: refused
        self.call(
            "/api/v1/trials/import", "POST", records, headers={"Content-Type": "text/plain"}, expect=415
        )
        assert len(self.fake.calls) == 1


class TestToken(ApiCase):
    token = TOKEN

    def manager_object(self) -> Any:
        self.fake = FakeManager()
        return self.fake

    def test_changes_need_the_token(self) -> None:
        assert self.call("/api/v1/profile")["tokenRequired"] is True  # reads stay open
        error = self.call("/api/v1/experiment/stop", "PUT", expect=403)["error"]
        assert "token" in error
        self.call("/api/v1/trials/ccccc", "DELETE", headers={"Authorization": "Bearer wrong"}, expect=403)
        self.call(
            "/api/v1/experiment/params",
            "PUT",
            {"trialConcurrency": 1},
            headers={"Authorization": TOKEN},
            expect=403,
        )  # no Bearer scheme
        assert self.fake.calls == []
        self.call("/api/v1/trials/ccccc", "DELETE", headers={"Authorization": f"Bearer {TOKEN}"})
        self.call("/api/v1/experiment/stop", "PUT", headers={"Authorization": f"bearer {TOKEN}"})
        assert [c[0] for c in self.fake.calls] == ["kill", "stop"]


class TestDnsRebinding(ApiCase):
    """A loopback server refuses requests whose Host header names another site."""

    def manager_object(self) -> Any:
        self.fake = FakeManager()
        return self.fake

    def test_a_foreign_host_is_refused_and_changes_nothing(self) -> None:
        evil = {"Host": "attacker.example:8080", "Content-Type": "application/json"}
        error = self.call("/api/v1/experiment/stop", "PUT", headers=evil, expect=403)["error"]
        assert "attacker.example" in error and "AUTOLAB_ALLOW_HOSTS" in error
        self.call("/api/v1/trials", headers=evil, expect=403)
        page = self.fetch("/", headers=evil)
        assert page.code == 403 and b"attacker.example" in page.body  # the page too, saying why
        assert self.fake.calls == []
        for host in ("localhost:1234", "127.0.0.1", "[::1]:80"):
            assert self.call("/api/v1/status", headers={"Host": host})["id"] == "apitest1"
        self.call("/api/v1/experiment/stop", "PUT", headers={"Host": "LOCALHOST:9"})
        assert [c[0] for c in self.fake.calls] == ["stop"]

    def test_a_proxy_name_can_be_allowed(self) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("AUTOLAB_ALLOW_HOSTS", "hub.lab.org, other")
            assert self.call("/api/v1/status", headers={"Host": "hub.lab.org:443"})["id"] == "apitest1"
            self.call("/api/v1/status", headers={"Host": "hub.lab.org.evil"}, expect=403)


class TestPublicBindAnswersAnyHost(ApiCase):
    def get_app(self) -> tornado.web.Application:
        app = super().get_app()
        app.settings["loopback_only"] = False
        return app

    def test_any_host(self) -> None:
        assert self.call("/api/v1/status", headers={"Host": "node17.cluster:8080"})["id"] == "apitest1"
