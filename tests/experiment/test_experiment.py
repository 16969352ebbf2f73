"""NNI 3.0's Experiment over autolab's manager: the NNI snippet, configs from objects and files, the
one-line errors, the queries, live updates, resume, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from autolab import experiments
from autolab._nni_shim import SHIM_PATH
from autolab.errors import UserError
from autolab.experiment import Experiment, ExperimentConfig
from autolab.statuses import TrialStatus
from autolab.store import Store

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}
MODEL = """\
import nni
p = nni.get_next_parameter()
for step in range(3):
    nni.report_intermediate_result(p["x"] * step)
nni.report_final_result(p["x"])
"""
NNI_SNIPPET = """\
from nni.experiment import Experiment
search_space = {"x": {"_type": "uniform", "_value": [0, 1]}}
experiment = Experiment('local')
experiment.config.trial_command = 'python3 model.py'
experiment.config.trial_code_directory = '.'
experiment.config.search_space = search_space
experiment.config.tuner.name = 'TPE'
experiment.config.tuner.class_args['optimize_mode'] = 'maximize'
experiment.config.max_trial_number = 10
experiment.config.trial_concurrency = 2
print("RESULT", experiment.run(0), experiment.get_status(), len(experiment.export_data()))
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "model.py").write_text(MODEL)
    return folder


def configured(code: Path, **fields: object) -> Experiment:
    experiment = Experiment("local")
    experiment.config.trial_command = f"{sys.executable} model.py"
    experiment.config.trial_code_directory = code
    experiment.config.search_space = SPACE
    experiment.config.tuner.name = "Random"
    experiment.config.tuner.class_args["optimize_mode"] = "maximize"
    for key, value in fields.items():
        setattr(experiment.config, key, value)
    return experiment


def test_the_nni_snippet_runs_unchanged_through_the_nni_module(
    code: Path, autolab_home: Path, subprocess_env: dict[str, str]
) -> None:
    env = {**subprocess_env, "AUTOLAB_HOME": str(autolab_home)}
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], SHIM_PATH])
    proc = subprocess.run(
        [sys.executable, "-c", NNI_SNIPPET], cwd=code, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "RESULT True DONE 10"


def test_run_in_process_and_the_queries(code: Path, autolab_home: Path) -> None:
    experiment = configured(code, max_trial_number=4, trial_concurrency=2)
    assert experiment.run(port=0) is True
    assert experiment.get_status() == "DONE"
    assert experiment.url is None  # the manager has ended
    assert experiment.get_job_statistics() == [{"trialJobStatus": "SUCCEEDED", "trialJobNumber": 4}]
    jobs = experiment.list_trial_jobs()
    assert len(jobs) == 4 and {j.status for j in jobs} == {"SUCCEEDED"}
    job = experiment.get_trial_job(jobs[0].trialJobId)
    assert job.hyperParameters[0].parameters["x"] == job.finalMetricData[0].data
    metrics = experiment.get_job_metrics(job.trialJobId)
    assert [m.type for m in metrics[job.trialJobId]] == ["PERIODICAL"] * 3 + ["FINAL"]
    exported = experiment.export_data()
    assert sorted(r.value for r in exported) == sorted(j.finalMetricData[0].data for j in jobs)
    profile = experiment.get_experiment_profile()
    assert profile["id"] == experiment.id and profile["trialTotal"] == 4
    assert profile["params"]["maxTrialNumber"] == 4
    with pytest.raises(UserError, match="no trial 'nope'"):
        experiment.get_trial_job("nope")
    # a change while it is not running is kept for its resume, which then runs the new budget
    experiment.update_max_trial_number(6)
    resumed = Experiment.resume(str(experiment.id), port=0)
    assert resumed.get_job_statistics() == [{"trialJobStatus": "SUCCEEDED", "trialJobNumber": 6}]
    assert resumed.config.maxTrialNumber == 6


def test_a_config_object_and_a_yaml_file(code: Path, autolab_home: Path) -> None:
    config = ExperimentConfig(
        "local",
        trial_command=f"{sys.executable} model.py",
        trial_code_directory=str(code),
        search_space=SPACE,
        max_trial_number=2,
    )
    config.tuner.name = "Random"
    assert Experiment(config).run(0) is True
    (code / "config.yml").write_text(
        textwrap.dedent(
            f"""\
            searchSpace: {{x: {{_type: uniform, _value: [0, 1]}}}}
            trialCommand: {sys.executable} model.py
            trialCodeDirectory: .
            maxTrialNumber: 3
            tuner: {{name: TPE, classArgs: {{optimize_mode: maximize}}}}
            trainingService: {{platform: local}}
            """
        )
    )
    from_file = Experiment(str(code / "config.yml"))
    from_file.config.max_trial_number = 2  # changed before running, as NNI allows
    assert from_file.run(0) is True
    assert from_file.get_experiment_profile()["trialTotal"] == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "trial_concurency",
            2,
            "experiment config: trial_concurency: unknown key (did you mean trialConcurrency?)",
        ),
        ("trial_concurrency", 0, "experiment config: trial_concurrency: must be an integer >= 1, got int 0"),
        ("max_experiment_duration", "soon", "experiment config: max_experiment_duration:"),
    ],
)
def test_a_bad_field_is_a_one_line_error_and_creates_nothing(
    code: Path, autolab_home: Path, field: str, value: object, message: str
) -> None:
    experiment = configured(code)
    setattr(experiment.config, field, value)
    with pytest.raises(UserError) as caught:
        experiment.run(0)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert experiments.all_experiments() == []


