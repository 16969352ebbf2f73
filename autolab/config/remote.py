"""platform remote: NNI's machineList (v2 keys), read into RemoteMachineConfig."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .reader import ConfigError, Context, Section, kind, normalize_key, suggest

if TYPE_CHECKING:
    from collections.abc import Callable

MACHINE_KEYS = (
    "host",
    "port",
    "user",
    "password",
    "sshKeyFile",
    "sshPassphrase",
    "useActiveGpu",
    "maxTrialNumberPerGpu",
    "gpuIndices",
    "pythonPath",
)
# v1 machineList item keys -> v2 (the others are spelled the same in both)
V1_MACHINE_KEYS = {
    "ip": "host",
    "port": "port",
    "username": "user",
    "passwd": "password",
    "sshKeyPath": "sshKeyFile",
    "passphrase": "sshPassphrase",
    "useActiveGpu": "useActiveGpu",
    "maxTrialNumPerGpu": "maxTrialNumberPerGpu",
    "gpuIndices": "gpuIndices",
    "pythonPath": "pythonPath",
}

# the spellings of one version that the other lacks, normalized -> (as written, the other's spelling)
V1_ONLY_KEYS = {normalize_key(k): (k, v) for k, v in V1_MACHINE_KEYS.items() if k != v}
V2_ONLY_KEYS = {normalize_key(v): (v, k) for k, v in V1_MACHINE_KEYS.items() if k != v}


def _other_version(ctx: Context, item: Any, written: str, v1: bool) -> None:
    """A machine's key spelled as the other config version spells it, or v1's preCommand: a
    one-line error saying what to write instead (not a bare "unknown key")."""
    if not isinstance(item, dict):
        return
    other = V2_ONLY_KEYS if v1 else V1_ONLY_KEYS
    for key in item:
        norm = normalize_key(key) if isinstance(key, str) else ""
        if norm == "precommand":
            command = ctx.names.get("trialCommand", "trialCommand")
            raise ConfigError(
                f"{ctx.shown}: {written}.{key}: not supported (autolab runs no command before a trial's): "
                f"put it at the front of {command} (`source ~/env/bin/activate && python3 train.py`), "
                "or give pythonPath (the folder put first on the trial's PATH)"
            )
        if norm in other:
            this, instead = other[norm]
            version, other_version = ("v2", "v1") if v1 else ("v1", "v2")
            raise ConfigError(
                f"{ctx.shown}: {written}.{key}: {version}'s spelling of {instead}; this is a {other_version} "
                f"config: write {instead}"
            )


def v1_section_in_v2(ctx: Context, raw: Any, written: str) -> None:
    """v1's remoteConfig inside a v2 trainingService: say what v2 writes instead."""
    if not isinstance(raw, dict):
        return
    for key in raw:
        if isinstance(key, str) and normalize_key(key) == "remoteconfig":
            raise ConfigError(
                f"{ctx.shown}: {written}.{key}: v1's section; a v2 trainingService writes "
                "reuseMode: true or false instead of remoteConfig: {reuse: ...}"
            )


