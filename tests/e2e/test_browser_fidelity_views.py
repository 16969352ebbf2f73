"""The web UI over ASHA promotion and PBT experiments (stores written by hand, served read-only as
`autolab view` does): each is named as what it is (rungs with budgets, or a population's
generations), the checkpoint paths these tuners add to the parameters are not shown as
hyper-parameters, and the best-so-far line ranks the largest budget first, as the Best card does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autolab.protocol import FINAL, Metric
from autolab.statuses import TrialStatus
from autolab.store import Store
from tests.e2e import test_browser
from tests.e2e.served_store import SPACE, api, served
from tests.e2e.test_browser import CHROMIUM
from tests.e2e.test_browser_analysis import option, points

page = test_browser.page  # the headless Chromium tab (a fixture)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
]

# (budget, value, status) per trial; configuration c<i> continues from its own checkpoint
ASHA = [
    (1, 0.60, "PAUSED"),
    (1, 0.985, "PAUSED"),
    (1, 0.50, "SUCCEEDED"),
    (3, 0.90, "PAUSED"),
    (9, 0.95, "SUCCEEDED"),
]


def write(directory: Path, tuner: str, rows: list[tuple[float | None, int, str, float, str]]) -> None:
    """rows: (budget, rung, config, value, status)."""
    (directory / "trials").mkdir(parents=True)
    config = {
        "searchSpace": SPACE,
        "trialCommand": "python3 t.py",
        "trialCodeDirectory": ".",
        "tuner": {"name": tuner, "classArgs": {"optimize_mode": "maximize"}},
    }
    with Store(directory, create=True) as store:
        store.set_meta(
            id=tuner.lower(), name=tuner, config=config, status="DONE", created=time.time(), elapsed=9.0
        )
        for i, (budget, rung, cfg, value, status) in enumerate(rows):
            ckpt = f"{directory}/checkpoint/{cfg}"
            params = {
                "lr": 0.001 * (i + 1),
                "units": 8 + i % 50,
                "kind": "mlp",
                "opt": "sgd",
                "load_checkpoint_dir": f"{ckpt}/{rung - 1}",
                "save_checkpoint_dir": f"{ckpt}/{rung}",
            }
            if budget is not None:
                params["TRIAL_BUDGET"] = budget
            tid = f"t{i}"
            store.add_trial(
                tid, params, fidelity={"budget": budget, "bracket": None, "rung": rung, "config": cfg}
            )
            store.record_metrics(tid, [Metric.of(FINAL, value)], 0)
            store.update_trial(
                tid, status=TrialStatus(status), start_time=time.time() - 9 + i, end_time=time.time() - 8 + i
            )


@pytest.fixture
def asha(tmp_path: Path) -> Iterator[str]:
    rung = {1: 0, 3: 1, 9: 2}
    write(tmp_path / "asha", "ASHA", [(b, rung[b], f"c{i % 2}", v, s) for i, (b, v, s) in enumerate(ASHA)])
    with served(tmp_path / "asha") as url:
        yield url


@pytest.fixture
def pbt(tmp_path: Path) -> Iterator[str]:
    rows = [
        (None, gen, str(member), 0.5 + 0.1 * gen + 0.01 * member, "SUCCEEDED")
        for gen in range(2)
        for member in range(2)
    ]
    write(tmp_path / "pbt", "PBTTuner", rows)
    with served(tmp_path / "pbt") as url:
        yield url


@pytest.fixture
def hyperband(tmp_path: Path) -> Iterator[str]:
    # 30 results at budget 1, 12 at 3 (4 of them paused), 3 at 9
    plan = [(1, 0, 30), (3, 1, 12), (9, 2, 3)]
    rows = [
        (b, rung, f"c{i}", 0.5 + 0.01 * i, "PAUSED" if b == 3 and i % 3 == 0 else "SUCCEEDED")
        for b, rung, n in plan
        for i in range(n)
    ]
    write(tmp_path / "hb", "Hyperband", rows)
    with served(tmp_path / "hb") as url:
        yield url


def open_tab(page: Any, url: str, tab: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.click(f"#tabs button[data-tab={tab}]" if tab != "rungs" else "#rungs-tab")


def test_asha_promotion_shows_rungs_with_budgets_and_no_checkpoint_paths(asha: str, page: Any) -> None:
    url = asha
    open_tab(page, url, "rungs")
    page.wait_for_selector("#rungs .bracket h3", timeout=10000)
    assert page.text_content("#rungs .bracket h3") == "Rungs (asynchronous: no brackets)"
    assert page.eval_on_selector_all("#rungs .rung h4", "hs => hs.map(h => h.textContent)") == [
        "rung 0 · budget 1",
        "rung 1 · budget 3",
        "rung 2 · budget 9",
    ]
    assert "max budget 9" in page.inner_text("#rungs .legend")
    page.click("#rungs .chip[data-trial='t3']")
    page.wait_for_function("document.getElementById('d-id').textContent === 't3'", timeout=5000)
    info = page.inner_text("#d-info")
    assert "Rung\t1" in info and "Configuration" in info and "Generation" not in info
    assert "load_checkpoint_dir" in info  # the detail keeps every parameter
    page.keyboard.press("Escape")
    # the trials table, the analysis selectors and the parallel axes: hyper-parameters only
    page.click("#tabs button[data-tab=trials]")
    page.wait_for_selector("#trials-table tbody tr[data-id]", timeout=10000)
    assert "checkpoint" not in page.inner_text("#trials-table tbody")
    # the status filter counts each status, as the overview does
    labels = page.eval_on_selector_all("#status-filter option", "os => os.map(o => o.textContent)")
    assert "PAUSED (3)" in labels and "SUCCEEDED (2)" in labels and "FAILED (0)" in labels
    page.select_option("#status-filter", "PAUSED")
    page.wait_for_function("document.querySelectorAll('#trials-table tbody tr[data-id]').length === 3")
    page.select_option("#status-filter", "")
    heads = page.eval_on_selector_all("#trials-table thead th", "ths => ths.map(t => t.textContent)")
    assert heads[6:8] == ["Budget", "Rung"]  # as trial ls shows them
    page.click("#trials-table thead th[data-sort='fidelity:budget']")  # sort by budget
    page.click("#trials-table thead th[data-sort='fidelity:budget']")
    rows = page.eval_on_selector_all("#trials-table tbody tr", "rs => rs.map(r => r.cells[6].textContent)")
    assert sorted(rows) in (rows, rows[::-1]) and sorted(rows, key=float)[-1] == "9"
    page.click("#tabs button[data-tab=analysis]")
    page.wait_for_selector("#contour-x option", state="attached", timeout=10000)
    keys = page.eval_on_selector_all("#contour-x option", "os => os.map(o => o.value)")
    assert "lr" in keys and not [k for k in keys if "checkpoint" in k]
    # the best-so-far line ends at the Best card's value: the best at the largest budget (9), not 0.985 at 1
    assert api(url, "/api/v1/profile")["best"]["value"] == 0.95
    page.click("#tabs button[data-tab=charts]")
    page.wait_for_selector("#chart-metric canvas", timeout=10000)
    page.wait_for_selector("#chart-parallel canvas", timeout=10000)
    axes = option(page, "chart-parallel", ".parallelAxis.map(a => a.name)")
    assert not [a for a in axes if "checkpoint" in a]
    assert option(page, "chart-metric", ".series[1].data.map(p => p[1])") == [0.6, 0.985, 0.985, 0.9, 0.95]


def test_pbt_shows_a_population_of_generations_and_members(pbt: str, page: Any) -> None:
    open_tab(page, pbt, "rungs")
    assert page.text_content("#live") == "● read-only view"  # autolab view: nothing is live
    page.wait_for_selector("#rungs .bracket h3", timeout=10000)
    assert page.text_content("#rungs .bracket h3") == "Population"
    assert page.eval_on_selector_all("#rungs .rung h4", "hs => hs.map(h => h.textContent)") == [
        "generation 0",
        "generation 1",
    ]
    assert "max budget" not in page.inner_text("#rungs .legend")  # PBT has no budget
    page.click("#rungs .chip[data-trial='t3']")
    page.wait_for_function("document.getElementById('d-id').textContent === 't3'", timeout=5000)
    info = page.inner_text("#d-info")
    assert "Generation\t1" in info and "Member" in info and "Rung" not in info
    page.keyboard.press("Escape")
    page.click("#tabs button[data-tab=trials]")
    page.wait_for_selector("#trials-table tbody tr[data-id]", timeout=10000)
    heads = page.eval_on_selector_all("#trials-table thead th", "ths => ths.map(t => t.textContent)")
    assert "Budget" not in heads and heads[6] == "Generation"


def test_analysis_reads_one_budget_of_a_multi_fidelity_experiment(hyperband: str, page: Any) -> None:
    open_tab(page, hyperband, "analysis")
    page.wait_for_function(
        "document.getElementById('importance-note').textContent.includes('fitted on')", timeout=60000
    )
    # the largest budget with at least 10 results, as the API chooses by default
    options = page.eval_on_selector_all("#analysis-budget option", "os => os.map(o => o.textContent)")
    assert options == ["1 (30 trials)", "3 (12 trials)", "9 (3 trials)", "all budgets"]
    assert page.input_value("#analysis-budget") == "3"
    assert "fitted on 12 trials at budget 3" in page.text_content("#importance-note")
    page.wait_for_selector("[id='slice-lr'] canvas", timeout=10000)
    assert points(page, "slice-lr") == 12
    page.select_option("#analysis-budget", "all")
    page.wait_for_function(
        "document.getElementById('importance-note').textContent.includes('45 trials of all budgets')",
        timeout=30000,
    )
    assert points(page, "slice-lr") == 45
    page.select_option("#analysis-budget", "1")
    page.wait_for_function(
        "document.getElementById('importance-note').textContent.includes('30 trials at budget 1')"
    )
    assert points(page, "slice-lr") == 30


def test_no_budget_choice_without_budgets(pbt: str, page: Any) -> None:
    open_tab(page, pbt, "analysis")
    page.wait_for_selector("#contour-x option", state="attached", timeout=10000)
    assert page.is_hidden("#analysis-budget-label")