def test_a_bad_tuner_and_platform(code: Path, autolab_home: Path) -> None:
    experiment = configured(code)
    experiment.config.tuner.name = "Nope"
    with pytest.raises(UserError, match="tuner.name: unknown builtin 'Nope'"):
        experiment.start(0)
    with pytest.raises(UserError, match="platform pai is not supported"):
        Experiment("pai").run(0)
    missing = configured(code, trial_code_directory=code / "nowhere")
    with pytest.raises(
        UserError, match=r"^experiment config: trial_code_directory: .*nowhere is not a directory$"
    ):
        missing.run(0)
    with pytest.raises(UserError, match="has not been started"):
        Experiment("local").get_status()


def test_start_update_connect_and_stop(code: Path, autolab_home: Path) -> None:
    (code / "slow.py").write_text("import nni, time\np = nni.get_next_parameter()\ntime.sleep(30)\n")
    experiment = configured(code, trial_command=f"{sys.executable} slow.py", trial_concurrency=1)
    experiment.start(port=0)
    try:
        assert experiment.get_status() == "RUNNING"
        assert experiment.url and Experiment.connect(experiment.port or 0).id == experiment.id
        experiment.update_trial_concurrency(3)
        deadline = time.time() + 30
        while time.time() < deadline and len(experiment.list_trial_jobs()) < 3:
            time.sleep(0.05)
        assert len(experiment.list_trial_jobs()) == 3
        with pytest.raises(UserError, match="trialConcurrency must be an integer"):
            experiment.update_trial_concurrency(0)
    finally:
        experiment.stop()
    assert experiment.get_status() == "STOPPED"
    assert {j.status for j in experiment.list_trial_jobs()} == {TrialStatus.USER_CANCELED.value}
    with pytest.raises(UserError, match="no running experiment"):
        Experiment.connect(1)


