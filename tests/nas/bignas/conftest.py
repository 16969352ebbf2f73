"""One torch thread for these tiny nets: with the CPUs shared, two threads made a step ~30x slower
(thread hand-offs dominate a conv on 8x8 inputs). torch is imported inside the fixture so that
without it each module is skipped by its own importorskip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
