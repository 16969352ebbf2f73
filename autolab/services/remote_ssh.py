"""The remote service's transport: the system OpenSSH client, one multiplexed connection per machine.

One master connection (ControlMaster) per machine carries every command as a channel of its own,
so a command costs a round trip, not a handshake. The master is started explicitly, detached
(`-f`), with its output in a file: a master that ssh forks from an ordinary command would inherit
that command's pipes and hold them open. Commands never prompt (BatchMode, or SSH_ASKPASS with the
password or passphrase from the config, forced); a dead connection is noticed by ServerAlive
probes, and the next command starts a new master. At most `channels` commands run at once per
machine: sshd refuses sessions over its MaxSessions (10 by default) on one connection, which is
how NNI's remote trials failed at concurrency 8 and more.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil

from ..config.remote import RemoteMachineConfig

CONNECT_TIMEOUT = 10  # seconds for the TCP connect and the handshake
ALIVE_INTERVAL = 5  # seconds between keepalive probes on an idle connection...
ALIVE_COUNT = 3  # ...and how many may go unanswered before the connection counts as dead
CONTROL_PERSIST = 60  # seconds a master outlives its last use (bounds it after a manager's kill -9)
DEFAULT_CHANNELS = 4  # concurrent commands per machine; below sshd's default MaxSessions of 10
SSH_FAILED = 255  # ssh's own exit status when it, not the remote command, failed

# answers ssh's prompt: the passphrase of a key, else the password (prompt text in $1)
ASKPASS = """#!/bin/sh
case "$1" in
  *assphrase*) printf '%s\\n' "$AUTOLAB_SSH_PASSPHRASE" ;;
  *) printf '%s\\n' "$AUTOLAB_SSH_PASSWORD" ;;
