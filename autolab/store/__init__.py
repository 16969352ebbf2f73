"""The experiment's SQLite store (core: opening, writes; reads: every query the CLI, the REST API
and the algorithms make; schema: tables, version clock, migration; rows: what reads return), and
the registry of experiments (registry)."""

from .core import DB_FILE, Store, StoreError
from .reads import SORT_KEYS
from .rows import MetricRow, TrialPage, TrialRow
from .schema import SCHEMA_VERSION

__all__ = [
    "DB_FILE",
    "SCHEMA_VERSION",
    "SORT_KEYS",
    "MetricRow",
    "Store",
    "StoreError",
    "TrialPage",
    "TrialRow",
]
