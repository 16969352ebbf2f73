"""`autolab create` from the command line, as a user runs it: foreground, background, stop, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers_experiment import write_trial

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def autolab(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOLAB_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "autolab.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def write_config(tmp_path: Path, body: str, extra: str = "", v1: bool = False) -> Path:
    code = tmp_path / "code"
    command = write_trial(code, body)
    (code / "search_space.json").write_text(
        '// comments are fine\n{"x": {"_type": "uniform", "_value": [0, 1]},}\n'
    )
    if v1:
        text = f"""authorName: someone
maxTrialNum: 4
trialConcurrency: 2
trainingServicePlatform: local
searchSpacePath: code/search_space.json
tuner:
  builtinTunerName: Random
  classArgs: {{optimize_mode: minimize}}
trial:
  command: {command}
  codeDir: code
"""
    else:
        text = f"""experimentName: e2e
searchSpaceFile: code/search_space.json
trialCommand: {command}
trialCodeDirectory: code
trialConcurrency: 2
maxTrialNumber: 4
tuner: {{name: Random, classArgs: {{seed: 3}}}}
trainingService: {{platform: local}}
{extra}"""
    path = tmp_path / "config.yml"
    path.write_text(text)
    return path


def test_foreground_runs_to_the_end_and_exports(tmp_path: Path) -> None:
    config = write_config(tmp_path, "autolab.report_final_result(p['x'])\n")
    result = autolab(tmp_path, "create", "--config", str(config), "--foreground", "--port", "0")
    assert result.returncode == 0, result.stderr
    assert "DONE" in result.stdout and "4 SUCCEEDED" in result.stdout
    out = tmp_path / "export.json"
    result = autolab(tmp_path, "experiment", "export", "--type", "json", "--filename", str(out))
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert len(rows) == 4
    assert all(r["status"] == "SUCCEEDED" and r["value"] == r["parameter"]["x"] for r in rows)
    assert {"parameter", "value", "trialJobId"} <= set(rows[0])
    listing = autolab(tmp_path, "trial", "ls")
    assert listing.returncode == 0 and listing.stdout.count("SUCCEEDED") == 4


def test_legacy_v1_config_runs(tmp_path: Path) -> None:
    config = write_config(tmp_path, "autolab.report_final_result(p['x'])\n", v1=True)
    result = autolab(tmp_path, "create", "--config", str(config), "--foreground", "--port", "0")
    assert result.returncode == 0, result.stderr
    assert "4 SUCCEEDED" in result.stdout
    assert "authorName" in result.stderr  # accepted and ignored with a warning, as NNI does


def test_background_create_stop_resume(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "time.sleep(0.5)\nautolab.report_final_result(p['x'])\n",
        extra="maxExperimentDuration: 10m\n",
    )
    text = config.read_text().replace("maxTrialNumber: 4", "maxTrialNumber: 200")
    config.write_text(text)
    result = autolab(tmp_path, "create", "--config", str(config), "--port", "0")
    assert result.returncode == 0, result.stderr
    exp_id = result.stdout.split()[1]
    assert "http://127.0.0.1:" in result.stdout
    listing = autolab(tmp_path, "experiment", "list")
    assert exp_id in listing.stdout and "RUNNING" in listing.stdout
    time.sleep(1.5)
    stop = autolab(tmp_path, "stop", exp_id)
    assert stop.returncode == 0, stop.stderr
    show = json.loads(autolab(tmp_path, "experiment", "show", exp_id).stdout)
    assert show["status"] == "STOPPED"
    done_before = show["trialCounts"].get("SUCCEEDED", 0)
    assert show["trialCounts"].get("RUNNING", 0) == 0
    # a change while stopped goes into the store and into <dir>/config.yml alike
    assert autolab(tmp_path, "update", "duration", exp_id, "--value", "20m").returncode == 0
    written = yaml.safe_load((Path(show["directory"]) / "config.yml").read_text())
    assert written["maxExperimentDuration"] == 1200.0 and written["maxTrialNumber"] == 200
    # resume with a smaller limit so that it ends by itself
    resumed = autolab(tmp_path, "resume", exp_id, "--port", "0")
    assert resumed.returncode == 0, resumed.stderr
    again = autolab(tmp_path, "resume", exp_id)
    assert again.returncode == 2 and "is running" in again.stderr
    time.sleep(1.0)
    assert autolab(tmp_path, "stop", "--all").returncode == 0
    show = json.loads(autolab(tmp_path, "experiment", "show", exp_id).stdout)
    assert show["status"] == "STOPPED"
    assert show["trialCounts"].get("SUCCEEDED", 0) >= done_before
    assert show["elapsed"] > 1.5  # the duration budget carries over


@pytest.mark.parametrize(
    "case, config_text, message",
    [
        ("unknown key", "trialCommand: x\nsearchSpace: {}\ntrialConcurency: 2\n", "trialConcurency"),
        ("bad space", "trialCommand: x\nsearchSpace: {a: {_type: loguniform, _value: [0, 1]}}\n", "'a'"),
        ("bad tuner", "trialCommand: x\nsearchSpace: {}\ntuner: {name: NoSuchTuner}\n", "NoSuchTuner"),
        ("annotation", "trialCommand: x\nsearchSpace: {}\nuseAnnotation: true\n", "useAnnotation"),
        (
            "bad seed",
            "trialCommand: x\nsearchSpace: {}\ntuner: {name: Anneal, classArgs: {seed: [1]}}\n",
            "tuner: seed must be an integer >= 0, got [1]",
        ),
        (  # NNI writes Hyperband as an advisor: the error names the key as written, and the class
            "advisor",
            "trialCommand: x\nsearchSpace: {}\nadvisor: {name: Hyperband, classArgs: {R: 0}}\n",
            "advisor: Hyperband classArgs.R must be a finite number >= 1",
        ),
        (
            "advisor's unknown classArgs",
            "trialCommand: x\nsearchSpace: {}\nadvisor: {name: BOHB, classArgs: {R: 9}}\n",
            "advisor BOHB: unknown classArgs ['R']",
        ),
        (
            "BOHB's eta",
            "trialCommand: x\nsearchSpace: {}\ntuner: {name: BOHB, classArgs: {eta: 1}}\n",
            "tuner: BOHB classArgs.eta must be a finite number > 1, got 1",
        ),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, case: str, config_text: str, message: str) -> None:
    path = tmp_path / "config.yml"
    path.write_text(config_text)
    result = autolab(tmp_path, "create", "--config", str(path))
    assert result.returncode == 2, (case, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_experiment_is_exit_2(tmp_path: Path) -> None:
    result = autolab(tmp_path, "experiment", "show", "nope")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_missing_code_directory_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("trialCommand: python3 t.py\ntrialCodeDirectory: nowhere\nsearchSpace: {}\n")
    result = autolab(tmp_path, "create", "--config", str(path))
    assert result.returncode == 2
    assert "trialCodeDirectory" in result.stderr and "nowhere" in result.stderr
    # the listing shows no directories: any experiment made, readable or not, would be a row here
    listed = autolab(tmp_path, "experiment", "list", "--all")
    assert listed.returncode == 0 and listed.stdout == "No experiment found.\n", listed.stdout


@pytest.mark.parametrize("command", ["create", "view"])
def test_a_host_we_cannot_listen_on_is_one_line_and_creates_nothing(tmp_path: Path, command: str) -> None:
    path = write_config(tmp_path, "autolab.report_final_result(1.0)")
    # 203.0.113.5 is a documentation address: never one of this machine's
    args = ["create", "--config", str(path)] if command == "create" else ["view", "anything"]
    result = autolab(tmp_path, *args, "--host", "203.0.113.5")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "--host 203.0.113.5" in result.stderr
    listed = autolab(tmp_path, "experiment", "list", "--all")
    assert "e2e" not in listed.stdout  # no experiment was made


@pytest.mark.parametrize("port", ["-5", "70000", "busy"])
def test_a_bad_port_is_one_line_and_creates_nothing(tmp_path: Path, port: str) -> None:
    import socket

    path = write_config(tmp_path, "autolab.report_final_result(1.0)")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        if port == "busy":
            port = str(taken.getsockname()[1])
        result = autolab(tmp_path, "create", "--config", str(path), "--port", port)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert f"--port {port}" in result.stderr
    assert "e2e" not in autolab(tmp_path, "experiment", "list", "--all").stdout  # no experiment was made


def test_resume_with_a_bad_port_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path, "autolab.report_final_result(1.0)")
    created = autolab(tmp_path, "create", "--config", str(path), "--foreground", "--port", "0")
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    result = autolab(tmp_path, "resume", exp_id, "--port", "70000")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "--port 70000" in result.stderr
    assert json.loads(autolab(tmp_path, "experiment", "show", exp_id).stdout)["status"] == "DONE"


def test_an_ipv6_loopback_host_serves_the_api(tmp_path: Path) -> None:
    import socket
    import urllib.request

    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    path = write_config(tmp_path, "autolab.report_final_result(1.0)")
    created = autolab(
        tmp_path, "create", "--config", str(path), "--host", "[::1]", "--port", "0"
    )  # as in a URL
    assert created.returncode == 0, created.stderr
    exp_id = created.stdout.split()[1]
    url = autolab(tmp_path, "webui", "url", exp_id).stdout.strip()
    assert url.startswith("http://[::1]:")
    with urllib.request.urlopen(url + "/api/v1/status", timeout=10) as response:
        assert json.load(response)["id"] == exp_id
    autolab(tmp_path, "stop", exp_id)


def test_the_write_token_stays_out_of_the_logs(tmp_path: Path) -> None:
    # bound beyond loopback, changes need a token: the owner gets it (the CLI prints it; <dir>/token
    # is 0600), but manager.log and manager.out are readable by others and never hold it
    config = write_config(tmp_path, "autolab.report_final_result(p['x'])\n")
    result = autolab(tmp_path, "create", "--config", str(config), "--port", "0", "--host", "0.0.0.0")
    assert result.returncode == 0, result.stderr
    exp_id = result.stdout.split()[1]
    try:
        show = json.loads(autolab(tmp_path, "experiment", "show", exp_id).stdout)
        directory = Path(show["directory"])
        token = (directory / "token").read_text().strip()
        assert len(token) >= 20 and (directory / "token").stat().st_mode & 0o077 == 0
        assert f"Token:     {token}" in result.stdout  # the owner's terminal
        for log_file in ("manager.log", "manager.out"):
            text = (directory / log_file).read_text()
            assert token not in text and "token" in text, log_file  # it says where it is, not what
    finally:
        autolab(tmp_path, "stop", exp_id)
