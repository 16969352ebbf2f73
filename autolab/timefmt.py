"""Durations and times as the CLI and the progress line print them."""

from __future__ import annotations

import time


def run_time(start: float | None, end: float | None, running: bool) -> float | None:
    """How long a trial ran: start to end, or, while it runs, to now (as the web UI counts it);
    None before it started, or when it ended with no end time recorded."""
    if not start or not (end or running):
        return None
    return (end or time.time()) - start


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, round(seconds))  # as the web UI shows it (AL.duration)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def format_time(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
