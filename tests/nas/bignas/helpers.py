"""Tiny spaces shared by the BigNAS tests (importing this imports nothing heavy)."""

from __future__ import annotations

from typing import Any

TINY: dict[str, Any] = {
    "out_channel": {"space": {"min": [8, 8, 16], "max": [16, 24, 32], "stride": [8, 8, 16]}},
    "kernel_size": {"space": {"min": 3, "max": [5, 5, 5], "stride": 2}, "sample_strategy": "block_wise"},
    "depth": {
        "space": {"min": [1, 1, 1], "max": [1, 3, 2], "stride": 1},
        "sample_strategy": "stage_wise_depth",
    },
    "expand_ratio": {
        "space": {"min": [0, 3, 3], "max": [0, 6, 6], "stride": 3},
        "sample_strategy": "block_wise",
    },
}

# the bottleneck's expand ratio shrinks (ResNet-50's 0.25)
NARROW: dict[str, Any] = {
    "out_channel": {"space": {"min": [8, 16, 16], "max": [16, 32, 48], "stride": [8, 16, 16]}},
    "kernel_size": {"space": {"min": [3, 3, 3], "max": [3, 5, 3], "stride": 2}},
    "depth": {"space": {"min": [1, 1, 2], "max": [1, 2, 3], "stride": 1}},
    "expand_ratio": {"space": {"min": [0, 0.25, 0.25], "max": [0, 0.5, 0.5], "stride": 0.25}},
}
