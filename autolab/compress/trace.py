"""Tracing a model with torch.fx, and the one-line error when it cannot be traced."""

from __future__ import annotations

from typing import Any

from torch import fx, nn

from ..errors import AutolabError


class CompressError(AutolabError, ValueError):
    """A model, ratio or file that compression cannot use; the message names the culprit."""


class _NamingTracer(fx.Tracer):
    """A tracer that remembers the innermost module whose forward failed, to name it in the error."""

    def __init__(self) -> None:
        super().__init__()
        self.failed_in: tuple[str, str] | None = None

    def call_module(self, m: nn.Module, forward: Any, args: Any, kwargs: Any) -> Any:
        try:
            return super().call_module(m, forward, args, kwargs)
        except Exception:
            if self.failed_in is None:
                self.failed_in = (self.path_of_module(m), type(m).__name__)
            raise


def trace(model: nn.Module) -> fx.Graph:
    """The model's fx graph (leaf modules are torch.nn's own); CompressError naming the module on failure."""
    tracer = _NamingTracer()
    try:
        return tracer.trace(model)
    except Exception as e:
        where = tracer.failed_in or ("", type(model).__name__)
        name = f"'{where[0]}' ({where[1]})" if where[0] else f"{where[1]} (the model's own forward)"
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CompressError(
            f"cannot trace module {name} with torch.fx: {reason}; make that forward free of "
            "data-dependent Python control flow, or prune a model that is"
        ) from None
