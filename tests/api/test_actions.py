"""POST /trials/{id}/rerun and /retry: checked against the search space, queued on the manager with
their source, refused in a read-only view, and under the token rule."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from autolab.reruns import BadRerun
from tests.api.helpers import FakeManager
from tests.api.test_reads import ApiCase


class RerunManager(FakeManager):
    def __init__(self) -> None:
        super().__init__()
        self.refuse: str | None = None

    def add_user_trial(self, params: dict[str, Any], source: str, fidelity: Any = None) -> Any:
        if self.refuse:
            raise BadRerun(self.refuse)
        self.calls.append(("add", (params, source, fidelity)))
        return SimpleNamespace(trial_id="new01", parameters=params)


class TestActions(ApiCase):
    def manager_object(self) -> Any:
        self.fake = RerunManager()
        return self.fake

    def test_rerun_with_an_edited_parameter(self) -> None:
        answer = self.call("/api/v1/trials/aaaaa/rerun", "POST", {"parameters": {"x": 0.25}}, expect=201)
        assert answer == {
            "trialJobId": "new01",
            "source": "customized:aaaaa",
            "parameter": {"x": 0.25, "k": 1},
            "status": "WAITING",
        }
        assert self.fake.calls == [("add", ({"x": 0.25, "k": 1}, "customized:aaaaa", None))]

    def test_rerun_unchanged(self) -> None:
        self.call("/api/v1/trials/bbbbb/rerun", "POST", {}, expect=201)
        assert self.fake.calls == [("add", ({"x": 0.01, "k": 2}, "customized:bbbbb", None))]

    def test_a_bad_value_is_400_naming_the_parameter_and_queues_nothing(self) -> None:
        for edits, message in [
            ({"x": 5}, "parameter 'x': 5 is outside [0.001, 1]"),
            ({"k": 7}, "7 is not an option of 'k'"),
            ({"y": 1}, "parameter 'y' is not in the search space"),
        ]:
            error = self.call("/api/v1/trials/aaaaa/rerun", "POST", {"parameters": edits}, expect=400)[
                "error"
            ]
            assert message in error
        error = self.call("/api/v1/trials/aaaaa/rerun", "POST", {"params": {}}, expect=400)["error"]
        assert '{"parameters"' in error
        assert self.fake.calls == []

    def test_retry_a_failed_trial_keeps_its_parameters(self) -> None:
        answer = self.call("/api/v1/trials/ddddd/retry", "POST", {}, expect=201)
        assert answer["source"] == "retry:ddddd" and answer["parameter"] == {"x": 0.9, "k": 1}
        assert self.fake.calls == [("add", ({"x": 0.9, "k": 1}, "retry:ddddd", None))]

    def test_retry_of_a_trial_that_did_not_fail_is_409(self) -> None:
        error = self.call("/api/v1/trials/aaaaa/retry", "POST", {}, expect=409)["error"]
        assert error == "trial aaaaa is SUCCEEDED: only a FAILED or USER_CANCELED trial can be retried"
        assert self.fake.calls == []

    def test_unknown_trial_is_404(self) -> None:
        assert "no trial 'zzzzz'" in self.call("/api/v1/trials/zzzzz/retry", "POST", {}, expect=404)["error"]
        self.call("/api/v1/trials/zzzzz/rerun", "POST", {}, expect=404)

    def test_a_stopping_experiment_refuses_with_409(self) -> None:
        self.fake.refuse = "the experiment is stopping: resume it to run more trials"
        error = self.call("/api/v1/trials/ddddd/retry", "POST", {}, expect=409)["error"]
        assert error == self.fake.refuse

    def test_a_form_post_from_another_site_is_refused(self) -> None:
        response = self.fetch(
            "/api/v1/trials/ddddd/retry",
            method="POST",
            body=b"",
            headers={"Content-Type": "text/plain"},
            raise_error=False,
        )
        assert response.code == 415 and self.fake.calls == []


class TestActionsReadOnly(ApiCase):
    def test_a_read_only_view_answers_409(self) -> None:
        error = self.call("/api/v1/trials/ddddd/retry", "POST", {}, expect=409)["error"]
        assert "not running" in error


class TestActionsToken(ApiCase):
    token = "s3cret"

    def manager_object(self) -> Any:
        self.fake = RerunManager()
        return self.fake

    def test_the_token_is_needed(self) -> None:
        self.call("/api/v1/trials/ddddd/retry", "POST", {}, expect=403)
        assert self.fake.calls == []
        self.call("/api/v1/trials/ddddd/retry", "POST", {}, {"Authorization": "Bearer s3cret"}, expect=201)
        assert len(self.fake.calls) == 1
