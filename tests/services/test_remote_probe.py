"""The remote service's set-up checks (the PROBE script run here with sh: no SSH needed), the code
copy's digest and what it leaves out, and the options that leave ssh's own config in charge."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from autolab.config import load_config
from autolab.config.remote import RemoteMachineConfig
from autolab.services.remote import RemoteService
from autolab.services.remote_scripts import PROBE, SETUP_FAILED, setup_error
from autolab.services.remote_ssh import Ssh
from autolab.services.remote_sync import MANY_FILES, code_files, digest


def probe(
    home: str | None, python_path: str = "", remote_dir: str | None = None, path: str = ""
) -> tuple[int, str]:
    env = {"PATH": f"{path}:{os.environ['PATH']}" if path else os.environ["PATH"]}
    if home is not None:
        env["HOME"] = home
    if remote_dir is not None:
        env["AUTOLAB_REMOTE_DIR"] = remote_dir
    proc = subprocess.run(
        ["sh", "-c", PROBE, "autolab", "exp", python_path],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_a_machine_that_can_be_set_up_says_where(tmp_path: Path) -> None:
    code, out = probe(str(tmp_path))
    assert code == 0 and f"DIR {tmp_path}/autolab-experiments/exp" in out and not setup_error(out)
    assert (tmp_path / "autolab-experiments" / "exp" / "trials").is_dir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").write_text("#!/bin/sh\n")
    (tmp_path / "bin" / "python3").chmod(0o755)
    assert probe(str(tmp_path), str(tmp_path / "bin"))[0] == 0
    # the python itself where its folder was meant (NNI put it on PATH and went on): accepted
    assert probe(str(tmp_path), str(tmp_path / "bin" / "python3"))[0] == 0


@pytest.mark.parametrize(
    "case, error",
    [
        ("no home", "no home directory (HOME={tmp}/gone does not exist)"),
        ("remote dir is a file", "{tmp}/root is not a directory"),
        ("experiment folder is a file", "{tmp}/root/exp is not a directory"),
        ("read-only", "cannot create {tmp}/root/exp/trials: Read-only file system"),
        ("pythonPath missing", "pythonPath {tmp}/py/bin does not exist"),
        ("pythonPath a plain file", "pythonPath {tmp}/python3 is a file, not an executable python"),
        ("pythonPath without python", "pythonPath {tmp}/empty holds no executable python3 or python"),
    ],
)
def test_what_retrying_cannot_fix_is_one_fatal_line(tmp_path: Path, case: str, error: str) -> None:
    home, remote_dir, python_path, path = str(tmp_path), str(tmp_path / "root"), "", ""
    if case == "no home":
        home, remote_dir = str(tmp_path / "gone"), None
    elif case == "remote dir is a file":
        (tmp_path / "root").write_text("")
    elif case == "experiment folder is a file":
        (tmp_path / "root").mkdir()
        (tmp_path / "root" / "exp").write_text("")
    elif case == "read-only":  # a mkdir as on a read-only mount (root may write anywhere else)
        (tmp_path / "fake").mkdir()
        fake = tmp_path / "fake" / "mkdir"
        fake.write_text(
            "#!/bin/sh\necho \"mkdir: cannot create directory '$2': Read-only file system\" >&2\nexit 1\n"
        )
        fake.chmod(0o755)
        path = str(tmp_path / "fake")
    elif case == "pythonPath missing":
        python_path = str(tmp_path / "py" / "bin")
    elif case == "pythonPath a plain file":
        (tmp_path / "python3").write_text("")
        python_path = str(tmp_path / "python3")
    else:
        (tmp_path / "empty").mkdir()
        python_path = str(tmp_path / "empty")
    code, out = probe(home, python_path, remote_dir, path)
    assert code == SETUP_FAILED, out
    assert setup_error(out).startswith(error.format(tmp=tmp_path)), out
    assert "DIR " not in out


def test_a_failure_that_may_pass_is_no_fatal_line(tmp_path: Path) -> None:
    (tmp_path / "fake").mkdir()
    fake = tmp_path / "fake" / "mkdir"
    fake.write_text("#!/bin/sh\necho 'mkdir: cannot create directory: Input/output error' >&2\nexit 1\n")
    fake.chmod(0o755)
    code, out = probe(str(tmp_path), remote_dir=str(tmp_path / "root"), path=str(tmp_path / "fake"))
    assert code == 3 and not setup_error(out) and "Input/output error" in out


def test_no_port_or_user_given_leaves_them_to_ssh_config(tmp_path: Path) -> None:
    bare = Ssh(RemoteMachineConfig("gpu-box"), tmp_path).options()
    assert "-p" not in bare and "-l" not in bare
    given = Ssh(RemoteMachineConfig("gpu-box", 2222, "bob"), tmp_path).options()
    assert given[:4] == ["-p", "2222", "-l", "bob"]
    assert RemoteMachineConfig("gpu-box").name == "gpu-box"
    assert RemoteMachineConfig("gpu-box", 22, "bob").name == "bob@gpu-box:22"


def test_the_digest_follows_content_not_times(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print(1)")
    first = digest(tmp_path)
    os.utime(tmp_path / "train.py", (1, 1))
    assert digest(tmp_path) == first
    (tmp_path / "train.py").write_text("print(2)")
    assert digest(tmp_path) != first


def config_in(code: Path, extra: str = "") -> Path:
    path = code / "config.yml"
    path.write_text(
        "searchSpace: {x: {_type: choice, _value: [1]}}\ntrialCommand: python3 t.py\ntrialCodeDirectory: .\n"
        f"{extra}trainingService:\n  platform: remote\n  machineList: [{{host: h}}]\n"
    )
    return path


def test_the_experiments_folders_inside_the_code_directory_are_not_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "code"
    for name in ("t.py", "exps/abc/db.sqlite", "home/registry.db", "src/m.py"):
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_text("x")
    monkeypatch.setenv("AUTOLAB_HOME", str(code / "home"))
    config = load_config(config_in(code, "experimentWorkingDirectory: exps\n"))
    service = RemoteService.from_config(config, None)
    assert code_files(code, service.copies.exclude) == ["config.yml", "src/m.py", "t.py"]
    assert not config.warnings


def test_a_large_code_directory_is_copied_with_a_warning(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "many").mkdir(parents=True)
    for i in range(MANY_FILES):
        (code / "many" / str(i)).write_text("")
    config = load_config(config_in(code))
    RemoteService.from_config(config, None)
    assert len(config.warnings) == 1, config.warnings
    warning = config.warnings[0]
    assert f"trialCodeDirectory {code} holds {MANY_FILES + 1} files" in warning and ".nniignore" in warning


@pytest.mark.parametrize("given", ["bin", "bin/python3"])
def test_a_trial_gets_the_python_folder_first_on_path(tmp_path: Path, given: str) -> None:
    from autolab.services.base import Launch
    from autolab.services.remote_machines import Machine
    from autolab.services.remote_scripts import Probe
    from autolab.services.remote_trial import exports

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").write_text("#!/bin/sh\n")
    config = RemoteMachineConfig("box", python_path=str(tmp_path / given))
    machine = Machine(config, None, probe=Probe(str(tmp_path / "exp"), ""))  # type: ignore[arg-type]
    launch = Launch("t1", 0, tmp_path / "t1", "true", tmp_path)
    script = exports(machine, launch, [], 0, False) + '\nprintf %s "$PATH"'
    path = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30).stdout
    assert path.split(":")[0] == str(tmp_path / "bin")
