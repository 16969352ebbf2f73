"""Real sshd "machines" on loopback for the remote service's tests.

Each machine is an `sshd -D` child of the test, with its own host key, config, port and remote
root (set for its sessions by SetEnv AUTOLAB_REMOTE_DIR), on 127.0.0.x only. Key auth logs in as
the user running the tests; password auth needs a user with a password, so (as root only) a
dedicated system user is created for the session and deleted at its end.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from autolab.config.remote import RemoteMachineConfig

from .waiting import wait_until

SSHD = "/usr/sbin/sshd"
PASSWORD_USER = "autolab-sshtest"


def sshd_missing() -> str:
    """Why the sshd tests cannot run here ('' when they can)."""
    if not os.path.exists(SSHD):
        return f"{SSHD} not installed (Debian's openssh-server; .ci/run installs it)"
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "the OpenSSH client (ssh, ssh-keygen) is not installed"
    me = pwd.getpwuid(os.getuid()).pw_name
    if _locked(me):
        return f"the account {me} is locked (its password field starts with '!'): sshd refuses it, even with a key"
    return ""


def _locked(user: str) -> bool:
    """Whether sshd (without PAM) refuses the account: a password field starting with '!'."""
    try:
        for line in Path("/etc/shadow").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name == user:
                return rest.startswith("!")
    except OSError:  # not root: cannot tell, and a non-root sshd checks nothing of the kind
        pass
    return False


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True)
    return path


@dataclass
class SshMachine:
    host: str
    port: int
    folder: Path  # config, host key, log
    root: Path  # AUTOLAB_REMOTE_DIR of its sessions
    user: str
    key: Path | None = None
    password: str | None = None
    passphrase: str | None = None
    proc: subprocess.Popen[bytes] | None = None

    def config(self, **overrides: object) -> RemoteMachineConfig:
        values: dict[str, object] = dict(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            ssh_key_file=self.key,
            ssh_passphrase=self.passphrase,
        )
        values.update(overrides)
        return RemoteMachineConfig(**values)  # type: ignore[arg-type]

    def v2(self) -> dict[str, object]:
        """Its machineList entry, as an NNI v2 config writes it."""
        out: dict[str, object] = {"host": self.host, "port": self.port, "user": self.user}
        if self.key:
            out["sshKeyFile"] = str(self.key)
        if self.password:
            out["password"] = self.password
        return out

    def start(self) -> None:
        log = open(self.folder / "sshd.log", "ab")
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.folder / "sshd_config")],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        wait_until(self._listening, 20, f"sshd on {self.host}:{self.port}")

    def _listening(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"sshd exited: {(self.folder / 'sshd.log').read_text()[-2000:]}")
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """The machine goes down: its sshd and every connection it serves."""
        if self.proc is None:
            return
        try:
            procs = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.Error:
            procs = []
        for proc in procs:
            try:
                proc.kill()
            except psutil.Error:
                pass
        self.proc.wait(timeout=10)
        psutil.wait_procs(procs, timeout=5)
        self.proc = None

    def kill_trials(self) -> None:
        """End every process still running from this machine's root (the test's trials)."""
        procs = []
        for proc in psutil.process_iter(["cmdline"]):
            if any(str(self.root) in arg for arg in proc.info["cmdline"] or ()):
                procs.append(proc)
        for proc in procs:
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=5)


def make_machine(
    folder: Path,
    host: str,
    user: str,
    *,
    authorized: Path | None = None,
    password: str | None = None,
    env: dict[str, str] | None = None,
) -> SshMachine:
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "remote-root"
    root.mkdir(exist_ok=True)
    if user != pwd.getpwuid(os.getuid()).pw_name:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    host_key = keygen(folder / "host_key")
    port = free_port(host)
    lines = [
        f"Port {port}",
        f"ListenAddress {host}",
        f"HostKey {host_key}",
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        "PermitRootLogin yes",
        "PubkeyAuthentication yes",
        f"PasswordAuthentication {'yes' if password else 'no'}",
        "KbdInteractiveAuthentication no",
        f"AuthorizedKeysFile {authorized or '/nonexistent'}",
        # SHLVL=1: bash then does not source ~/.bashrc as it does for ssh commands, so the tests do
        # not depend on the dotfiles of the user running them (a pyenv init there can hang)
        " ".join(
            ["SetEnv", f"AUTOLAB_REMOTE_DIR={root}", "SHLVL=1", *(f"{k}={v}" for k, v in (env or {}).items())]
        ),
        "MaxStartups 100:30:200",
        "LogLevel ERROR",
    ]
    (folder / "sshd_config").write_text("\n".join(lines) + "\n")
    return SshMachine(host, port, folder, root, user, password=password)


@pytest.fixture
def machines_dir() -> Iterator[Path]:
    """A folder every user can traverse (tmp_path is private to root), removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="autolab-sshd-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def two_machines(machines_dir: Path) -> Iterator[list[SshMachine]]:
    """Two machines with key auth (127.0.0.1 and 127.0.0.2) for the user running the tests."""
    why = sshd_missing()
    if why:
        pytest.skip(why)
    if os.getuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    me = pwd.getpwuid(os.getuid()).pw_name
    key = keygen(machines_dir / "client_key")
    authorized = machines_dir / "authorized_keys"
    authorized.write_text((machines_dir / "client_key.pub").read_text())
    machines = [
        make_machine(machines_dir / f"m{i}", f"127.0.0.{i + 1}", me, authorized=authorized) for i in range(2)
    ]
    for machine in machines:
        machine.key = key
    try:
        for machine in machines:
            machine.start()
        yield machines
    finally:
        for machine in machines:
            machine.stop()
            machine.kill_trials()


@pytest.fixture
def password_machine(machines_dir: Path) -> Iterator[SshMachine]:
    """A machine with password auth only, as a dedicated user (needs root to create it)."""
    why = sshd_missing()
    if why:
        pytest.skip(why)
    if os.getuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("password auth needs a user with a password: created only when the tests run as root")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    password = secrets.token_urlsafe(12)
    try:
        pwd.getpwnam(PASSWORD_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", PASSWORD_USER], check=True)
    subprocess.run(["chpasswd"], input=f"{PASSWORD_USER}:{password}".encode(), check=True)
    machine = make_machine(machines_dir / "pw", "127.0.0.3", PASSWORD_USER, password=password)
    try:
        machine.start()
        yield machine
    finally:
        machine.stop()
        machine.kill_trials()
        for proc in psutil.process_iter(["username"]):  # its trials, if a test left one
            if proc.info["username"] == PASSWORD_USER:
                try:
                    proc.kill()
                except psutil.Error:
                    pass
        subprocess.run(["userdel", "-f", PASSWORD_USER], capture_output=True, check=False)
