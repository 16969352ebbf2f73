"""Fixtures for the NAS tests. Nothing here imports torch at import time, so that without torch
every module here is skipped by its own importorskip instead of failing in this file."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def tiny_net() -> Any:
    import torch

    from .supernets import TinyNet

    torch.manual_seed(0)
    return TinyNet()


@pytest.fixture
def data() -> Any:
    from .supernets import make_data

    return make_data()
