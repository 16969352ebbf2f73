"""The remote service's parts that need no SSH: the code bundle, the scripts' answers, the config."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from autolab.config import ConfigError, load_config
from autolab.services.remote_scripts import MIRRORED, STATUS_BEGIN, parse_probe, parse_status
from autolab.services.remote_sync import bundle, code_files


def test_code_files_honour_nniignore_with_negation_and_folders(tmp_path: Path) -> None:
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "src").mkdir()
    for name in ("train.py", "data/raw/a.csv", "src/model.py", "src/model.ckpt", "best.ckpt", "log.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / ".nniignore").write_text("# comment\ndata/\n*.ckpt\n!best.ckpt\n/log.txt\n")
    assert code_files(tmp_path) == [".nniignore", "best.ckpt", "src/model.py", "train.py"]


def test_bundle_holds_the_code_and_the_trial_sdk(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print(1)")
    (tmp_path / "big.bin").write_bytes(b"0" * 100)
    (tmp_path / ".nniignore").write_text("*.bin\n")
    with tarfile.open(fileobj=io.BytesIO(bundle(tmp_path)), mode="r:gz") as tar:
        names = set(tar.getnames())
    assert {"code/train.py", "code/.nniignore", "sdk/autolab/trial.py", "sdk/autolab/protocol.py"} <= names
    assert "sdk/autolab/_nni_shim/nni/__init__.py" in names
    assert "code/big.bin" not in names and not any("__pycache__" in n or "/nas/" in n for n in names)


def status(*trials: tuple[str, str, list[bytes]]) -> bytes:
    out = b"Welcome! (a chatty ~/.bashrc)\nT x 1 - 1\n" + STATUS_BEGIN + b"\n"
    for header, left, files in trials:
        out += header.encode() + b"\n"
        for name, data in zip(MIRRORED, files, strict=True):
            out += f"F {name} {len(data)} {left or 0}\n".encode() + data
    return out + b"END\n"


def test_status_answer_is_read_byte_exact_and_a_cut_one_is_refused() -> None:
    line = b'{"type": "FINAL"}\n'
    out = status(
        ("T a 1 - 42", "", [line, b"out\nwith F x 3\n", b""]), ("T b 0 3 43", "", [b"", b"", b"err"])
    )
    states = parse_status(out)
    assert states is not None
    assert states["a"].alive and states["a"].exit_code is None and states["a"].pid == 42
    assert states["a"].new_bytes == {"metrics.jsonl": line, "stdout": b"out\nwith F x 3\n", "stderr": b""}
    assert not states["b"].alive and states["b"].exit_code == 3 and states["b"].new_bytes["stderr"] == b"err"
    assert states["a"].complete and states["b"].complete
    more = parse_status(status(("T c 0 0 44", "7", [b"x", b"", b""])))
    assert more is not None and not more["c"].complete  # 7 more bytes each: not ended until read
    assert parse_status(out[:-4]) is None  # no END: the connection broke mid-answer
    assert parse_status(out[:30]) is None
    assert "x" not in states  # nothing before the begin line is read as a trial


def test_probe_answer_lists_gpus_and_the_busy_ones() -> None:
    probe = parse_probe(
        "noise\nDIR /home/a/autolab-experiments/e1\nSYNCED 0af3\nGPU 0, 0:1\nGPU 1, 0:2\nAPP 0:2\n"
    )
    assert (
        probe is not None and probe.directory == "/home/a/autolab-experiments/e1" and probe.synced == "0af3"
    )
    assert probe.gpus == [(0, "0:1"), (1, "0:2")] and probe.busy_buses == {"0:2"}
    assert parse_probe("mkdir: cannot create directory\n") is None


V2 = "searchSpace: {{x: {{_type: choice, _value: [1]}}}}\ntrialCommand: t\ntrainingService:\n  platform: remote\n{}"


@pytest.mark.parametrize(
    "machines, error",
    [
        ("  machineList: []\n", "trainingService.machineList: must be a non-empty list of machines"),
        ("  machineList:\n    - user: bob\n", "trainingService.machineList[0].host: is required"),
        ("  machineList:\n    - host: h\n      port: 70000\n", "machineList[0].port: must be at most 65535"),
        (
            "  machineList:\n    - host: h\n      sshKeyFile: nokey\n",
            "machineList[0].sshKeyFile: no such file",
        ),
        ("  machineList:\n    - host: h\n    - host: h\n", "machine h is listed twice"),
        ("  machineList:\n    - host: h\n      gpuIndices: [0, 0]\n", "gpuIndices: must be distinct GPU"),
        (
            "  machineList:\n    - host: h\n      pasword: x\n",
            "pasword: unknown key (did you mean password?)",
        ),
        ("  partition: gpu\n  machineList: [{host: h}]\n", "partition: not a key of platform remote"),
    ],
)
def test_v2_machine_list_errors_are_one_line_naming_the_key(
    tmp_path: Path, machines: str, error: str
) -> None:
    path = tmp_path / "config.yml"
    path.write_text(V2.format(machines))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and error in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_snake_case_keys_as_nni_examples_write_them(tmp_path: Path) -> None:
    (tmp_path / "id_rsa").write_text("key")
    path = tmp_path / "config.yml"
    path.write_text(
        V2.format("  machineList:\n    - host: h\n      ssh_key_file: id_rsa\n      python_path: /usr/bin\n")
    )
    machine = load_config(path).training_service.machine_list[0]
    assert machine.ssh_key_file == tmp_path / "id_rsa" and machine.python_path == "/usr/bin"


V1 = (
    "trainingServicePlatform: remote\nsearchSpacePath: s.json\ntrial: {{command: python3 t.py, codeDir: .}}\n"
    "machineList:\n  - {}\n"
)


@pytest.mark.parametrize(
    "text, error",
    [
        (
            V2.format("  machineList:\n    - {host: h, username: bob}\n"),
            "trainingService.machineList[0].username: v1's spelling of user; this is a v2 config: write user",
        ),
        (
            V2.format("  machineList:\n    - {ip: h}\n"),
            "trainingService.machineList[0].ip: v1's spelling of host; this is a v2 config: write host",
        ),
        (
            V2.format("  machineList:\n    - {host: h, preCommand: source activate py3}\n"),
            "trainingService.machineList[0].preCommand: not supported (autolab runs no command before a "
            "trial's): put it at the front of trialCommand",
        ),
        (
            V2.format("  remoteConfig: {reuse: false}\n  machineList: [{host: h}]\n"),
            "trainingService.remoteConfig: v1's section; a v2 trainingService writes reuseMode",
        ),
        (
            V1.format("{ip: h, user: bob}"),
            "machineList[0].user: v2's spelling of username; this is a v1 config: write username",
        ),
        (
            V1.format("{ip: h, sshKeyFile: k}"),
            "machineList[0].sshKeyFile: v2's spelling of sshKeyPath; this is a v1 config: write sshKeyPath",
        ),
        (
            V1.format("{ip: h, preCommand: source activate py3}"),
            "machineList[0].preCommand: not supported (autolab runs no command before a trial's): put it at "
            "the front of trial.command",
        ),
    ],
)
def test_keys_of_the_other_version_and_precommand_say_what_to_write(
    tmp_path: Path, text: str, error: str
) -> None:
    (tmp_path / "s.json").write_text('{"x": {"_type": "choice", "_value": [1]}}')
    path = tmp_path / "config.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {error}"), str(info.value)
    assert "\n" not in str(info.value)
