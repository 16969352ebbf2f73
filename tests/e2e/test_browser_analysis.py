"""The web UI's analysis views in headless Chromium over a finished experiment's store (served read-only,
as `autolab view` does): compare (ticked in the table and from a link), importance, slice plots, the
contour, the top-k% filter and log scale, and the Pareto front of two chosen objectives.

Set AUTOLAB_SCREENSHOTS=docs/screenshots to refresh the README's screenshots from this run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.served_store import api, fill, served
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
]


@pytest.fixture
def page() -> Iterator[Any]:
    """A headless Chromium tab, as test_browser's (any JavaScript error on the page fails the test)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        yield tab
        browser.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def one_objective(tmp_path: Path) -> Iterator[str]:
    fill(tmp_path / "exp", n=60)
    with served(tmp_path / "exp") as url:
        yield url


@pytest.fixture
def three_objectives(tmp_path: Path) -> Iterator[str]:
    fill(tmp_path / "exp", n=60, objectives=True)
    with served(tmp_path / "exp") as url:
        yield url


def points(page: Any, chart: str, series: int = 0) -> int:
    """How many data points series `series` of the ECharts chart in element `chart` holds."""
    return int(
        page.evaluate(
            "([id, i]) => echarts.getInstanceByDom(document.getElementById(id)).getOption().series[i].data.length",
            [chart, series],
        )
    )


def option(page: Any, chart: str, path: str) -> Any:
    return page.evaluate(
        f"id => echarts.getInstanceByDom(document.getElementById(id)).getOption(){path}", chart
    )


def test_compare_ticked_trials_and_by_link(one_objective: str, page: Any) -> None:
    url = one_objective
    page.goto(url + "#trials")
    page.wait_for_selector("#trials-table tbody tr[data-id]", timeout=15000)
    assert page.is_disabled("#compare-btn")
    ids = page.eval_on_selector_all("#trials-table tbody tr[data-id]", "rows => rows.map(r => r.dataset.id)")[
        :3
    ]
    for trial_id in ids:
        page.check(f"#trials-table tbody tr[data-id='{trial_id}'] input.pick")
    assert page.inner_text("#compare-btn") == "compare ticked (3)"
    page.click("#compare-btn")
    page.wait_for_selector("#compare-chart canvas", timeout=10000)
    page.wait_for_function("document.querySelectorAll('#compare-table thead th').length === 4", timeout=10000)
    headers = page.eval_on_selector_all(
        "#compare-table thead a.open-trial", "as => as.map(a => a.textContent)"
    )
    assert headers == ids
    # every parameter differs between random trials (lr at least); the status row does not
    assert "lr" in page.eval_on_selector_all(
        "#compare-table tr.diff th", "ths => ths.map(t => t.textContent)"
    )
    assert page.locator("#compare-table tr.status.diff").count() == 0
    page.wait_for_function(
        "echarts.getInstanceByDom(document.getElementById('compare-chart')).getOption().series.length === 3"
    )
    assert [points(page, "compare-chart", i) for i in range(3)] == [8, 8, 8]
    assert page.url.endswith("#compare=" + ",".join(ids))
    shot(page, "compare", full=True)

    # the link alone opens the same comparison in another browser context (nothing ticked there)
    link = page.get_attribute("#compare-link", "href")
    assert link == "#compare=" + ",".join(ids)
    other = page.context.browser.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    other.goto(url + link)
    other.wait_for_function(
        "document.querySelectorAll('#compare-table thead th').length === 4", timeout=15000
    )
    assert (
        other.eval_on_selector_all("#compare-table thead a.open-trial", "as => as.map(a => a.textContent)")
        == ids
    )
    # a missing trial is named, not a blank page
    other.goto(url + "#compare=" + ids[0] + ",nosuch")
    other.wait_for_function("document.getElementById('compare-msg').textContent.includes('no trial nosuch')")
    other.close()
    assert not errors


