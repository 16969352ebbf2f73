"""torchvision's classifiers for the tests, built with weights=None (nothing is downloaded).

The torchvision 0.28.0 wheel on PyPI is a CUDA build: beside the CPU torch 2.13.0 these machines
install, its C++ operators cannot load and `import torchvision` fails registering their fake
kernels ("operator torchvision::nms does not exist"). The classifiers are pure Python and never
call those operators, so the import is retried without registering the fake kernels. Test-only:
autolab.compress itself never imports torchvision.
"""

from __future__ import annotations

import sys
from types import ModuleType

import pytest


def torchvision_or_skip() -> ModuleType:
    try:
        import torchvision
    except ImportError as exc:
        pytest.skip(f"torchvision is not installed ({exc}): pip install -e '.[dev,nas]' installs it")
    except RuntimeError as exc:
        if "does not exist" not in str(exc):
            raise
        return _without_fake_kernels()
    return torchvision


def _without_fake_kernels() -> ModuleType:
    import torch.library

    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]  # the failed import's half-initialised modules
    original = torch.library.register_fake
    torch.library.register_fake = lambda *args, **kwargs: lambda fn: fn  # type: ignore[assignment]
    try:
        import torchvision
    finally:
        torch.library.register_fake = original
    return torchvision
