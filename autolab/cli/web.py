"""Commands for the web UI: `autolab view ID` (a stopped experiment, read-only) and
`autolab webui url [ID]` (where a running experiment's page is)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .. import experiments
from ..api.auth import is_loopback
from ..errors import UserError
from ..hostaddr import bare_host, check_host, url_host
from .home import listen, serve_all, serve_until_stopped

DEFAULT_PORT = 8080


def add_commands(sub: Any) -> None:
    p = sub.add_parser("view", help="serve a stopped experiment's web UI (read-only) until Ctrl-C or SIGTERM")
    p.add_argument("id", nargs="?", help="experiment id (default: the latest)")
    p.add_argument(
        "--all", action="store_true", help="the experiments page: every experiment, stop/resume/delete"
    )
    p.add_argument(
        "--port", "-p", type=int, default=None, help=f"port (default {DEFAULT_PORT}; 0: any free port)"
    )
    p.add_argument("--host", default="127.0.0.1", type=bare_host, help="address to bind (default 127.0.0.1)")
    p.set_defaults(handler=cmd_view)

    web = sub.add_parser("webui", help="the web UI of a running experiment")
    web_sub = web.add_subparsers(dest="webui_command", metavar="ACTION")
    web_sub.required = True
    p = web_sub.add_parser("url", help="print the web UI's URL")
    p.add_argument("id", nargs="?", help="experiment id (default: the latest running one)")
    p.set_defaults(handler=cmd_url)


def running_url(ref: experiments.ExperimentRef) -> str | None:
    """The URL of the experiment's running manager (with ?token=... when it needs one), or None."""
    if not experiments.manager_alive(ref.directory):
        return None
    with experiments.open_store(ref) as store:
        url = store.get_meta("url")
    if not url:
        return None
    try:
        token = (ref.directory / "token").read_text().strip()
    except OSError:
        token = ""
    return f"{url}/?token={token}" if token else str(url)


def cmd_url(args: argparse.Namespace) -> int:
    ref = experiments.find(args.id)
    url = running_url(ref)
    if url is None:
        viewed = experiments.view_url(ref.directory)
        if viewed is None:
            raise UserError(
                f"experiment {ref.id} is not running (view it read-only with: autolab view {ref.id})"
            )
        print(f"autolab: experiment {ref.id} is not running; a read-only view serves it", file=sys.stderr)
        url = viewed
    print(url)
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    # tornado (and the server built on it) load for this command only: every other command starts light
    from ..server import make_app

    if args.all:
        return serve_all(args, DEFAULT_PORT)
    check_host(args.host)
    ref = experiments.find(args.id)
    url = running_url(ref)
    if url is not None:
        raise UserError(f"experiment {ref.id} is running; its web UI is at {url}")
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: expected 0 to 65535")
    # the lock: one process serves an experiment (no manager starts under a read-only view)
    with experiments.open_store(ref) as store, experiments.held(ref.directory, ref.id, "autolab view") as fd:
        # manager=None: every control endpoint answers 409, so no token is needed even beyond loopback
        app = make_app(
            manager=None, store=store, directory=ref.directory, loopback_only=is_loopback(args.host)
        )
        server, bound = listen(app, args.host, args.port, DEFAULT_PORT)
        url = f"http://{url_host(args.host)}:{bound}"
        if fd is not None:  # `autolab webui url` (and a second view, refused) can say where it is
            experiments.mark_lock(fd, experiments.VIEW_HOLDER + url)
        print(f"Experiment {ref.id} (read-only view): {url}", flush=True)
        return serve_until_stopped(server)
