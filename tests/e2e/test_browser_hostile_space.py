"""A custom tuner's search space is stored as written (autolab checks only its builtin tuners'), so
its values may hold anything: the Re-run form must not put them into the page as HTML."""

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
from tests.e2e.served_store import served
from tests.e2e.test_browser import CHROMIUM

page = test_browser.page  # the headless Chromium tab (a fixture)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing (apt-get install chromium)"),
]
HOSTILE = '0"><img src=x onerror="window.pwned=1">'


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[str]:
    directory = tmp_path / "exp"
    (directory / "trials" / "t0").mkdir(parents=True)
    space = {
        "x": {"_type": "uniform", "_value": [HOSTILE, 1]},
        "n": {"_type": "randint", "_value": [0, HOSTILE]},
    }
    config = {
        "searchSpace": space,
        "trialCommand": "python3 t.py",
        "trialCodeDirectory": ".",
        "tuner": {"className": "mytuner.MyTuner", "codeDirectory": "."},
    }
    with Store(directory, create=True) as store:
        store.set_meta(
            id="hostile1", name="h", config=config, status="DONE", created=time.time(), elapsed=1.0
        )
        store.add_trial("t0", {"x": 0.5, "n": 3})
        store.record_metrics("t0", [Metric.of(FINAL, 0.5)], 0)
        store.update_trial(
            "t0", status=TrialStatus.SUCCEEDED, start_time=time.time() - 2, end_time=time.time()
        )
    with served(directory) as url:
        yield url


def test_the_rerun_form_renders_space_values_as_text(hostile: str, page: Any) -> None:
    page.goto(hostile + "#trials")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.click("#tabs button[data-tab=trials]")
    page.wait_for_selector("#trials-table tbody tr[data-id='t0'] td.mono", timeout=10000)
    page.click("#trials-table tbody tr[data-id='t0'] td.mono")
    page.wait_for_selector("#detail:not([hidden])")
    page.wait_for_function("document.getElementById('d-id').textContent === 't0'", timeout=5000)
    # read-only here (no manager): the button is enabled and clicked in one step, for the form only
    page.evaluate(
        "(() => { const b = document.getElementById('d-rerun-btn'); b.disabled = false; b.click(); })()"
    )
    page.wait_for_selector("#d-rerun label[data-name=x] input", timeout=5000)
    assert page.locator("#d-rerun img").count() == 0
    assert page.evaluate("window.pwned === undefined")
    # no bounds from values that are not numbers; the trial's own values still fill the form
    assert page.get_attribute("#d-rerun label[data-name=x] input", "min") is None
    assert page.input_value("#d-rerun label[data-name=x] input") == "0.5"
    assert page.input_value("#d-rerun label[data-name=n] input") == "3"
