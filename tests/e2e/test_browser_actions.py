"""The page's trial actions in a real headless Chromium against a real experiment: a re-run with an
edited parameter (the new trial runs with it), a retry of a failed trial, the live log tail (only
new bytes asked for), the zip link, and the rung view of a Hyperband experiment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_browser
from tests.e2e.test_browser import CHROMIUM, api, autolab, shot
from tests.helpers_experiment import write_trial

page = test_browser.page  # the headless Chromium tab (a fixture)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
]

# trial #0 fails; every trial prints a line every 0.1 s for `lines` lines, then reports x
TRIAL = """
if autolab.get_sequence_id() == 0:
    sys.exit("failing on purpose")
for i in range(int(p.get("lines", 5))):
    print(f"line {i} x={p['x']}", flush=True)
    time.sleep(0.1)
autolab.report_final_result(p["x"])
"""


def start(tmp_path: Path, config: str) -> Iterator[str]:
    (tmp_path / "config.yml").write_text(config)
    result = autolab(tmp_path, "create", "--config", str(tmp_path / "config.yml"), "--port", "0")
    assert result.returncode == 0, result.stderr
    url = next(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("Web UI:"))
    try:
        yield url
    finally:
        autolab(tmp_path, "stop", "--all")


@pytest.fixture
def experiment(tmp_path: Path) -> Iterator[str]:
    command = write_trial(tmp_path / "code", TRIAL)
    yield from start(
        tmp_path,
        f"""experimentName: actions-e2e
searchSpace:
  x: {{_type: uniform, _value: [0, 1]}}
  kind: {{_type: choice, _value: [a, b]}}
  lines: {{_type: choice, _value: [5, 40]}}
trialCommand: {command}
trialCodeDirectory: {tmp_path / "code"}
trialConcurrency: 2
maxTrialNumber: 3
tuner: {{name: Random, classArgs: {{seed: 3}}}}
""",
    )


def trials(url: str) -> dict[str, Any]:
    return {t["trialJobId"]: t for t in api(url, "/api/v1/trials?limit=100")["trials"]}


def wait(what: str, condition: Any, timeout: float = 60.0) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def open_trial(page: Any, trial_id: str) -> None:
    page.click("#tabs button[data-tab=trials]")
    page.fill("#search", trial_id)
    page.wait_for_selector(f"#trials-table tbody tr[data-id='{trial_id}']", timeout=10000)
    page.click(f"#trials-table tbody tr[data-id='{trial_id}'] td.mono")
    page.wait_for_function(f"document.getElementById('d-id').textContent === '{trial_id}'", timeout=10000)


def test_rerun_with_an_edited_parameter_retry_and_log_tail(experiment: str, page: Any) -> None:
    url = experiment
    wait("the tuner's trials", lambda: api(url, "/api/v1/profile")["status"] == "DONE")
    by_seq = sorted(trials(url).values(), key=lambda t: t["sequence"])
    failed, done = by_seq[0], by_seq[1]
    assert failed["status"] == "FAILED" and done["status"] == "SUCCEEDED"
    logs: list[str] = []
    page.on("request", lambda r: logs.append(r.url) if "/log/stdout" in r.url else None)
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=10000)

    # re-run: the form holds the trial's values; a value outside the space is refused on the page
    open_trial(page, done["trialJobId"])
    assert page.get_attribute("#d-zip", "href") == f"api/v1/trials/{done['trialJobId']}/zip"
    assert page.is_disabled("#d-retry")
    page.click("#d-rerun-btn")
    x_input = "#d-rerun label[data-name=x] input"
    assert float(page.input_value(x_input)) == pytest.approx(done["parameter"]["x"])
    page.fill(x_input, "5")
    page.click("#d-rerun button[type=submit]")
    page.wait_for_function("document.getElementById('d-msg').textContent.includes('x: 5 is outside [0, 1]')")
    page.fill(x_input, "0.123")
    page.select_option("#d-rerun label[data-name=lines] select", "40")
    shot(page, "rerun")
    page.click("#d-rerun button[type=submit]")
    page.wait_for_function("document.getElementById('d-msg').textContent.includes('queued as trial')")
    new_id = page.inner_text("#d-msg").split("queued as trial ")[1].split()[0]

    # the new trial's log, followed live: after the first read, only the bytes after `next`
    page.click("#d-msg a.trial-link")
    page.wait_for_function(f"document.getElementById('d-id').textContent === '{new_id}'", timeout=10000)
    page.wait_for_function(
        "document.getElementById('d-log').textContent.includes('line 39 x=0.123')", timeout=30000
    )
    text = page.inner_text("#d-log")
    assert [f"line {i} x=0.123" in text for i in range(40)] == [True] * 40 and text.count("line 0 ") == 1
    mine = [u for u in logs if f"/trials/{new_id}/log/stdout" in u]
    assert any("offset=" in u for u in mine) and sum("offset=" not in u for u in mine) == 1, mine
    shot(page, "trial-log")
    new = wait(
        "the re-run's end", lambda: trials(url)[new_id]["status"] == "SUCCEEDED" and trials(url)[new_id]
    )
    assert new["parameter"] == {**done["parameter"], "x": 0.123, "lines": 40} and new["finalMetric"] == 0.123
    assert new["source"] == f"customized:{done['trialJobId']}"
    page.wait_for_function("document.getElementById('d-info').textContent.includes('re-run of')")

    # retry of the failed trial: enabled there, the new trial runs its parameters
    open_trial(page, failed["trialJobId"])
    page.wait_for_function("!document.getElementById('d-retry').disabled")
    page.click("#d-retry")
    page.wait_for_function("document.getElementById('d-msg').textContent.includes('queued as trial')")
    retry_id = page.inner_text("#d-msg").split("queued as trial ")[1].split()[0]
    retry = wait(
        "the retry's end", lambda: trials(url)[retry_id]["status"] == "SUCCEEDED" and trials(url)[retry_id]
    )
    assert retry["parameter"] == failed["parameter"] and retry["source"] == f"retry:{failed['trialJobId']}"


HB_TRIAL = """
for i in range(int(p["TRIAL_BUDGET"])):
    autolab.report_intermediate_result(p["x"] * (i + 1))