@pytest.mark.slow
def test_ctrl_c_stops_run_cleanly(code: Path, autolab_home: Path, subprocess_env: dict[str, str]) -> None:
    (code / "slow.py").write_text("import nni, time\np = nni.get_next_parameter()\ntime.sleep(60)\n")
    script = textwrap.dedent(
        f"""\
        from autolab.experiment import Experiment
        e = Experiment("local")
        e.config.trial_command = "{sys.executable} slow.py"
        e.config.search_space = {SPACE!r}
        e.config.trial_concurrency = 2
        print("RESULT", e.run(0), e.get_status(), flush=True)
        """
    )
    env = {**subprocess_env, "AUTOLAB_HOME": str(autolab_home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        running: list[str] = []
        while time.time() < deadline and len(running) < 2:
            refs = experiments.all_experiments()
            if refs:
                with Store(refs[0].directory, readonly=True) as store:
                    running = [r.id for r in store.trial_rows() if r.status is TrialStatus.RUNNING]
            time.sleep(0.05)
        assert len(running) == 2
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.splitlines()[-1] == "RESULT None STOPPED"
    with Store(experiments.all_experiments()[0].directory, readonly=True) as store:
        assert {r.status for r in store.trial_rows()} == {TrialStatus.USER_CANCELED}


def test_view_serves_an_ended_experiment(code: Path, autolab_home: Path) -> None:
    experiment = configured(code, max_trial_number=2)
    assert experiment.run(0) is True
    viewer = Experiment.view(str(experiment.id), port=0, non_blocking=True)
    try:
        url = viewer.url
        assert url and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/api/v1/profile", timeout=30) as answer:
            assert json.loads(answer.read())["trialTotal"] == 2
    finally:
        viewer.stop()
    assert viewer.url is None


def test_run_from_a_thread_follows_a_detached_manager(code: Path, autolab_home: Path) -> None:
    experiment = configured(code, max_trial_number=3)
    outcome: list[bool | None] = []
    thread = threading.Thread(target=lambda: outcome.append(experiment.run(0)))
    thread.start()
    thread.join(120)
    assert outcome == [True]
    assert experiment.get_job_statistics() == [{"trialJobStatus": "SUCCEEDED", "trialJobNumber": 3}]
    assert not experiments.manager_alive(Path(experiments.find(experiment.id).directory))


def test_updates_to_an_ended_experiment_are_kept_for_its_resume(code: Path, autolab_home: Path) -> None:
    experiment = configured(code, max_trial_number=1)
    assert experiment.run(0) is True
    experiment.update_search_space({"x": {"_type": "choice", "_value": [0.25]}})
    experiment.update_max_experiment_duration("2h")
    with pytest.raises(UserError, match="maxExperimentDuration"):
        experiment.update_max_experiment_duration("soon")
    stored = experiment.get_experiment_profile()["config"]
    assert stored["searchSpace"] == {"x": {"_type": "choice", "_value": [0.25]}}
    assert stored["maxExperimentDuration"] == 7200
    experiment.update_max_trial_number(2)
    resumed = Experiment.resume(str(experiment.id), port=0)
    assert [j.hyperParameters[0].parameters for j in resumed.list_trial_jobs()][-1] == {"x": 0.25}


def test_nnis_remote_config_objects_make_the_remote_machine_list(tmp_path: Path) -> None:
    from autolab.config.reader import ConfigError
    from autolab.config.remote import RemoteMachineConfig as Machine
    from autolab.experiment import RemoteConfig, RemoteMachineConfig

    config = ExperimentConfig("remote", trial_command="python3 model.py", search_space=SPACE)
    assert isinstance(config.training_service, RemoteConfig)
    (tmp_path / "key").write_text("")
    first = RemoteMachineConfig()  # as NNI's remote example fills it in
    first.host, first.user, first.ssh_key_file = "10.1.1.1", "alice", tmp_path / "key"
    first.python_path = "/opt/conda/bin"
    config.training_service.machine_list.append(first)
    config.training_service.machine_list.append(RemoteMachineConfig(host="gpu2", port=2222, password="pw"))
    typed = config.validate()
    assert typed.training_service.platform == "remote"
    assert typed.training_service.machine_list == (
        Machine(host="10.1.1.1", user="alice", ssh_key_file=tmp_path / "key", python_path="/opt/conda/bin"),
        Machine(host="gpu2", port=2222, password="pw"),
    )
    # the same through RemoteConfig, and a wrong field: the one-line error naming it
    config.training_service = RemoteConfig(machine_list=[RemoteMachineConfig(host="h", ssh_key_fle="k")])
    with pytest.raises(ConfigError) as caught:
        config.validate()
    assert str(caught.value) == (
        "experiment config: training_service.machine_list[0].ssh_key_fle: unknown key (did you mean sshKeyFile?)"
    )