@dataclass(frozen=True)
class RemoteMachineConfig:
    host: str
    # None: not given, so ssh's own config decides (~/.ssh/config's Port for this Host, else NNI's 22)
    port: int | None = None
    user: str | None = None  # None: whatever ssh picks (ssh_config, then the local user name)
    password: str | None = None
    ssh_key_file: Path | None = None
    ssh_passphrase: str | None = None
    use_active_gpu: bool = False
    max_trial_number_per_gpu: int = 1
    gpu_indices: tuple[int, ...] | None = None
    python_path: str | None = None  # put at the front of the trial's PATH, as NNI does

    @property
    def name(self) -> str:
        """How logs, messages and trial handles name the machine: [user@]host[:port], the port only
        when one was given (a Host alias of ~/.ssh/config is named as written)."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.user + '@' if self.user else ''}{self.host}{port}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"host": self.host}
        for key, value in (
            ("port", self.port),
            ("user", self.user),
            ("password", self.password),
            ("sshKeyFile", str(self.ssh_key_file) if self.ssh_key_file else None),
            ("sshPassphrase", self.ssh_passphrase),
            ("pythonPath", self.python_path),
        ):
            if value is not None:
                out[key] = value
        out.update(useActiveGpu=self.use_active_gpu, maxTrialNumberPerGpu=self.max_trial_number_per_gpu)
        if self.gpu_indices is not None:
            out["gpuIndices"] = list(self.gpu_indices)
        return out


def machine_list(
    sec: Section, gpu_indices: Callable[[Section], list[int] | None]
) -> tuple[RemoteMachineConfig, ...]:
    """trainingService.machineList: one or more machines, each with a host and a distinct address."""
    raw = sec.get("machineList")
    if not isinstance(raw, list) or not raw:
        raise sec.error("machineList", f"must be a non-empty list of machines, got {kind(raw)}")
    machines: list[RemoteMachineConfig] = []
    for i, item in enumerate(raw):
        path = f"{sec.path}.machineList[{i}]"
        sec.ctx.names.setdefault(path, f"{sec.ctx.names.get(sec.full('machineList'), 'machineList')}[{i}]")
        _other_version(sec.ctx, item, sec.ctx.names[path], v1=False)
        m = Section(sec.ctx, item, path, MACHINE_KEYS)
        host = (m.text("host", required=True) or "").strip()
        key_file = m.path_value("sshKeyFile")
        password = m.text("password")
        if key_file is not None and not key_file.is_file() and not sec.ctx.stored:
            raise m.error("sshKeyFile", f"no such file: {key_file}")
        machine = RemoteMachineConfig(
            host=host,
            port=m.integer("port", None, minimum=1, maximum=65535),
            user=m.text("user", required="user" in m.values),
            password=password,
            ssh_key_file=key_file,
            ssh_passphrase=m.text("sshPassphrase"),
            use_active_gpu=m.flag("useActiveGpu", False),
            max_trial_number_per_gpu=m.integer("maxTrialNumberPerGpu", 1, minimum=1) or 1,
            gpu_indices=_tuple(gpu_indices(m)),
            python_path=m.text("pythonPath", required="pythonPath" in m.values),
        )
        if any(other.name == machine.name for other in machines):
            raise sec.ctx.error(path, f"machine {machine.name} is listed twice")
        machines.append(machine)
    return tuple(machines)


def _tuple(values: list[int] | None) -> tuple[int, ...] | None:
    return tuple(values) if values is not None else None


def remote_v1(ctx: Context, name: str, written: str, value: Any) -> dict[str, Any]:
    """v1's machineList (items with ip, username, passwd, sshKeyPath...) or remoteConfig, as v2 keys."""
    if name == "remoteConfig":
        section = Section(ctx, value, "", ("reuse",), hint=f" in {written}")
        reuse = section.get("reuse")
        ctx.names["trainingService.reuseMode"] = f"{written}.reuse"
        return {} if reuse is None else {"reuseMode": reuse}
    ctx.names["trainingService.machineList"] = written
    if not isinstance(value, list):
        return {"machineList": value}  # refused with its name by machine_list()
    known = {normalize_key(k): k for k in V1_MACHINE_KEYS}
    items: list[Any] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            items.append(item)
            continue
        _other_version(ctx, item, f"{written}[{i}]", v1=True)
        out: dict[str, Any] = {}
        for key, inner in item.items():
            v1_name = known.get(normalize_key(key)) if isinstance(key, str) else None
            if v1_name is None:
                raise ConfigError(
                    f"{ctx.shown}: {written}[{i}].{key}: unknown key{suggest(str(key), V1_MACHINE_KEYS)}"
                )
            out[V1_MACHINE_KEYS[v1_name]] = inner
            ctx.names[f"trainingService.machineList[{i}].{V1_MACHINE_KEYS[v1_name]}"] = (
                f"{written}[{i}].{key}"
            )
        items.append(out)
    return {"machineList": items}


# a machine's secrets, as NNI's v2 and v1 keys spell them (normalized: case and underscores do not count)
SECRET_KEYS = frozenset(normalize_key(k) for k in ("password", "passwd", "sshPassphrase", "passphrase"))
HIDDEN = "******"


def redacted(config: Any) -> Any:
    """The stored config as shown (profile, `experiment show`, the REST API): machine passwords and
    key passphrases replaced by HIDDEN. The store keeps them: a resumed manager logs in with them."""
    if isinstance(config, dict):
        return {
            k: HIDDEN if isinstance(k, str) and normalize_key(k) in SECRET_KEYS and v else redacted(v)
            for k, v in config.items()
        }
    if isinstance(config, list):
        return [redacted(v) for v in config]
    return config


def holds_secrets(config: Any) -> bool:
    """Whether the config names a password or passphrase anywhere (its folder is then kept private)."""
    return redacted(config) != config
