"""A trial's log read incrementally (from an offset, UTF-8 characters never cut), its directory as a
streamed zip (symbolic links left out), and the rung view of a multi-fidelity experiment."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

from autolab.api.trialfiles import read_from
from autolab.fidelity import fidelity
from autolab.rungs import rung_view
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.api.helpers import add
from tests.api.test_reads import ApiCase


class TestTrialFiles(ApiCase):
    def test_log_from_an_offset_returns_only_new_bytes(self) -> None:
        whole = "".join(f"line {i}\n" for i in range(1000))
        first = self.call("/api/v1/trials/aaaaa/log/stdout?limit=100")
        assert first["size"] == len(whole) and first["offset"] == len(whole) - 100
        assert first["text"] == whole[-100:] and first["next"] == len(whole)
        again = self.call(f"/api/v1/trials/aaaaa/log/stdout?offset={first['next']}")
        assert again["text"] == "" and again["next"] == len(whole)
        with open(self.directory / "trials" / "aaaaa" / "stdout", "a") as fh:
            fh.write("more\n")
        new = self.call(f"/api/v1/trials/aaaaa/log/stdout?offset={first['next']}")
        assert new["text"] == "more\n" and new["next"] == len(whole) + 5
        start = self.call("/api/v1/trials/aaaaa/log/stdout?offset=0&limit=7")
        assert start["text"] == "line 0\n" and start["next"] == 7

    def test_log_errors_name_the_argument(self) -> None:
        assert "offset" in self.call("/api/v1/trials/aaaaa/log/stdout?offset=-1", expect=400)["error"]
        assert "stdout or stderr" in self.call("/api/v1/trials/aaaaa/log/secrets", expect=404)["error"]
        self.call("/api/v1/trials/zzzzz/log/stdout", expect=404)
        missing = self.call("/api/v1/trials/bbbbb/log/stderr")
        assert missing["exists"] is False and missing["text"] == ""

    def test_zip_holds_the_trials_files_and_no_link(self) -> None:
        trial = self.directory / "trials" / "aaaaa"
        (trial / "sub").mkdir()
        (trial / "sub" / "model.bin").write_bytes(os.urandom(600_000))
        outside = self.directory / "secret.txt"
        outside.write_text("not the trial's")
        (trial / "leak").symlink_to(outside)
        (trial / "leakdir").symlink_to(self.directory)
        response = self.fetch("/api/v1/trials/aaaaa/zip")
        assert response.code == 200 and response.headers["Content-Type"] == "application/zip"
        assert 'filename="apitest1-aaaaa.zip"' in response.headers["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.body))
        assert sorted(archive.namelist()) == [
            "apitest1-aaaaa/stderr",
            "apitest1-aaaaa/stdout",
            "apitest1-aaaaa/sub/model.bin",
        ]
        assert archive.read("apitest1-aaaaa/sub/model.bin") == (trial / "sub" / "model.bin").read_bytes()
        assert archive.testzip() is None

    def test_zip_of_an_unknown_trial_or_path_is_404(self) -> None:
        self.call("/api/v1/trials/zzzzz/zip", expect=404)
        self.call("/api/v1/trials/eeeee/zip", expect=404)  # recorded, no directory
        self.call("/api/v1/trials/..%2F..%2Fetc/zip", expect=404)

    def test_a_trial_cannot_make_the_server_read_outside_its_folder_or_block(self) -> None:
        # a trial writes anything in its own folder: a link to /etc/passwd or another experiment's file,
        # a FIFO (open() would wait for a writer, freezing the loop the manager schedules on)
        secret = Path(self._tmp.name) / "secret.txt"
        secret.write_text("SECRET")
        trial = self.directory / "trials" / "aaaaa"
        (trial / "stderr").unlink()
        (trial / "stderr").symlink_to(secret)
        (trial / "stdout").unlink()
        os.mkfifo(trial / "stdout")
        for stream in ("stdout", "stderr"):
            got = self.call(f"/api/v1/trials/aaaaa/log/{stream}", expect=409)
            assert "not served" in got["error"] and "SECRET" not in json.dumps(got)
        self.call("/api/v1/trials/aaaaa/log", expect=409)
        # a trial folder that is itself a link to a folder elsewhere: no zip, no log
        elsewhere = Path(self._tmp.name) / "elsewhere"
        elsewhere.mkdir()
        (elsewhere / "stdout").write_text("SECRET")
        other = self.directory / "trials" / "bbbbb"
        shutil.rmtree(other, ignore_errors=True)
        other.symlink_to(elsewhere, target_is_directory=True)
        self.call("/api/v1/trials/bbbbb/zip", expect=404)
        assert "SECRET" not in json.dumps(self.call("/api/v1/trials/bbbbb/log/stdout", expect=409))
        # the zip skips the FIFO and the link, and does not hang on them
        (trial / "stdout").unlink()
        (trial / "stdout").write_text("fine")
        with zipfile.ZipFile(io.BytesIO(self.fetch("/api/v1/trials/aaaaa/zip").body)) as archive:
            assert "SECRET" not in "".join(
                archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
            )

    def test_rungs_of_an_experiment_without_fidelity(self) -> None:
        assert self.call("/api/v1/rungs")["multiFidelity"] is False


def test_a_utf8_character_cut_by_the_limit_comes_whole_next_time(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_bytes("aé€b".encode())  # 1 + 2 + 3 + 1 bytes
    first = read_from(path, 0, 4, tmp_path)  # a, é, then the first byte of €
    assert first["text"] == "aé" and first["next"] == 3
    second = read_from(path, first["next"], 10, tmp_path)
    assert second["text"] == "€b" and second["next"] == 7
    assert read_from(path, 3, 1, tmp_path)["next"] == 4  # a limit under one character still moves on


def test_rung_view_marks_promoted_stopped_top_and_running(tmp_path: Path) -> None:
    with Store(tmp_path, create=True) as store:

        def trial(
            tid: str,
            bracket: int,
            rung: int,
            budget: float,
            config: str,
            status: TrialStatus,
            value: float | None,
        ) -> None:
            store.add_trial(tid, {"x": value or 0}, fidelity=fidelity(budget, bracket, rung, config))
            store.update_trial(tid, status=status, value=value)

        trial("a", 0, 0, 1.0, "a", TrialStatus.SUCCEEDED, 0.9)
        trial("b", 0, 0, 1.0, "b", TrialStatus.SUCCEEDED, 0.1)
        trial("c", 0, 0, 1.0, "c", TrialStatus.FAILED, None)
        trial("d", 0, 1, 3.0, "a", TrialStatus.SUCCEEDED, 0.95)
        trial("e", 1, 0, 3.0, "e", TrialStatus.SUCCEEDED, 0.5)
        trial("f", 1, 0, 3.0, "f", TrialStatus.RUNNING, None)
        trial("g", 2, 0, 1.0, "g", TrialStatus.SUCCEEDED, 0.4)
        add(store, "plain", {"x": 1}, TrialStatus.SUCCEEDED, 0.3)
        view = rung_view(store.fidelity_rows())
    assert view["multiFidelity"] is True and view["maxBudget"] == 3.0
    assert view["columns"] == ["id", "config", "status", "value", "outcome"]
    outcomes = {
        (b["bracket"], r["rung"], r["budget"]): {t[0]: t[4] for t in r["trials"]}
        for b in view["brackets"]
        for r in b["rungs"]
    }
    assert outcomes == {
        (0, 0, 1.0): {"a": "promoted", "b": "stopped", "c": "failed"},
        (0, 1, 3.0): {"d": "top"},
        (1, 0, 3.0): {"e": "top", "f": "running"},
        (2, 0, 1.0): {"g": "pending"},
    }
    assert view["brackets"][0]["rungs"][0]["counts"] == {"promoted": 1, "stopped": 1, "failed": 1}


def test_rung_view_of_asha_promotion_mode_shows_paused_and_promoted(tmp_path: Path) -> None:
    """ASHA's promotion mode has no bracket but budgets: its rungs promote, and a trial waiting at
    its rung is PAUSED (not "failed", not a PBT generation)."""
    with Store(tmp_path, create=True) as store:
        for tid, rung, budget, config, status, value in [
            ("a", 0, 1.0, "a", TrialStatus.SUCCEEDED, 0.9),
            ("b", 0, 1.0, "b", TrialStatus.PAUSED, 0.2),
            ("c", 1, 3.0, "a", TrialStatus.RUNNING, None),
        ]:
            store.add_trial(tid, {"x": 0}, fidelity=fidelity(budget, None, rung, config))
            store.update_trial(tid, status=status, value=value)
        view = rung_view(store.fidelity_rows())
    outcomes = {r["rung"]: {t[0]: t[4] for t in r["trials"]} for b in view["brackets"] for r in b["rungs"]}
    assert outcomes == {0: {"a": "promoted", "b": "paused"}, 1: {"c": "running"}}
