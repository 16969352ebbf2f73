"""The trial SDK, run as trials run it: a fresh Python process, standalone or inside an experiment."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from autolab import protocol


def run(
    python: str,
    env: dict[str, str],
    code: str,
    cwd: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    script = cwd / "trial_script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    return subprocess.run(
        [python, str(script)],
        cwd=cwd,
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_metrics(trial_dir: Path) -> list[protocol.Metric]:
    lines = (trial_dir / protocol.METRICS_FILE).read_text(encoding="utf-8").splitlines()
    records = [protocol.parse_metric_line(line) for line in lines]
    assert all(r is not None for r in records), lines
    assert all(sorted(json.loads(line)) == ["time", "type", "value"] for line in lines)  # no "seq"
    return records  # type: ignore[return-value]


@pytest.fixture
def trial_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "trials" / "Ab12x"
    directory.mkdir(parents=True)
    (directory / protocol.PARAMETER_FILE).write_text(
        json.dumps({"lr": 0.1, "layer": {"_name": "conv", "kernel": 3}, "optimizer": "adam"}),
        encoding="utf-8",
    )
    return directory


def experiment_env(trial_dir: Path) -> dict[str, str]:
    return {
        protocol.ENV_TRIAL_DIR: str(trial_dir),
        protocol.ENV_EXPERIMENT_ID: "exp42",
        protocol.ENV_TRIAL_ID: "Ab12x",
        protocol.ENV_SEQUENCE_ID: "7",
    }


def test_standalone_returns_empty_parameters_and_prints_reports(
    python: str, subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    proc = run(
        python,
        subprocess_env,
        """
        import autolab
        print("PARAMS", autolab.get_next_parameter())
        autolab.report_intermediate_result(0.25)
        autolab.report_intermediate_result({"default": 0.5, "loss": 2})
        autolab.report_final_result(0.875)
        print("IDS", autolab.get_experiment_id(), autolab.get_trial_id(), autolab.get_sequence_id())
    """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "PARAMS {}" in out
    assert "0.25" in out and "0.875" in out
    assert "'loss': 2" in out or '"loss": 2' in out
    lines = out.splitlines()
    assert lines.index(next(x for x in lines if "0.25" in x)) < lines.index(
        next(x for x in lines if "0.875" in x)
    )
    assert "IDS STANDALONE STANDALONE 0" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial_script.py"]  # nothing written


def test_in_experiment_reads_parameters_and_appends_metric_lines(
    python: str, subprocess_env: dict[str, str], tmp_path: Path, trial_dir: Path
) -> None:
    (trial_dir / protocol.METRICS_FILE).write_text(protocol.metric_line(protocol.PERIODICAL, 0.01, 1.0))
    proc = run(
        python,
        subprocess_env,
        """
        import json
        import numpy as np
        import autolab
        params = autolab.get_next_parameter()
        assert params is autolab.get_next_parameter()
        print("PARAMS", json.dumps(params, sort_keys=True))
        print("CURRENT", autolab.get_current_parameter("optimizer"))
        for i in range(3):
            autolab.report_intermediate_result(0.1 * (i + 1))
        autolab.report_intermediate_result(np.float32(0.5))
        autolab.report_intermediate_result({"default": np.float64(0.625), "loss": np.int64(3)})
        autolab.report_final_result({"default": 0.9, "loss": 0.1})
        print("IDS", autolab.get_experiment_id(), autolab.get_trial_id(), autolab.get_sequence_id() + 1)
    """,
        tmp_path,
        experiment_env(trial_dir),
    )
    assert proc.returncode == 0, proc.stderr
    assert 'PARAMS {"layer": {"_name": "conv", "kernel": 3}, "lr": 0.1, "optimizer": "adam"}' in proc.stdout
    assert "CURRENT adam" in proc.stdout
    assert "IDS exp42 Ab12x 8" in proc.stdout
    assert "0.625" not in proc.stdout  # reports go to the file, not stdout
    records = read_metrics(trial_dir)
    assert [r.kind for r in records] == [protocol.PERIODICAL] * 6 + [protocol.FINAL]
    assert records[0].value == 0.01  # the earlier line was kept: the SDK appends
    values = [r.number for r in records[1:]]
    assert values == pytest.approx([0.1, 0.2, 0.3, 0.5, 0.625, 0.9])  # in report order
    assert records[5].value == {"default": 0.625, "loss": 3}
    assert records[6].value == {"default": 0.9, "loss": 0.1}


def test_bad_metrics_raise_and_nan_is_skipped(
    python: str, subprocess_env: dict[str, str], tmp_path: Path, trial_dir: Path
) -> None:
    proc = run(
        python,
        subprocess_env,
        """
        import autolab
        from autolab.protocol import MetricError
        for bad in ({"loss": 1.0}, None, "abc", [1, 2]):
            for report in (autolab.report_intermediate_result, autolab.report_final_result):
                try:
                    report(bad)
                except MetricError:
                    continue
                raise SystemExit(f"accepted {bad!r}")
        # a diverged run (NaN or inf loss) is no bug of the script: as in NNI it goes on, and the
        # result is not recorded (said on stderr)
        for diverged in (float("nan"), float("inf"), {"default": float("-inf"), "loss": 1}):
            autolab.report_intermediate_result(diverged)
            autolab.report_final_result(diverged)
        autolab.report_final_result(1)
        print("OK")
    """,
        tmp_path,
        experiment_env(trial_dir),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = read_metrics(trial_dir)
    assert [(r.kind, r.value) for r in records] == [(protocol.FINAL, 1)]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("autolab:")]
    assert (
        len(warnings) == 6 and "final result not recorded: metric is nan (not a finite number)" in warnings[1]
    )


def test_report_final_result_twice_is_allowed_as_in_nni(
    python: str, subprocess_env: dict[str, str], tmp_path: Path, trial_dir: Path
) -> None:
    proc = run(
        python,
        subprocess_env,
        """
        import autolab
        autolab.report_final_result(0.5)
        autolab.report_final_result(0.6)  # NNI sends both; the manager keeps the last
        print("OK")
    """,
        tmp_path,
        experiment_env(trial_dir),
    )
    assert proc.returncode == 0, proc.stderr
    assert [(r.kind, r.value) for r in read_metrics(trial_dir)] == [
        (protocol.FINAL, 0.5),
        (protocol.FINAL, 0.6),
    ]


def test_nni_2_names_plural_parameters_and_intermediate_seq(
    python: str, subprocess_env: dict[str, str], tmp_path: Path, trial_dir: Path
) -> None:
    proc = run(
        python,
        subprocess_env,
        """
        import autolab, autolab.trial
        assert autolab.get_next_parameters() == autolab.trial.get_next_parameters() == {
            "lr": 0.1, "layer": {"_name": "conv", "kernel": 3}, "optimizer": "adam"}
        autolab.trial.overwrite_intermediate_seq(5)
        assert autolab.trial._intermediate_seq == 5
        try:
            autolab.trial.overwrite_intermediate_seq("5")
        except TypeError:
            print("TYPE")
        autolab.report_intermediate_result(0.5)
        assert autolab.trial._intermediate_seq == 6
        assert issubclass(autolab.NoMoreTrialError, Exception)
        assert str(autolab.NoMoreTrialError()) == "Search space fully explored"
        assert str(autolab.NoMoreTrialError("done")) == "done"
        print("OK")
    """,
        tmp_path,
        experiment_env(trial_dir),
    )
    assert proc.returncode == 0, proc.stderr
    assert "TYPE" in proc.stdout and "OK" in proc.stdout
    assert [r.value for r in read_metrics(trial_dir)] == [0.5]


def test_ids_from_environment(python: str, subprocess_env: dict[str, str], tmp_path: Path) -> None:
    proc = run(
        python,
        subprocess_env,
        """
        import autolab
        print(repr(autolab.get_experiment_id()), repr(autolab.get_trial_id()), repr(autolab.get_sequence_id()))
    """,
        tmp_path,
        {protocol.ENV_EXPERIMENT_ID: "e1", protocol.ENV_TRIAL_ID: "t9", protocol.ENV_SEQUENCE_ID: "12"},
    )
    assert proc.stdout.strip() == "'e1' 't9' 12"


HEAVY = ("numpy", "torch", "tornado", "sklearn", "scipy", "yaml", "json5", "sqlite3", "psutil")


def test_import_autolab_stays_light(
    python: str, subprocess_env: dict[str, str], tmp_path: Path, trial_dir: Path
) -> None:
    proc = run(
        python,
        subprocess_env,
        f"""
        import sys
        import autolab
        import autolab.utils, autolab.trial, autolab.protocol
        autolab.get_next_parameter()
        autolab.report_intermediate_result(1)
        autolab.report_final_result({{"default": 2}})
        autolab.utils.merge_parameter({{"a": 1}}, {{"a": 2}})
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
    """,
        tmp_path,
        experiment_env(trial_dir),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


NNI_SCRIPT = """
import argparse
import logging

