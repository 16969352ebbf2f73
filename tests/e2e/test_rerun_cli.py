"""`autolab trial rerun` and `autolab trial retry` against a running experiment, each `autolab` a
separate process, as a user runs them: the new trial runs with the edited parameter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autolab.statuses import TrialStatus
from tests.e2e.test_cli_e2e import ok
from tests.e2e.test_crash_resume import autolab, kill_manager, wait_for
from tests.helpers_experiment import trial_rows, write_trial

pytestmark = pytest.mark.e2e

TRIAL = """
if os.path.exists("FAIL"):
    sys.exit(3)
autolab.report_final_result(p["x"] * 10 + p["k"])
"""


@pytest.mark.slow
def test_rerun_and_retry_from_the_cli(tmp_path: Path) -> None:
    code = tmp_path / "code"
    command = write_trial(code, TRIAL)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}, k: {{_type: choice, _value: [1, 2]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 1
maxTrialNumber: 1
tuner: {{name: Random, classArgs: {{seed: 5}}}}
""")
    exp_id = ok(autolab(tmp_path, "create", "--config", str(config), "--port", "0")).split()[1]
    directory = tmp_path / exp_id
    (first,) = wait_for("the first trial", lambda: [r for r in trial_rows(directory) if r.status.finished])
    assert first.status == TrialStatus.SUCCEEDED

    bad = autolab(tmp_path, "trial", "rerun", exp_id, first.id, "--set", "x=2")
    assert bad.returncode == 2 and "parameter 'x': 2 is outside [0, 1]" in bad.stderr
    assert bad.stderr.count("\n") == 1
    out = ok(autolab(tmp_path, "trial", "rerun", exp_id, first.id[:4], "--set", "x=0.5", "--set", "k=2"))
    new_id = out.split()[1]
    new = wait_for(
        "the re-run", lambda: [r for r in trial_rows(directory) if r.id == new_id and r.status.finished]
    )[0]
    assert new.status == TrialStatus.SUCCEEDED and new.value == pytest.approx(7.0)
    assert new.source == f"customized:{first.id}" and new.parameters == {"x": 0.5, "k": 2}

    refused = autolab(tmp_path, "trial", "retry", exp_id, first.id)
    assert refused.returncode == 2 and "is SUCCEEDED: only a FAILED or USER_CANCELED" in refused.stderr
    (code / "FAIL").write_text("")
    failed_id = ok(autolab(tmp_path, "trial", "rerun", exp_id, first.id, "--params", '{"x": 0.25}')).split()[
        1
    ]
    wait_for(
        "the failing run",
        lambda: [r for r in trial_rows(directory) if r.id == failed_id and r.status.finished],
    )
    (code / "FAIL").unlink()
    retry_id = ok(autolab(tmp_path, "trial", "retry", exp_id, failed_id)).split()[1]
    retry = wait_for(
        "the retry", lambda: [r for r in trial_rows(directory) if r.id == retry_id and r.status.finished]
    )[0]
    assert retry.status == TrialStatus.SUCCEEDED and retry.source == f"retry:{failed_id}"
    assert retry.value == pytest.approx(2.5 + first.parameters["k"])
    ok(autolab(tmp_path, "stop", exp_id))


# the first trial holds the one slot long enough for a re-run to queue behind it
SLOW = """
time.sleep(6.0 if autolab.get_sequence_id() == 0 else 0.2)
autolab.report_final_result(p["x"] * 10 + p["k"])
"""


@pytest.mark.slow
def test_a_queued_rerun_survives_a_kill_of_the_manager(tmp_path: Path) -> None:
    """kill -9 of the manager while a re-run waits for a slot: resume runs it, once, as itself."""
    code = tmp_path / "code"
    command = write_trial(code, SLOW)
    config = tmp_path / "config.yml"
    config.write_text(f"""searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}, k: {{_type: choice, _value: [1]}}}}
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 1
maxTrialNumber: 1
tuner: {{name: Random, classArgs: {{seed: 5}}}}
""")
    exp_id = ok(autolab(tmp_path, "create", "--config", str(config), "--port", "0")).split()[1]
    directory = tmp_path / exp_id
    (first,) = wait_for(
        "the first trial running", lambda: [r for r in trial_rows(directory) if r.status == "RUNNING"]
    )
    new_id = ok(autolab(tmp_path, "trial", "rerun", exp_id, first.id, "--set", "x=0.5")).split()[1]
    queued = {r.id: r for r in trial_rows(directory)}[new_id]
    assert queued.status == TrialStatus.WAITING  # the one slot is taken
    kill_manager(directory)
    ok(autolab(tmp_path, "resume", exp_id, "--port", "0"))

    def ended() -> list[Any] | None:
        rows = trial_rows(directory)
        return rows if all(r.status.finished for r in rows) else None

    rows = wait_for("every trial ended", ended)
    by_id = {r.id: r for r in rows}
    assert len(rows) == 2 or all(
        r.source.startswith("rerun:") for r in rows if r.id not in (first.id, new_id)
    )
    assert by_id[new_id].status == TrialStatus.SUCCEEDED and by_id[new_id].value == pytest.approx(6.0)
    assert by_id[new_id].source == f"customized:{first.id}"
    ok(autolab(tmp_path, "stop", exp_id))
