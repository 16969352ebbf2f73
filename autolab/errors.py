"""The user-facing error classes: the CLI prints their message on one line and exits with 2."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user asked (bad argument, wrong state); message names the culprit."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Every exception class that reports a user's mistake (imported lazily: the CLI stays quick)."""
    from .assessors.base import AssessorError
    from .experiments import ExperimentNotFound
    from .searchspace import SearchSpaceError
    from .services.base import ServiceError
    from .store import StoreError
    from .tuners.base import TunerError

    types: list[type[BaseException]] = [
        UserError,
        AssessorError,
        ExperimentNotFound,
        SearchSpaceError,
        ServiceError,
        StoreError,
        TunerError,
    ]
    try:
        from .config import ConfigError

        types.append(ConfigError)
    except ImportError:
        pass
    return tuple(types)
