"""The web UI's --host: IPv4 or IPv6 address or name, as sockets and URLs need it."""

from __future__ import annotations

import socket

from .errors import UserError


def bare_host(host: str) -> str:
    """'[::1]' -> '::1' (the brackets belong in URLs, not in --host); other hosts as given."""
    host = host.strip()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def socket_family(host: str) -> socket.AddressFamily:
    """The address family to listen on host with; socket.gaierror when the name does not resolve."""
    infos = socket.getaddrinfo(host or None, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return infos[0][0]


def url_host(host: str) -> str:
    """host as it stands in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def check_host(host: str) -> None:
    """A one-line error, before anything is created, when the web UI cannot listen on --host."""
    try:
        with socket.socket(socket_family(host)) as sock:
            sock.bind((host, 0))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserError(
            f"--host {host}: cannot listen on that address ({reason}); use 127.0.0.1, 0.0.0.0 "
            "or an address of this machine"
        ) from None


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now."""
    try:
        family = socket_family(host)
    except OSError:
        return False
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def connect_host(host: str) -> str:
    """The address a client on this machine reaches a server bound to host by."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
