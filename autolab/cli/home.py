"""`autolab view --all`: serve the experiments page (autolab.homeserver) until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
from typing import Any

from .. import experiments
from ..api.auth import TOKEN_FILE, is_loopback, prepare_token
from ..errors import UserError
from ..hostaddr import check_host, url_host


def serve_all(args: argparse.Namespace, default_port: int) -> int:
    # tornado loads for this command only: every other command starts light
    from ..homeserver import make_home_app

    if args.id is not None:
        raise UserError("--all serves every experiment: give no experiment id")
    check_host(args.host)
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: expected 0 to 65535")
    home = experiments.home()
    home.mkdir(parents=True, exist_ok=True)
    # beyond loopback, stop / resume / delete need the token (written to AUTOLAB_HOME/token)
    token = prepare_token(home, args.host)
    app = make_home_app(args.host, token, loopback_only=is_loopback(args.host))
    server, bound = listen(app, args.host, args.port, default_port)
    url = f"http://{url_host(args.host)}:{bound}"
    print(f"Experiments in {home}: {url}", flush=True)
    if token:
        print(f"Token:     {token}  (open {url}/?token={token} to stop, resume or delete from the page)")
    try:
        return serve_until_stopped(server)
    finally:
        if token:  # valid only while this page is served: not left behind in AUTOLAB_HOME
            with contextlib.suppress(OSError):
                (home / TOKEN_FILE).unlink()


def listen(app: Any, host: str, port: int | None, default_port: int) -> tuple[Any, int]:
    """An HTTPServer for `app` (a tornado Application) on host:port, and the port it got; with no
    --port given, any free port when default_port is taken. A --port that cannot be bound is a
    UserError naming it."""
    # not at the top: the CLI starts light
    import tornado.httpserver
    import tornado.netutil

    try:
        sockets = tornado.netutil.bind_sockets(default_port if port is None else port, address=host)
    except OSError as exc:
        if port is not None:
            raise UserError(f"--port {port}: cannot listen on {host}: {exc.strerror}") from None
        sockets = tornado.netutil.bind_sockets(0, address=host)  # the default port is taken
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    return server, int(sockets[0].getsockname()[1])


def serve_until_stopped(server: Any) -> int:
    """Run the IOLoop until Ctrl-C or SIGTERM, then stop `server` (a tornado HTTPServer)."""
    import tornado.ioloop  # not at the top: the CLI starts light

    print("Press Ctrl-C to stop serving.", flush=True)
    loop = tornado.ioloop.IOLoop.current()
    # SIGTERM (kill, a service manager) stops it as Ctrl-C does; Ctrl-C alone is not enough: a
    # background job of a non-interactive shell starts with SIGINT ignored
    loop.asyncio_loop.add_signal_handler(signal.SIGTERM, loop.stop)  # type: ignore[attr-defined]
    try:
        loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