import autolab as nni
from autolab.utils import merge_parameter

logger = logging.getLogger("mnist_AutoML")


def get_params():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden_size", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=3)
    args, _ = parser.parse_known_args()
    return args


def main(args):
    acc = 0.0
    for epoch in range(args["epochs"]):
        acc = 1 - 1 / (epoch + 2) - args["lr"]
        nni.report_intermediate_result(acc)
        logger.debug("test accuracy %g", acc)
    nni.report_final_result(acc)
    print("HIDDEN", args["hidden_size"], type(args["batch_size"]).__name__, nni.get_trial_id())


if __name__ == "__main__":
    try:
        tuner_params = nni.get_next_parameter()
        logger.debug(tuner_params)
        params = vars(merge_parameter(get_params(), tuner_params))
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise
"""


def test_unchanged_nni_script_runs_in_an_experiment(
    python: str, subprocess_env: dict[str, str], tmp_path: Path, trial_dir: Path
) -> None:
    (trial_dir / protocol.PARAMETER_FILE).write_text(
        json.dumps({"batch_size": 32.0, "hidden_size": 128, "lr": 0.05}), encoding="utf-8"
    )
    proc = run(python, subprocess_env, NNI_SCRIPT, tmp_path, experiment_env(trial_dir))
    assert proc.returncode == 0, proc.stderr
    assert "HIDDEN 128 int Ab12x" in proc.stdout
    records = read_metrics(trial_dir)
    assert [r.kind for r in records] == [protocol.PERIODICAL] * 3 + [protocol.FINAL]
    assert records[-1].value == pytest.approx(1 - 1 / 4 - 0.05)


def test_unchanged_nni_script_runs_standalone(
    python: str, subprocess_env: dict[str, str], tmp_path: Path
) -> None:
    proc = run(python, subprocess_env, NNI_SCRIPT, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "HIDDEN 512 int STANDALONE" in proc.stdout
    assert str(round(1 - 1 / 4 - 0.01, 4)) in proc.stdout
