"""The page says why an experiment ended in error, and the training service's notes while its manager
runs (a remote machine that does not answer...), above every tab; it showed neither."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from autolab import protocol
from autolab.experiments import MANAGER_PID_FILE
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
ERROR = "platform remote: no machine of machineList can be used (bob@gpu2: <b>pythonPath</b> missing)"
NOTE = "machine bob@gpu3 unreachable since 2026-12-04 10:00:00: Connection refused"


@pytest.fixture
def troubled(tmp_path: Path) -> Iterator[str]:
    directory = tmp_path / "exp"
    (directory / "trials").mkdir(parents=True)
    config = {"searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}}, "trialCommand": "true"}
    with Store(directory, create=True) as store:
        store.set_meta(
            id="alert1",
            config=config,
            status="ERROR",
            error=ERROR,
            notes=[NOTE],
            created=time.time(),
            elapsed=1,
        )
    # notes are shown while a manager runs: this test process stands for it
    me = psutil.Process(os.getpid())
    protocol.write_pid_file(directory / MANAGER_PID_FILE, me.pid, me.create_time())
    try:
        with served(directory) as url:
            yield url
    finally:  # or the e2e cleanup would stop "the manager": this process
        (directory / MANAGER_PID_FILE).unlink()


def test_the_error_and_the_notes_are_shown_as_text(troubled: str, page: Any) -> None:
    page.goto(troubled)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.wait_for_selector("#exp-alerts:not([hidden])", timeout=10000)
    assert page.inner_text("#exp-alerts .alert-error") == "Error: " + ERROR  # its <b> as text
    assert page.inner_text("#exp-alerts .alert-note") == NOTE
    page.click("#tabs button[data-tab=trials]")  # above every tab
    assert page.is_visible("#exp-alerts .alert-error")
