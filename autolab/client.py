"""The CLI's way to change a running experiment: a request to its manager's REST API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .errors import UserError
from .experiments import ExperimentRef, manager_alive
from .store import Store

STUDY = (
    "experiment {id} is an in-process study: no manager serves it; change it from the Python process "
    "that runs it (study.enqueue_trial(...), study.optimize(n_trials=...))"
)


def manager_url(ref: ExperimentRef) -> str:
    with Store(ref.directory, readonly=True) as store:
        url, study = store.get_meta("url"), store.get_meta("study")
    if study:
        raise UserError(STUDY.format(id=ref.id))
    if not manager_alive(ref.directory):
        raise UserError(f"experiment {ref.id} is not running (resume it with: autolab resume {ref.id})")
    if not url:
        raise UserError(f"experiment {ref.id}: its manager has no REST API address yet; try again")
    return str(url)


def call(ref: ExperimentRef, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
    """Send one request; a 4xx answer becomes a UserError with the server's message."""
    url = manager_url(ref).replace("0.0.0.0", "127.0.0.1") + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    token = _token(ref)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise UserError(f"experiment {ref.id}: {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"experiment {ref.id}: cannot reach its manager at {url}: {exc}") from None


def _token(ref: ExperimentRef) -> str | None:
    try:
        return (ref.directory / "token").read_text().strip() or None
    except OSError:
        return None
