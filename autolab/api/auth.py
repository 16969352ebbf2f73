"""Who may use an experiment's server over HTTP.

Bound to loopback: anyone on this machine, but only through a loopback name in the Host header, so a
web page whose DNS name was re-pointed at 127.0.0.1 (DNS rebinding) is refused. Bound beyond
loopback: reads are open, and changes need the token.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from pathlib import Path

TOKEN_FILE = "token"
ALLOW_HOSTS_ENV = "AUTOLAB_ALLOW_HOSTS"  # more Host names a loopback server answers (a proxy's)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; False for 0.0.0.0, '' and every other address."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def prepare_token(directory: Path, host: str) -> str | None:
    """A fresh token written to <directory>/token (mode 0600) when host is not loopback, else None
    (and any old token file is removed, so the CLI does not send a stale one)."""
    path = directory / TOKEN_FILE
    if is_loopback(host):
        try:
            path.unlink()
        except OSError:
            pass
        return None
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def token_matches(expected: str, authorization: str | None) -> bool:
    """Does an `Authorization: Bearer <token>` header carry the expected token?"""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


def host_name(host_header: str) -> str:
    """The name in a Host header: 'localhost:8080' -> 'localhost', '[::1]:8080' -> '::1'; '' when
    the header is malformed (text after the port, or a port that is not a number)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name if rest == "" or (rest.startswith(":") and rest[1:].isdigit()) else ""
    if host.count(":") != 1:
        return host  # a name, or a bare IPv6 address
    name, _, port = host.partition(":")
    return name if port.isdigit() else ""


def host_allowed(host_header: str | None) -> bool:
    """May a server bound to loopback answer a request with this Host header? Loopback names and
    addresses, and the hosts listed (comma-separated, ports ignored) in $AUTOLAB_ALLOW_HOSTS as it
    was when the server started."""
    if not host_header:
        return False
    name = host_name(host_header)
    if not name:
        return False
    return is_loopback(name) or listed_host(name)


def listed_host(host: str) -> bool:
    """Is host (a name, with or without a port) listed in $AUTOLAB_ALLOW_HOSTS (a proxy's name)?"""
    name = host_name(host) if host else ""
    extra = os.environ.get(ALLOW_HOSTS_ENV, "")
    return bool(name) and name in {host_name(h) for h in extra.split(",") if h.strip()}


# -- cross-site writes ------------------------------------------------------------------------
# A page on another site can make the user's browser send a POST (and GET/HEAD) with no CORS
# preflight only with a form's content types (text/plain, form-urlencoded, multipart) and no custom
# header; anything else is preflighted, and this server answers no preflight. So a change is taken
# when its body is declared application/json or it carries CUSTOM_HEADER, and never when the
# browser says (Origin, Sec-Fetch-Site) that another site's page sent it.
CUSTOM_HEADER = "X-Autolab"
JSON_MEDIA_TYPE = "application/json"
SAME_SITE_FETCH = ("same-origin", "none")  # "none": typed by the user, a bookmark, a program


def media_type(content_type: str | None) -> str:
    """'application/json' for 'Application/JSON; charset=utf-8'; '' when absent."""
    return (content_type or "").partition(";")[0].strip().lower()


def origin_netloc(origin: str) -> str:
    """'localhost:8080' for 'http://localhost:8080', the default port dropped; '' when it is not a
    web origin ('null', a file: page, garbage)."""
    scheme, sep, rest = origin.strip().lower().partition("://")
    if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
        return ""
    default = ":80" if scheme == "http" else ":443"
    return rest.removesuffix(default)


def cross_site(origin: str | None, fetch_site: str | None, host_header: str | None) -> str | None:
    """Why a change request came from another site's page (its Origin is neither this server's Host
    nor a name in $AUTOLAB_ALLOW_HOSTS, a proxy's that may rewrite Host; or its Sec-Fetch-Site is
    not same-origin), or None when nothing says so."""
    if fetch_site is not None and fetch_site.strip().lower() not in SAME_SITE_FETCH:
        return (
            f"refused: Sec-Fetch-Site is {fetch_site.strip()!r}: changes are taken from this server's "
            "own page or a program, never from another site's page"
        )
    if origin is None:
        return None
    host = (host_header or "").strip().lower()
    for default in (":80", ":443"):
        host = host.removesuffix(default)
    netloc = origin_netloc(origin)
    if not host or (netloc != host and not listed_host(netloc)):
        return (
            f"refused: the request comes from the page of {origin.strip()!r}, not of this server "
            f"({host_header or 'no Host'}); changes are taken only from this server's own page"
        )
    return None


def not_json(content_type: str | None, custom: str | None) -> str | None:
    """Why a change request is refused for its content type (see CUSTOM_HEADER), or None."""
    if media_type(content_type) == JSON_MEDIA_TYPE or custom is not None:
        return None
    return (
        f"send changes with Content-Type: {JSON_MEDIA_TYPE} (got {content_type or 'none'!r}) "
        f"or an {CUSTOM_HEADER} header"
    )
