"""The experiments page (`autolab view --all`) in a real headless Chromium: every experiment listed
with status and progress, stop and resume from the page (the real manager stops and starts), and a
stopped experiment's read-only page through its link."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autolab.experiments import manager_alive
from tests.e2e import test_browser
from tests.e2e.test_browser import CHROMIUM, REPO, api, autolab, shot
from tests.e2e.test_browser_actions import wait
from tests.helpers_experiment import write_trial

page = test_browser.page  # the headless Chromium tab (a fixture)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
]

TRIAL = """
time.sleep(0.4)
autolab.report_final_result(p["x"])
"""


def create(home: Path, name: str, max_trials: int) -> str:
    command = write_trial(home / "code", TRIAL)
    config = home / f"{name}.yml"
    config.write_text(f"""experimentName: {name}
searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: {home / "code"}
trialConcurrency: 1
maxTrialNumber: {max_trials}
tuner: {{name: Random, classArgs: {{seed: 2}}}}
""")
    result = autolab(home, "create", "--config", str(config), "--port", "0")
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[1]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[str, str, str, Path]]:
    """A finished experiment, a long one running, and the experiments page's URL."""
    short = create(tmp_path, "short", 2)
    wait("the short one's end", lambda: api_status(tmp_path, short) == "DONE")
    autolab(tmp_path, "stop", short)
    data = tmp_path / "imported.json"  # beside maxTrialNumber's count, never in it
    data.write_text(json.dumps([{"parameter": {"x": 0.5}, "value": 0.5}]))
    assert autolab(tmp_path, "experiment", "import", short, "-f", str(data)).returncode == 0
    long = create(tmp_path, "long", 500)
    env = {**os.environ, "AUTOLAB_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [sys.executable, "-m", "autolab.cli", "view", "--all", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("Experiments in"), line
        yield line.split()[-1], short, long, tmp_path
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        autolab(tmp_path, "stop", "--all")


def api_status(home: Path, exp_id: str) -> str:
    result = autolab(home, "experiment", "status", exp_id, "--json")
    return str(json.loads(result.stdout)["status"]) if result.returncode == 0 else ""


def row_status(page: Any, exp_id: str) -> str:
    return str(page.inner_text(f"#experiments tr[data-id='{exp_id}'] .badge"))


def test_list_stop_resume_and_view(home: tuple[str, str, str, Path], page: Any) -> None:
    url, short, long, directory = home
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    listed = api(url, "/api/v1/experiments")["experiments"]
    assert [e["id"] for e in listed] == [long, short]
    assert row_status(page, short) == "DONE" and row_status(page, long) == "RUNNING"
    progress = page.inner_text(f"#experiments tr[data-id='{short}'] td.progress")
    assert "2 / 2 trials +1 imported or re-run" in progress, progress
    best = api(url, f"/e/{short}/api/v1/profile")["best"]["value"]
    assert page.inner_text(f"#experiments tr[data-id='{short}'] td.n").startswith(str(best)[:4])
    running_link = page.get_attribute(f"#experiments tr[data-id='{long}'] a", "href")
    assert running_link == api(url, "/api/v1/experiments")["experiments"][0]["url"] + "/"
    shot(page, "experiments")

    page.click(f"#experiments tr[data-id='{long}'] button[data-act=stop]")
    page.wait_for_function(
        f"document.querySelector(\"#experiments tr[data-id='{long}'] .badge\").textContent === 'STOPPED'",
        timeout=30000,
    )
    assert not manager_alive(directory / long)
    page.click(f"#experiments tr[data-id='{long}'] button[data-act=resume]")
    page.wait_for_function(
        f"document.querySelector(\"#experiments tr[data-id='{long}'] .badge\").textContent === 'RUNNING'",
        timeout=30000,
    )
    assert manager_alive(directory / long)
    # the list's poll can show RUNNING before the resume request has answered ("resume X…" until then)
    page.wait_for_function(
        "document.querySelector('#exp-msg').textContent.includes('resumed')", timeout=30000
    )

    # a stopped experiment's link: its page, read-only, served by this server
    page.click(f"#experiments tr[data-id='{short}'] a")
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    assert page.url == f"{url}/e/{short}/#overview" or page.url.startswith(f"{url}/e/{short}/")
    assert "short" in page.inner_text("#exp-name") and page.inner_text("#exp-status") == "DONE"
    page.wait_for_function("document.getElementById('ov-trials').textContent.length > 0", timeout=10000)
    assert page.inner_text("#ov-trials") == "2 / 2"
    assert page.inner_text("#ov-trials-other") == "+1 imported or re-run, not counted"
    # the imported trial ran elsewhere: no directory, no .zip, and its log says so
    imported = next(t for t in api(url, f"/e/{short}/api/v1/trials")["trials"] if t["source"] == "import")
    page.evaluate("id => AL.openDetail(id)", imported["trialJobId"])
    page.wait_for_function("document.getElementById('d-log').textContent.includes('imported')", timeout=10000)
    assert page.is_hidden("#d-zip") and "none (an imported trial ran elsewhere)" in page.inner_text("#d-info")
    page.keyboard.press("Escape")
    page.click("#brand")  # the way back to the experiments list
    page.wait_for_selector(f"#experiments tr[data-id='{short}']", timeout=10000)
    assert page.url.rstrip("/") == url