def test_importance_slices_contour_and_filters(one_objective: str, page: Any) -> None:
    url = one_objective
    page.goto(url + "#analysis")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    # importance: lr drives the metric (tests/e2e/served_store.accuracy), so it comes first
    page.wait_for_function(
        "document.getElementById('importance-note').textContent.includes('fitted on 60 trials')",
        timeout=60000,
    )
    names = option(page, "chart-importance", ".yAxis[0].data")
    assert names[-1] == "lr" and set(names) == {"lr", "units", "kind", "opt", "opt/adam/beta"}
    assert "Permutation importance" in page.get_attribute("#importance-info", "title")
    assert api(url, "/api/v1/importance")["importances"][0]["parameter"] == "lr"
    # one slice per parameter (a nested choice is one, its nested parameter another), each with data
    slices = page.eval_on_selector_all("#slices .chart", "els => els.map(e => e.id)")
    assert slices == ["slice-lr", "slice-units", "slice-kind", "slice-opt", "slice-opt.beta"]
    # the trials table names a nested choice's option as the slices do ("opt=adam, opt.beta=...")
    page.click("button[data-tab=trials]")
    page.wait_for_selector("#trials-table tbody td.params", timeout=15000)
    cells = page.eval_on_selector_all("#trials-table tbody td.params", "tds => tds.map(td => td.textContent)")
    assert any("opt=adam, opt.beta=" in c for c in cells) and any("opt=sgd" in c for c in cells)
    assert not any("_name" in c for c in cells)
    page.click("button[data-tab=analysis]")
    for chart in slices:
        page.wait_for_selector(f"[id='{chart}'] canvas")
    assert points(page, "slice-lr") == 60 and option(page, "slice-lr", ".xAxis[0].type") == "log"
    assert 20 <= points(page, "slice-opt.beta") <= 40  # only the trials where adam was chosen
    # the contour: two parameters, cells with the mean metric, the trials on top
    page.select_option("#contour-x", "lr")
    page.select_option("#contour-y", "kind")
    page.wait_for_selector("#chart-contour canvas")
    assert points(page, "chart-contour", 1) == 60 and points(page, "chart-contour", 0) >= 6
    shot(page, "analysis", full=True)
    page.select_option("#contour-y", "lr")  # the x axis's parameter: the two swap, never lr against lr
    assert (page.input_value("#contour-x"), page.input_value("#contour-y")) == ("kind", "lr")

    # top 10%: every chart keeps the best 6 trials; log scale turns the metric axes to log
    page.select_option("#tab-analysis .topk", "10")
    page.wait_for_function(
        "echarts.getInstanceByDom(document.getElementById('slice-lr')).getOption().series[0].data.length === 6"
    )
    assert points(page, "chart-contour", 1) == 6
    page.check("#tab-analysis .logy")
    page.wait_for_function(
        "echarts.getInstanceByDom(document.getElementById('slice-lr')).getOption().yAxis[0].type === 'log'"
    )
    page.click("#tabs button[data-tab=charts]")
    assert page.input_value("#tab-charts .topk") == "10" and page.is_checked("#tab-charts .logy")
    page.wait_for_selector("#chart-metric canvas")
    time.sleep(0.3)  # the charts draw on the tab's first render; the option is read back below
    assert points(page, "chart-metric", 0) == 6  # the scatter: top 10%
    assert points(page, "chart-metric", 1) == 60  # best so far: over every trial
    assert option(page, "chart-metric", ".yAxis[0].type") == "log"
    assert points(page, "chart-parallel") == 6
    shot(page, "charts-top10-log", full=True)


def test_pareto_front_of_two_chosen_objectives(three_objectives: str, page: Any) -> None:
    url = three_objectives
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    # the overview: no single best of three objectives; the front's size and its first trials
    front = api(url, "/api/v1/pareto")
    assert page.text_content("#ov-best-head") == "Pareto front"
    assert page.text_content("#ov-best") == f"{len(front['front'])} trials"
    heads = page.eval_on_selector_all("#ov-best-table thead th", "ths => ths.map(t => t.textContent)")
    assert heads == ["ID", "#", "accuracy (max)", "latency (min)", "memory (min)", "Parameters"]
    listed = page.eval_on_selector_all("#ov-best-table tbody tr[data-id]", "rs => rs.map(r => r.dataset.id)")
    assert listed and set(listed) <= {m["trialJobId"] for m in front["front"]}
    page.wait_for_selector("#pareto-tab:not([hidden])")
    page.click("#pareto-tab")
    page.wait_for_selector("#chart-pareto canvas", timeout=10000)
    page.wait_for_function("document.getElementById('pareto-note').textContent.includes('on the front')")
    assert page.inner_text("#pareto-note").startswith(
        f"{len(front['front'])} trials on the front of 60 scored"
    )
    names = option(page, "chart-pareto", ".series.map(s => s.name)")
    got = {n: points(page, "chart-pareto", i) for i, n in enumerate(names)}
    assert got["Pareto front"] == len(front["front"]) and got["infeasible"] == front["infeasible"] > 0
    assert sum(got.values()) == 60
    assert option(page, "chart-pareto", ".series[0].itemStyle.color") == "#b0b8c1"  # dominated: grey
    assert option(page, "chart-pareto", ".xAxis[0].name").startswith("accuracy")
    page.select_option("#pareto-y", "memory")
    page.wait_for_function(
        "echarts.getInstanceByDom(document.getElementById('chart-pareto')).getOption().yAxis[0].name.startsWith('memory')"
    )
    shot(page, "pareto")
    # the analysis tab offers each objective; importance follows the chosen one
    page.click("#tabs button[data-tab=analysis]")
    page.wait_for_selector("#analysis-objective-label:not([hidden])")
    page.select_option("#analysis-objective", "memory")
    page.wait_for_function(
        "(() => { const c = echarts.getInstanceByDom(document.getElementById('chart-importance'));"
        " const y = c && c.getOption().yAxis[0].data; return y && y[y.length - 1] === 'units'; })()",
        timeout=60000,
    )


def test_single_objective_has_no_pareto_tab(one_objective: str, page: Any) -> None:
    page.goto(one_objective)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert page.locator("#pareto-tab").is_hidden()
    assert page.locator("#analysis-objective-label").is_hidden()
