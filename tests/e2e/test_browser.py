"""The web UI in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a
real experiment: trials appear live, the table sorts, a trial opens, and the page kills a trial.

Set AUTOLAB_SCREENSHOTS=docs/screenshots to refresh the README's screenshots from this run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers_experiment import write_trial

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
]

# trial #1 runs long so that the test finds it RUNNING when it kills it from the page
TRIAL = """
for step in range(200 if autolab.get_sequence_id() == 1 else 16):
    time.sleep(0.3)
    print(f"step {step} of trial {autolab.get_trial_id()}", flush=True)
    autolab.report_intermediate_result({"default": p["x"] * (step + 1) / 16, "loss": 1 - p["x"]})
autolab.report_final_result({"default": p["x"], "loss": 1 - p["x"]})
"""


def autolab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOLAB_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def experiment(tmp_path: Path) -> Iterator[str]:
    code = tmp_path / "code"
    command = write_trial(code, TRIAL)
    (tmp_path / "config.yml").write_text(f"""experimentName: browser-e2e
searchSpace:
  x: {{_type: uniform, _value: [0, 1]}}
  lr: {{_type: loguniform, _value: [0.0001, 0.1]}}
  kind: {{_type: choice, _value: [a, b, c]}}
trialCommand: {command}
trialCodeDirectory: {code}
trialConcurrency: 2
maxTrialNumber: 12
tuner: {{name: Random, classArgs: {{seed: 5, optimize_mode: maximize}}}}
trainingService: {{platform: local}}
""")
    result = autolab(tmp_path, "create", "--config", str(tmp_path / "config.yml"), "--port", "0")
    assert result.returncode == 0, result.stderr
    url = next(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("Web UI:"))
    try:
        yield url
    finally:
        autolab(tmp_path, "stop", "--all")


@pytest.fixture
def page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.errors = errors
        yield tab
        browser.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Any, name: str, full: bool = False) -> None:
    folder = os.environ.get("AUTOLAB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full)


def api(url: str, path: str) -> Any:
    with urllib.request.urlopen(url + path, timeout=10) as response:
        return json.loads(response.read())


def column(page: Any, header: str) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "#trials-table tbody tr[data-id]",
            """(rows, header) => {
             const names = [...document.querySelectorAll('#trials-table thead th')]
               .map(th => th.textContent.replace(/[▲▼]/g, '').trim());
             const i = names.indexOf(header);
             return rows.map(r => r.children[i].textContent.trim());
           }""",
            header,
        )
    )


def test_live_page_sort_open_and_kill(experiment: str, page: Any) -> None:
    url = experiment
    started = time.time()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    assert time.time() - started < 10
    assert "browser-e2e" in page.inner_text("#exp-name")

    # trials appear without a reload: the table grows while we watch
    page.click("#tabs button[data-tab=trials]")
    page.wait_for_selector("#trials-table tbody tr[data-id]", timeout=15000)
    first = page.locator("#trials-table tbody tr[data-id]").count()
    page.wait_for_function(
        f"document.querySelectorAll('#trials-table tbody tr[data-id]').length > {first}", timeout=20000
    )
    page.wait_for_function(
        "[...document.querySelectorAll('#trials-table tbody .badge')].some(b => b.textContent === 'SUCCEEDED')",
        timeout=20000,
    )

    # sort by the metric, best first (maximize), then ascending
    page.click("#trials-table th[data-sort=value]")
    values = [float(v) for v in column(page, "Metric") if v]
    assert len(values) >= 1 and values == sorted(values, reverse=True)
    page.click("#trials-table th[data-sort=value]")
    values = [float(v) for v in column(page, "Metric") if v]
    assert values == sorted(values)
    page.click("#trials-table th[data-sort=sequence]")
    seqs = [int(v) for v in column(page, "#")]
    assert seqs == sorted(seqs)
    assert "loss" in [h.strip("▲▼ ") for h in page.locator("#trials-table thead th").all_inner_texts()]
    shot(page, "trials")

    # search narrows the table
    some_id = column(page, "ID")[0]
    page.fill("#search", some_id)
    page.wait_for_function(
        "document.querySelectorAll('#trials-table tbody tr[data-id]').length === 1", timeout=5000
    )
    page.fill("#search", "")

    # open a running trial: parameters, intermediate chart, log tail
    page.select_option("#status-filter", "RUNNING")
    page.fill("#search", "")
    page.wait_for_selector("#trials-table tbody tr[data-id]", timeout=10000)
    trial_id = api(url, "/api/v1/trials?sort=sequence&limit=2")["trials"][1]["trialJobId"]
    page.wait_for_selector(f"#trials-table tbody tr[data-id='{trial_id}']", timeout=10000)
    page.click(f"#trials-table tbody tr[data-id='{trial_id}'] td.mono")
    page.wait_for_selector("#detail:not([hidden])")
    page.wait_for_function(f"document.getElementById('d-id').textContent === '{trial_id}'", timeout=5000)
    page.wait_for_function(
        f"document.getElementById('d-log').textContent.includes('of trial {trial_id}')", timeout=10000
    )
    assert page.locator("#d-chart canvas").count() >= 1
    shot(page, "trial-detail")

    # kill it from the page; the page shows USER_CANCELED without a reload
    assert page.inner_text("#d-status") == "RUNNING"
    page.click("#d-kill")
    page.wait_for_function(
        "document.getElementById('d-status').textContent === 'USER_CANCELED'", timeout=10000
    )
    assert api(url, f"/api/v1/trials/{trial_id}")["status"] == "USER_CANCELED"
    page.click("#d-close")

    # charts draw (canvas in each), and the overview shows counts and the controls
    page.select_option("#status-filter", "")
    page.click("#tabs button[data-tab=charts]")
    for chart in ("chart-metric", "chart-inter", "chart-parallel", "chart-duration"):
        page.wait_for_selector(f"#{chart} canvas", timeout=10000)
    time.sleep(0.5)
    shot(page, "charts", full=True)
    page.click("#tabs button[data-tab=overview]")
    page.wait_for_function(
        "document.getElementById('ov-counts').textContent.includes('USER_CANCELED')", timeout=5000
    )
    assert page.input_value("#params-form input[name=trialConcurrency]") == "2"
    shot(page, "overview", full=True)


def test_controls_change_the_running_experiment(experiment: str, page: Any) -> None:
    url = experiment
    page.goto(url + "?token=t0k3n&x=1#top")  # the token is kept for the tab, out of the address bar
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    assert "token" not in page.url and page.url.startswith(url.rstrip("/") + "/?x=1#")
    assert page.evaluate("sessionStorage.getItem('autolab-token')") == "t0k3n"
    page.go_back()  # nor in the history
    assert "t0k3n" not in page.url
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    page.fill("#params-form input[name=maxTrialNumber]", "3")
    page.fill("#params-form input[name=maxExperimentDuration]", "2h")
    page.click("#params-form button[type=submit]")
    page.wait_for_function(
        "document.getElementById('controls-msg').textContent.startsWith('updated')", timeout=5000
    )
    profile = api(url, "/api/v1/profile")
    assert profile["maxTrialNumber"] == 3 and profile["maxExperimentDuration"] == 7200
    page.fill("#params-form input[name=maxExperimentDuration]", "soon")
    page.click("#params-form button[type=submit]")
    # the page sends the text as written; the server's message names the problem
    page.wait_for_function(
        "document.getElementById('controls-msg').textContent.includes('bad duration')", timeout=5000
    )
    assert "maxExperimentDuration" in page.inner_text("#controls-msg")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#stop-btn")
    page.wait_for_function(
        "['STOPPING', 'STOPPED'].includes(document.getElementById('exp-status').textContent)", timeout=10000
    )
    # the server kept serving until the page had read the trials' final statuses: none shown running
    page.wait_for_function(
        "![...AL.state.trials.values()].some(AL.running) && AL.state.profile.status === 'STOPPED'",
        timeout=15000,
    )
    assert page.evaluate("[...AL.state.trials.values()].some((t) => t.status === 'USER_CANCELED')")
