"""The experiments page's API (`autolab view --all`, autolab.homeserver): every experiment in
AUTOLAB_HOME with its status, progress and best value; stop, resume and delete one. A change runs
the `autolab` command a user would type (stop, resume, experiment delete), so the page does exactly
what the CLI does, its one-line error included; the token and Host rules are BaseHandler's."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from typing import Any

from .. import experiments
from ..experiments import ExperimentNotFound, ExperimentRef
from ..objectives import optimize_mode
from ..views import profile
from .base import BadRequest, BaseHandler

COMMAND_TIMEOUT = 120.0  # a stop waits for its trials to end (the CLI allows 60 s)


def summary(ref: ExperimentRef) -> dict[str, Any]:
    """What the page lists of one experiment (its profile without the config, plus the tuner)."""
    try:
        with experiments.open_store(ref) as store:
            info = profile(ref, store)
    except (
        ExperimentNotFound,
        OSError,
        ValueError,
        sqlite3.Error,
    ) as exc:  # a corrupt store is listed, deletable
        return {
            "id": ref.id,
            "name": ref.name,
            "status": "UNREADABLE",
            "error": str(exc),
            "directory": str(ref.directory),
        }
    config = info.pop("config") or {}
    algorithm = config.get("tuner") or config.get("advisor") or {}
    info["tuner"] = algorithm.get("name") or algorithm.get("className")
    info["optimizeMode"] = optimize_mode(config)
    return info


def run_cli(*args: str) -> tuple[int, str]:
    """Run `autolab ARGS` with this process's AUTOLAB_HOME: (exit code, a line of its output)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "autolab.cli", *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "AUTOLAB_HOME": str(experiments.home())},
        )
    except subprocess.TimeoutExpired:
        return 1, f"autolab {' '.join(args)} did not finish within {COMMAND_TIMEOUT:g} s"
    # an error is its last line; what a success did, its first ("Experiment X resumed.")
    lines = (done.stderr if done.returncode else done.stdout).strip().splitlines()
    text = (lines[-1] if done.returncode else lines[0]) if lines else f"exit code {done.returncode}"
    return done.returncode, text.removeprefix("autolab: error: ")


class HomeHandler(BaseHandler):
    def initialize(self, token: str | None = None, host: str = "127.0.0.1") -> None:  # type: ignore[override]
        super().initialize(store=None, manager=None, directory=experiments.home(), token=token)  # type: ignore[arg-type]
        self.host = host

    def find(self, exp_id: str) -> ExperimentRef:
        for ref in experiments.all_experiments():
            if ref.id == exp_id:
                return ref
        raise BadRequest(f"no experiment {exp_id!r} in {experiments.home()}", 404)

    async def command(self, *args: str) -> None:
        code, text = await asyncio.get_running_loop().run_in_executor(None, run_cli, *args)
        if code:
            return self.fail(409, text)
        self.send({"done": True, "message": text})


class ExperimentsHandler(HomeHandler):
    def get(self) -> None:
        refs = experiments.all_experiments()
        self.send(
            {
                "home": str(experiments.home()),
                "tokenRequired": bool(self.token),
                "experiments": [summary(ref) for ref in reversed(refs)],  # the newest first
            }
        )


class StopHandler(HomeHandler):
    async def put(self, exp_id: str) -> None:
        await self.command("stop", self.find(exp_id).id)


class ResumeHandler(HomeHandler):
    async def post(self, exp_id: str) -> None:
        # its page on this server's address (any free port), as `autolab resume --host` would
        await self.command("resume", self.find(exp_id).id, "--port", "0", "--host", self.host)


class DeleteHandler(HomeHandler):
    async def delete(self, exp_id: str) -> None:
        ref = self.find(exp_id)
        await self.command("experiment", "delete", ref.id, "--yes")
        self.application.settings["forget"](ref.id)
