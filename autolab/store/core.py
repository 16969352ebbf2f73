"""SQLite store of one experiment: the single source of truth (current-state rows, metric rows).

One database file per experiment (<experiment dir>/autolab.db) in WAL mode, so the CLI and the web
server read while the manager writes. Trials hold their current status; metrics are rows. Nothing
is rebuilt by replaying events. Here: opening (an older store is migrated, see schema.py), the
transactions and the writes; the reads are in reads.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import AutolabError
from ..protocol import Metric
from ..statuses import TrialStatus
from .reads import Reads
from .schema import OLD_STORE_VIEWS, SCHEMA_VERSION, create_or_migrate, schema_version

DB_FILE = "autolab.db"


class StoreError(AutolabError, RuntimeError):
    """The store cannot be opened or written (missing, read-only, disk full); message names the file."""


class Store(Reads):
    """Typed access to one experiment's database; `with Store(directory) as store:` closes it."""

    def __init__(
        self, directory: str | Path, create: bool = False, readonly: bool = False, threads: bool = False
    ) -> None:
        """threads: the connection may be used from other threads (the caller serializes its use:
        an in-process study with n_jobs > 1)."""
        self.directory = Path(directory)
        self.path = self.directory / DB_FILE
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no experiment store here")
        try:
            if readonly:
                self.conn = self._open_readonly()
            else:
                self.conn = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=not threads
                )
                if not create:
                    self._check_ours(self.conn)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA busy_timeout=30000")
                create_or_migrate(self.conn)
        except sqlite3.Error as exc:
            why = "" if readonly or os.access(self.directory, os.W_OK) else " (its directory is not writable)"
            raise StoreError(f"{self.path}: cannot open the experiment store: {exc}{why}") from None
        self.conn.row_factory = sqlite3.Row

    def _open_readonly(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            self._check_ours(conn)
            return self._current(conn)
        except sqlite3.OperationalError:
            conn.close()
            # WAL mode needs to create the -shm file next to the database: impossible in a read-only
            # directory. With no WAL content pending, nothing can change the file: read it as it is.
            wal = self.path.with_name(self.path.name + "-wal")
            if os.access(self.directory, os.W_OK) or (wal.exists() and wal.stat().st_size > 0):
                raise
        conn = sqlite3.connect(
            f"file:{self.path}?mode=ro&immutable=1", uri=True, timeout=30, isolation_level=None
        )
        self._check_ours(conn)
        return self._current(conn)

    def _check_ours(self, conn: sqlite3.Connection) -> None:
        """StoreError unless the file holds an autolab store (its meta and trials tables): an empty
        file or another program's database is neither read as an empty experiment nor written to."""
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "trials"} <= names:
            conn.close()
            what = "an empty file" if self.path.stat().st_size == 0 else "a database without autolab's tables"
            raise StoreError(f"{self.path}: not an autolab experiment store ({what})")

    def _current(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        """conn (read-only) able to read this schema: a store written by an older version is
        migrated first when its file may be written, else read through views (see schema)."""
        if schema_version(conn) >= SCHEMA_VERSION:
            return conn
        if os.access(self.path, os.W_OK) and os.access(self.directory, os.W_OK):
            writer = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                create_or_migrate(writer)
                return conn
            except sqlite3.Error:
                pass  # e.g. a file system mounted read-only: read it as it is
            finally:
                writer.close()
        for statement in OLD_STORE_VIEWS:
            conn.execute(statement)
        return conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. after SQLITE_FULL)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside happen together or not at all; a failed write (read-only file, disk
        full) is a StoreError naming the file, and leaves nothing half-written."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write: {exc}") from None
        try:
            yield self.conn
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"{self.path}: cannot write: {exc}") from None
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(f"{self.path}: cannot write: {exc}") from None

    # -- meta ---------------------------------------------------------------------------------
    def set_meta(self, **values: Any) -> None:
        with self.transaction() as c:
            c.executemany(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    # -- a study's user attributes (set_user_attr): a table of their own, made on first use (the
    # trials table has no column for them, and meta is read whole by every reader of an experiment)
    def set_user_attrs(self, trial_id: str, attrs_json: str) -> None:
        with self.transaction() as c:
            c.execute(_USER_ATTRS_TABLE)
            c.execute(
                "INSERT INTO study_user_attrs(trial_id, attrs) VALUES(?, ?) "
                "ON CONFLICT(trial_id) DO UPDATE SET attrs=excluded.attrs",
                (trial_id, attrs_json),
            )

    def user_attrs(self) -> dict[str, dict[str, Any]]:
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='study_user_attrs'"
        ).fetchone()
        if found is None:
            return {}
        return {
            r[0]: json.loads(r[1]) for r in self.conn.execute("SELECT trial_id, attrs FROM study_user_attrs")
        }

    def meta(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self.conn.execute("SELECT key, value FROM meta")}

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row["value"])

    # -- trials -------------------------------------------------------------------------------
    def add_trial(
        self,
        trial_id: str,
        parameters: dict[str, Any],
        source: str = "tuner",
        status: TrialStatus = TrialStatus.WAITING,
        seq: int | None = None,
        final: Metric | None = None,
        fidelity: dict[str, Any] | None = None,
        **also: Any,
    ) -> int:
        """Insert a new trial; returns its sequence number (0, 1, 2...: the next one unless seq is
        given). final and also: its final result and more of its fields (start_time, end_time,
        message...) in the same transaction: an in-process trial recorded once it has ended.
        fidelity: a multi-fidelity trial's budget, bracket, rung and config."""
        stored_fidelity = None if fidelity is None else json.dumps(fidelity)
        with self.transaction() as c:
            if seq is None:
                seq = c.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM trials").fetchone()[0]
            c.execute(
                "INSERT INTO trials(id, seq, parameters, status, source, updated, fidelity) "
                "VALUES(?, ?, ?, ?, ?, ?, ?)",
                (trial_id, seq, json.dumps(parameters), status.value, source, time.time(), stored_fidelity),
            )
            if final is not None:
                raw = json.dumps(final.value, allow_nan=False)
                c.execute(
                    "INSERT INTO metrics(trial_id, type, seq, value, raw, time, recorded) VALUES(?, ?, ?, ?, ?, ?, ?)",
                    (trial_id, final.kind, 0, final.number, raw, final.time, time.time()),
                )
                also.update(value=final.number, raw_value=raw)
            if also:
                self._update(c, trial_id, also)
        return int(seq)

    def add_imported(self, records: list[dict[str, Any]], new_id: Any, default_of: Any) -> int:
        """Add finished trials from NNI's export shape ([{"parameter":..., "value":...}]) in one
        transaction (all or none), source 'import'. new_id() gives a fresh trial id."""
        now = time.time()
        with self.transaction() as c:
            taken = {r[0] for r in c.execute("SELECT id FROM trials")}
            seq = c.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM trials").fetchone()[0]
            for record in records:
                trial_id = new_id()
                while trial_id in taken:
                    trial_id = new_id()
                taken.add(trial_id)
                c.execute(
                    "INSERT INTO trials(id, seq, parameters, status, value, raw_value, message, source, updated) "
                    "VALUES(?, ?, ?, 'SUCCEEDED', ?, ?, 'imported', 'import', ?)",
                    (
                        trial_id,
                        seq,
                        json.dumps(record["parameter"]),
                        default_of(record["value"]),
                        json.dumps(record["value"]),
                        now,
                    ),
                )
                seq += 1
        return len(records)

    def update_trial(self, trial_id: str, **fields: Any) -> None:
        if not fields:
            return
        with self.transaction() as c:
            self._update(c, trial_id, fields)

    @staticmethod
    def _update(c: sqlite3.Connection, trial_id: str, fields: dict[str, Any]) -> None:
        fields = dict(fields)
        for key in ("status",):
            if isinstance(fields.get(key), TrialStatus):
                fields[key] = fields[key].value
        for key in ("handle", "raw_value", "parameters"):
            if key in fields and fields[key] is not None and not isinstance(fields[key], str):
                fields[key] = json.dumps(fields[key])
        fields["updated"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        c.execute(f"UPDATE trials SET {cols} WHERE id=?", (*fields.values(), trial_id))

    def record_metrics(self, trial_id: str, metrics: Iterable[Metric], new_offset: int, **also: Any) -> None:
        """Store metrics read from a trial's metrics.jsonl and the file offset read to, atomically.
        Intermediate results are numbered 0, 1, 2... in the order stored. A trial has one FINAL
        row: a later final replaces it and sets the trial's value (NNI's rule: the last one wins).
        also: more of the trial's fields set in the same transaction (its status and end)."""
        now = time.time()
        with self.transaction() as c:
            row = c.execute("SELECT n_intermediate FROM trials WHERE id=?", (trial_id,)).fetchone()
            n_inter = int(row["n_intermediate"]) if row else 0
            fields: dict[str, Any] = {"metrics_offset": new_offset, **also}
            for metric in metrics:
                raw = json.dumps(metric.value, allow_nan=False)
                if metric.final:
                    seq = 0
                    fields.update(value=metric.number, raw_value=raw)
                    # deleted and inserted, not updated: the new row takes a new version, so the
                    # API's ?after= readers see the change
                    c.execute("DELETE FROM metrics WHERE trial_id=? AND type=?", (trial_id, metric.kind))
                else:
                    seq = n_inter
                    n_inter += 1
                    fields.update(n_intermediate=n_inter, last_intermediate=metric.number)
                c.execute(
                    "INSERT INTO metrics(trial_id, type, seq, value, raw, time, recorded) VALUES(?, ?, ?, ?, ?, ?, ?)",
                    (trial_id, metric.kind, seq, metric.number, raw, metric.time, now),
                )
            self._update(c, trial_id, fields)


_USER_ATTRS_TABLE = (
    "CREATE TABLE IF NOT EXISTS study_user_attrs (trial_id TEXT PRIMARY KEY, attrs TEXT NOT NULL)"
)
