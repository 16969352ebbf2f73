"""The registry of every experiment created: a small SQLite database (registry.db in AUTOLAB_HOME)
mapping ids to directories, so that concurrent `autolab` commands add and remove experiments safely."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from .core import StoreError

REGISTRY_FILE = "registry.db"


def _open(home: Path) -> sqlite3.Connection:
    try:
        home.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(home / REGISTRY_FILE, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS experiments (id TEXT PRIMARY KEY, name TEXT, directory TEXT, created REAL)"
        )
    except (OSError, sqlite3.Error) as exc:
        # the registry only lists experiments (each keeps everything in its own folder): a damaged
        # one can be moved away, and experiments are still reached by the path of their folder
        hint = (
            "; it only lists experiments: move it away and a new one is made, and an experiment can be "
            "given by its folder's path (autolab resume <folder> lists it again)"
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
            else ""
        )
        raise StoreError(
            f"{home / REGISTRY_FILE}: cannot open the experiment registry (AUTOLAB_HOME): "
            f"{getattr(exc, 'strerror', None) or exc}{hint}"
        ) from None
    return conn


def _write(home: Path, sql: str, args: tuple[object, ...]) -> None:
    conn = _open(home)
    try:
        with conn:
            conn.execute(sql, args)
    except sqlite3.Error as exc:
        raise StoreError(f"{home / REGISTRY_FILE}: cannot write the experiment registry: {exc}") from None
    finally:
        conn.close()


def add(home: Path, exp_id: str, name: str, directory: Path) -> None:
    _write(
        home,
        "INSERT OR REPLACE INTO experiments VALUES (?, ?, ?, ?)",
        (exp_id, name, str(directory), time.time()),
    )


def remove(home: Path, exp_id: str) -> None:
    _write(home, "DELETE FROM experiments WHERE id=?", (exp_id,))


def entries(home: Path) -> list[tuple[str, str, Path, float]]:
    """(id, name, directory, created) of every registered experiment, oldest first."""
    conn = _open(home)
    try:
        rows = conn.execute(
            "SELECT id, name, directory, created FROM experiments ORDER BY created"
        ).fetchall()
    finally:
        conn.close()
    return [(r[0], r[1] or "", Path(r[2]), r[3]) for r in rows]
