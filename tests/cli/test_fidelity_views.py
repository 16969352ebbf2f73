"""Multi-fidelity trials seen by users: trial ls, top, export (JSON, CSV) and the REST API's reads
show each trial's budget, bracket and rung; other experiments look as before."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from autolab import experiments
from autolab.api.queries import SUMMARY_COLUMNS, summary_rows, to_json, trial_page
from autolab.cli import main
from autolab.statuses import TrialStatus
from autolab.store import Store
from autolab.views import export_csv, export_rows
from tests.cli.admin_helpers import stored_experiment

FID = [
    ("a", {"x": 0.2, "TRIAL_BUDGET": 1}, {"budget": 1, "bracket": 0, "rung": 0, "config": "a"}, 0.2),
    ("b", {"x": 0.9, "TRIAL_BUDGET": 1}, {"budget": 1, "bracket": 0, "rung": 0, "config": "b"}, 0.9),
    ("c", {"x": 0.9, "TRIAL_BUDGET": 3}, {"budget": 3, "bracket": 0, "rung": 1, "config": "b"}, 0.95),
]


@pytest.fixture
def exp(autolab_home: Path) -> Path:
    directory = autolab_home / "exp1"
    (directory / "trials").mkdir(parents=True)
    with Store(directory, create=True) as store:
        store.set_meta(id="exp1", name="t", status="DONE", created=time.time(), elapsed=1.0, config={})
        for trial_id, params, fid, value in FID:
            store.add_trial(trial_id, params, fidelity=fid)
            store.update_trial(trial_id, status=TrialStatus.SUCCEEDED, value=value, raw_value=value)
        store.add_trial("plain", {"x": 0.5})
    experiments.register("exp1", "t", directory)
    return directory


def test_trial_ls_and_top_show_budget_bracket_rung(exp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trial", "ls", "exp1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:7] == ["TRIAL", "SEQ", "STATUS", "VALUE", "BUDGET", "BRACKET", "RUNG"]
    assert lines[3].split()[:7] == ["c", "2", "SUCCEEDED", "0.95", "3", "0", "1"]
    assert lines[4].split()[:7] == ["plain", "3", "WAITING", "-", "-", "-", "-"]
    assert main(["top", "exp1"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = next(line for line in out if line.startswith("#"))
    assert header.split()[5:8] == ["BUDGET", "BRACKET", "RUNG"], out
    best = out[out.index(header) + 1].split()
    assert best[1] == "c" and best[5:8] == ["3", "0", "1"]


def test_top_ranks_the_largest_budget_first_as_the_best_line_does(
    exp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(exp) as store:  # a 1-epoch result above the 3-epoch one
        store.add_trial("d", {"x": 0.1, "TRIAL_BUDGET": 1}, fidelity={"budget": 1, "bracket": 1, "rung": 0})
        store.update_trial("d", status=TrialStatus.SUCCEEDED, value=0.99, raw_value=0.99)
        best = store.best_trial(maximize=True)
    assert best is not None and best.id == "c"

    def ranked(*args: str) -> tuple[list[str], str]:
        assert main(["top", "exp1", *args]) == 0
        out = capsys.readouterr().out.splitlines()
        at = next(i for i, line in enumerate(out) if line.startswith("#"))
        return [line.split()[1] for line in out[at + 1 :]], out[at - 1]

    order, title = ranked()
    assert order == ["c", "d", "b", "a"] and title.endswith("(largest budget first):")
    order, title = ranked("--worst")
    assert order == ["a", "b", "d", "c"] and title.endswith("(smallest budget first):")


def test_export_and_api_carry_the_fidelity(exp: Path) -> None:
    with Store(exp, readonly=True) as store:
        rows = export_rows(store)
        page = trial_page(store)
        summary = json.loads(to_json(summary_rows(store)))
    assert [(r.get("budget"), r.get("bracket"), r.get("rung"), r.get("config")) for r in rows] == [
        (1, 0, 0, "a"),
        (1, 0, 0, "b"),
        (3, 0, 1, "b"),
        (None, None, None, None),
    ]
    assert "budget" not in rows[3]  # other trials keep NNI's export shape
    flat = list(csv.DictReader(io.StringIO(export_csv(rows))))
    assert [(r["budget"], r["rung"]) for r in flat] == [("1", "0"), ("1", "0"), ("3", "1"), ("", "")]
    assert [t["fidelity"] for t in page["trials"]] == [f for _, _, f, _ in FID] + [None]
    at = SUMMARY_COLUMNS.index("fidelity")
    assert [row[at] for row in summary["trials"]] == [f for _, _, f, _ in FID] + [None]


def test_an_experiment_without_fidelity_shows_no_such_columns(
    autolab_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(stored_experiment(autolab_home, "exp2")) as store:
        store.add_trial("p", {"x": 1})
    assert main(["trial", "ls", "exp2"]) == 0
    assert "BUDGET" not in capsys.readouterr().out
