"""The web UI's --host: IPv4 or IPv6 address or name, as sockets and URLs need it."""

from __future__ import annotations

import socket


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
