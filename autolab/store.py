"""SQLite store of one experiment: the single source of truth (current-state rows, metric rows).

One database file per experiment (<experiment dir>/autolab.db) in WAL mode, so the CLI and the web
server read while the manager writes. Trials hold their current status; metrics are rows. Nothing
is rebuilt by replaying events.
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

from .errors import AutolabError
from .history import History, Trial, TrialStatus
from .protocol import Metric

DB_FILE = "autolab.db"
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    parameters TEXT NOT NULL,
    status TEXT NOT NULL,
    value REAL,
    raw_value TEXT,
    start_time REAL,
    end_time REAL,
    exit_code INTEGER,
    message TEXT NOT NULL DEFAULT '',
    handle TEXT,
    source TEXT NOT NULL DEFAULT 'tuner',
    metrics_offset INTEGER NOT NULL DEFAULT 0,
    n_intermediate INTEGER NOT NULL DEFAULT 0,
    last_intermediate REAL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS trials_status ON trials(status);
CREATE INDEX IF NOT EXISTS trials_value ON trials(value);
CREATE INDEX IF NOT EXISTS trials_updated ON trials(updated);
CREATE TABLE IF NOT EXISTS metrics (
    trial_id TEXT NOT NULL,
    type TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value REAL NOT NULL,
    raw TEXT NOT NULL,
    time REAL NOT NULL,
    recorded REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_trial ON metrics(trial_id, type, seq);
CREATE INDEX IF NOT EXISTS metrics_recorded ON metrics(recorded);
"""

TRIAL_COLUMNS = (
    "id, seq, parameters, status, value, raw_value, start_time, end_time, exit_code, message, "
    "handle, source, metrics_offset, n_intermediate, last_intermediate, updated"
)


class StoreError(AutolabError, RuntimeError):
    """The store cannot be opened or written (missing, read-only, disk full); message names the file."""


class Store:
    """Typed access to one experiment's database."""

    def __init__(self, directory: str | Path, create: bool = False, readonly: bool = False) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_FILE
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no experiment store here")
        try:
            if readonly:
                self.conn = self._open_readonly()
            else:
                self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.executescript(SCHEMA)
            self.conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            why = "" if readonly or os.access(self.directory, os.W_OK) else " (its directory is not writable)"
            raise StoreError(f"{self.path}: cannot open the experiment store: {exc}{why}") from None
        self.conn.row_factory = sqlite3.Row

    def _open_readonly(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30, isolation_level=None)
        try:
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return conn
        except sqlite3.OperationalError:
            conn.close()
            # WAL mode needs to create the -shm file next to the database: impossible in a read-only
            # directory. With no WAL content pending, nothing can change the file: read it as it is.
            wal = self.path.with_name(self.path.name + "-wal")
            if os.access(self.directory, os.W_OK) or (wal.exists() and wal.stat().st_size > 0):
                raise
        return sqlite3.connect(
            f"file:{self.path}?mode=ro&immutable=1", uri=True, timeout=30, isolation_level=None
        )

    def close(self) -> None:
        self.conn.close()

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
    ) -> int:
        """Insert a new trial; returns its sequence number (0, 1, 2...)."""
        with self.transaction() as c:
            seq = c.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM trials").fetchone()[0]
            c.execute(
                "INSERT INTO trials(id, seq, parameters, status, source, updated) VALUES(?, ?, ?, ?, ?, ?)",
                (trial_id, seq, json.dumps(parameters), status.value, source, time.time()),
            )
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

    def record_metrics(self, trial_id: str, metrics: Iterable[Metric], new_offset: int) -> None:
        """Store metrics read from a trial's metrics.jsonl and the file offset read to, atomically.
        Intermediate results are numbered 0, 1, 2... in the order stored."""
        now = time.time()
        with self.transaction() as c:
            row = c.execute("SELECT n_intermediate FROM trials WHERE id=?", (trial_id,)).fetchone()
            n_inter = int(row["n_intermediate"]) if row else 0
            fields: dict[str, Any] = {"metrics_offset": new_offset}
            for metric in metrics:
                raw = json.dumps(metric.value, allow_nan=False)
                if metric.final:
                    seq = 0
                    fields.update(value=metric.number, raw_value=raw)
                else:
                    seq = n_inter
                    n_inter += 1
                    fields.update(n_intermediate=n_inter, last_intermediate=metric.number)
                c.execute(
                    "INSERT INTO metrics(trial_id, type, seq, value, raw, time, recorded) VALUES(?, ?, ?, ?, ?, ?, ?)",
                    (trial_id, metric.kind, seq, metric.number, raw, metric.time, now),
                )
            self._update(c, trial_id, fields)

    def trial_row(self, trial_id: str) -> sqlite3.Row | None:
        return self.conn.execute(f"SELECT {TRIAL_COLUMNS} FROM trials WHERE id=?", (trial_id,)).fetchone()

    def trial_rows(self, status: Iterable[str] | None = None) -> list[sqlite3.Row]:
        if status is None:
            return self.conn.execute(f"SELECT {TRIAL_COLUMNS} FROM trials ORDER BY seq").fetchall()
        wanted = list(status)
        marks = ",".join("?" * len(wanted))
        return self.conn.execute(
            f"SELECT {TRIAL_COLUMNS} FROM trials WHERE status IN ({marks}) ORDER BY seq", wanted
        ).fetchall()

    def count_by_status(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, COUNT(*) AS n FROM trials GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    def intermediate(self, trial_id: str) -> list[float]:
        rows = self.conn.execute(
            "SELECT value FROM metrics WHERE trial_id=? AND type='PERIODICAL' ORDER BY seq", (trial_id,)
        )
        return [r["value"] for r in rows]

    def metric_rows(
        self,
        trial_id: str | None = None,
        since: float | None = None,
        kind: str | None = None,
        limit: int | None = None,
        recorded_at: float | None = None,
    ) -> list[sqlite3.Row]:
        """Metric rows, oldest stored first: of one trial, stored after `since` (or exactly at
        `recorded_at`), of one type, at most `limit`."""
        sql = "SELECT trial_id, type, seq, value, raw, time, recorded FROM metrics WHERE 1=1"
        args: list[Any] = []
        for clause, value in (
            ("trial_id=?", trial_id),
            ("recorded>?", since),
            ("type=?", kind),
            ("recorded=?", recorded_at),
        ):
            if value is not None:
                sql += f" AND {clause}"
                args.append(value)
        sql += " ORDER BY recorded, trial_id, type, seq"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return self.conn.execute(sql, args).fetchall()

    # -- what algorithms see ------------------------------------------------------------------
    def history(self) -> History:
        """Every trial with its parameters, final and intermediate results (one pass over each table)."""
        inter: dict[str, list[float]] = {}
        for r in self.conn.execute(
            "SELECT trial_id, value FROM metrics WHERE type='PERIODICAL' ORDER BY trial_id, seq"
        ):
            inter.setdefault(r["trial_id"], []).append(r["value"])
        return History([row_to_trial(r, inter.get(r["id"], [])) for r in self.trial_rows()])


def row_to_trial(row: sqlite3.Row, intermediate: list[float]) -> Trial:
    return Trial(
        trial_id=row["id"],
        sequence=row["seq"],
        parameters=json.loads(row["parameters"]),
        status=TrialStatus(row["status"]),
        value=row["value"],
        raw_value=json.loads(row["raw_value"]) if row["raw_value"] else None,
        intermediate=list(intermediate),
        start_time=row["start_time"],
        end_time=row["end_time"],
        source=row["source"],
    )