autolab.report_final_result(p["x"] / p["TRIAL_BUDGET"])  # a small budget's results look better
"""


@pytest.fixture
def hyperband(tmp_path: Path) -> Iterator[str]:
    command = write_trial(tmp_path / "code", HB_TRIAL)
    yield from start(
        tmp_path,
        f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 3
maxTrialNumber: 13
advisor: {{name: Hyperband, classArgs: {{R: 9, eta: 3, exec_mode: serial, optimize_mode: maximize}}}}
""",
    )


def test_rung_view_of_a_hyperband_experiment(hyperband: str, page: Any) -> None:
    url = hyperband
    wait("the brackets", lambda: api(url, "/api/v1/profile")["status"] == "DONE", timeout=120)
    view = api(url, "/api/v1/rungs")
    promoted = sum(r["counts"].get("promoted", 0) for b in view["brackets"] for r in b["rungs"])
    assert view["multiFidelity"] and promoted > 0
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=10000)
    page.wait_for_selector("#rungs-tab:not([hidden])", timeout=5000)
    page.click("#rungs-tab")
    page.wait_for_selector("#rungs .bracket .chip.o-promoted", timeout=5000)
    assert page.locator("#rungs .chip[data-trial]").count() == len(trials(url))
    first = view["brackets"][0]
    rungs = page.locator(f"#rungs .bracket[data-bracket='{first['bracket']}'] .rung")
    assert rungs.count() == len(first["rungs"])
    assert page.locator("#rungs .chip.o-promoted[data-trial]").count() == promoted
    shot(page, "rungs", full=True)
    chip = page.locator("#rungs .chip.o-promoted[data-trial]").first
    chip_id = chip.get_attribute("data-trial")
    chip.click()
    page.wait_for_function(f"document.getElementById('d-id').textContent === '{chip_id}'", timeout=5000)
    page.wait_for_function("document.getElementById('d-info').textContent.includes('Bracket / rung')")
    # the overview's best trials: the largest budget first (its values are the lowest here), as the Best card
    full = [t for t in trials(url).values() if (t.get("fidelity") or {}).get("budget") == 9]
    page.click("button[data-tab='overview']")
    assert "Budget" in page.inner_text("#ov-best-table thead")
    first = page.locator("#ov-best-table tbody tr").first
    assert len(full) == 1 and first.get_attribute("data-id") == full[0]["trialJobId"]
    assert full[0]["trialJobId"] in page.inner_text("#ov-best-id")
