"""Durations as the CLI prints them."""

from __future__ import annotations

from autolab.timefmt import format_duration


def test_durations_round_as_the_web_ui_shows_them() -> None:
    assert [format_duration(s) for s in (0.877, 0.4, 59.6, 3599.5, None)] == [
        "1s",
        "0s",
        "1m00s",
        "1h00m00s",
        "-",
    ]