esac
"""


@dataclass
class Result:
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def ssh_failed(self) -> bool:
        """ssh could not run the command (connection, authentication), as opposed to the command failing."""
        return self.returncode == SSH_FAILED

    def error(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return " / ".join(lines[-3:])[:500] or f"exit code {self.returncode}"


class Ssh:
    """Runs shell commands on one machine."""

    def __init__(
        self,
        machine: RemoteMachineConfig,
        state_dir: Path,
        channels: int = DEFAULT_CHANNELS,
        alive_interval: int = ALIVE_INTERVAL,
    ) -> None:
        self.machine = machine
        self.state_dir = state_dir
        self.alive_interval = alive_interval
        self.channels = threading.BoundedSemaphore(channels)
        self._master_lock = threading.Lock()
        self._master_ok = False
        self.master_pid = 0
        # unix socket paths are limited to ~104 bytes: a short name in a private folder of /tmp
        key = f"{machine.name}:{state_dir}:{os.getpid()}"
        self._socket_dir = Path(tempfile.gettempdir()) / f"autolab-ssh-{os.getuid()}"
        self.control_path = self._socket_dir / hashlib.sha1(key.encode()).hexdigest()[:16]

    def options(self) -> list[str]:
        m = self.machine
        known = self.state_dir / "known_hosts"
        opts = {
            "ControlPath": str(self.control_path),
            "ConnectTimeout": str(CONNECT_TIMEOUT),
            "ServerAliveInterval": str(self.alive_interval),
            "ServerAliveCountMax": str(ALIVE_COUNT),
            # first contact records the host key (in autolab's file); a changed key is refused
            "StrictHostKeyChecking": "accept-new",
            "UserKnownHostsFile": f'"{known}" ~/.ssh/known_hosts',  # quoted: the path may hold spaces
            "BatchMode": "no" if (m.password or m.ssh_passphrase) else "yes",
            "LogLevel": "ERROR",
        }
        if m.password:
            opts["NumberOfPasswordPrompts"] = "1"
        if m.ssh_key_file is not None:
            opts["IdentitiesOnly"] = "yes"
        # no port or user given: none on the command line, where it would override ~/.ssh/config
        argv = ["-p", str(m.port)] if m.port is not None else []
        if m.user:
            argv += ["-l", m.user]
        if m.ssh_key_file is not None:
            argv += ["-i", str(m.ssh_key_file)]
        for key, value in opts.items():
            argv += ["-o", f"{key}={value}"]
        return argv

    def env(self) -> dict[str, str]:
        """ssh's environment: the askpass helper and its answers when the config has them."""
        env = dict(os.environ)
        m = self.machine
        if m.password or m.ssh_passphrase:
            askpass = self.state_dir / "askpass.sh"
            if not askpass.exists():
                askpass.write_text(ASKPASS, encoding="utf-8")
                askpass.chmod(0o700)
            env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force")
            env.setdefault("DISPLAY", ":0")  # older clients ask askpass only with a DISPLAY
            env["AUTOLAB_SSH_PASSWORD"] = m.password or ""
            env["AUTOLAB_SSH_PASSPHRASE"] = m.ssh_passphrase or ""
        return env

    def _start_master(self, timeout: float) -> Result:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._socket_dir.mkdir(mode=0o700, exist_ok=True)
        argv = [
            "ssh",
            *self.options(),
            "-o",
            "ControlMaster=yes",
            "-o",
            f"ControlPersist={CONTROL_PERSIST}",
            "-f",
            "-N",
            "-T",
            self.machine.host,
        ]
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=self.env(),
                    timeout=timeout,
                    check=False,
                )
                code = proc.returncode
            except subprocess.TimeoutExpired:
                code = SSH_FAILED
                err.write(f"no connection within {timeout:g} s".encode())
            except OSError as exc:
                return Result(SSH_FAILED, b"", f"cannot run ssh: {exc.strerror or exc}")
            err.seek(0)
            return Result(code, b"", err.read().decode("utf-8", "replace"))

    def connect(self, timeout: float = CONNECT_TIMEOUT * 3) -> Result:
        """Start the master connection unless one is known to be up."""
        with self._master_lock:
            if self._master_ok and self._master_alive():
                return Result(0, b"", "")
            self._stop_master()
            result = self._start_master(timeout)
            self._master_ok = result.returncode == 0
            if self._master_ok:
                self.master_pid = self._ask_master_pid()
                return Result(0, b"", "")
            return Result(SSH_FAILED, b"", result.stderr)

    def _ask_master_pid(self) -> int:
        """The master's pid (ssh -O check says it), so that a dead master is noticed for free: its
        socket file outlives a master that was killed, and commands would then each open a full
        connection of their own instead of starting a new master."""
        check = subprocess.run(
            ["ssh", "-o", f"ControlPath={self.control_path}", "-O", "check", self.machine.host],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        found = re.search(r"pid=(\d+)", check.stderr + check.stdout)
        return int(found.group(1)) if found else 0

    def _master_alive(self) -> bool:
        if not self.control_path.exists():
            return False
        if not self.master_pid:
            return True  # unknown: trust the socket
        try:  # a zombie is dead too (a daemonized master is nobody's child to reap)
            return bool(psutil.Process(self.master_pid).status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:
            return True

    def command(self, script: str, args: list[str]) -> list[str]:
        """The ssh command line that runs `sh -c script` with args over the master connection."""
        remote = " ".join(shlex.quote(a) for a in ["sh", "-c", script, "autolab", *args])
        return ["ssh", *self.options(), "-o", "ControlMaster=no", "-T", self.machine.host, remote]

    def run(self, script: str, args: list[str] = [], stdin: bytes = b"", timeout: float = 60) -> Result:  # noqa: B006
        """Run `sh -c script` with args on the machine, over the master connection."""
        connected = self.connect()
        if connected.ssh_failed:
            return connected
        argv = self.command(script, args)
        with self.channels:
            try:
                proc = subprocess.run(
                    argv, input=stdin, capture_output=True, env=self.env(), timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired:
                self._master_ok = False  # a hung connection: the next command starts a new one
                return Result(SSH_FAILED, b"", f"no answer within {timeout:g} s")
            except OSError as exc:
                return Result(SSH_FAILED, b"", f"cannot run ssh: {exc.strerror or exc}")
        result = Result(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))
        if result.ssh_failed:
            self._master_ok = False
        return result

    def _stop_master(self) -> None:
        if not self.control_path.exists():
            return
        subprocess.run(
            ["ssh", "-o", f"ControlPath={self.control_path}", "-O", "exit", self.machine.host],
            capture_output=True,
            timeout=10,
            check=False,
        )
        self.control_path.unlink(missing_ok=True)

    def close(self) -> None:
        with self._master_lock:
            self._master_ok = False
            try:
                self._stop_master()
            except (OSError, subprocess.SubprocessError):
                pass
