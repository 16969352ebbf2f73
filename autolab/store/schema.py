"""The store's tables, the version clock, and the migration of stores written by older versions.

Every trial and metric row carries `version`: a number from one counter per store, taken by a
trigger inside the transaction that writes the row. SQLite runs one writer at a time, so a row
committed later always has a larger version than every row a reader has seen: "rows with
version > N" misses nothing, where "rows stored after time T" missed rows written in the same
clock tick as T (or by a machine whose clock stepped back).
"""

from __future__ import annotations

import sqlite3

# PRAGMA user_version: 0 = before versions (stores made before the schema was numbered), 2 = versions,
# 3 = trials.fidelity (a multi-fidelity trial's budget, bracket, rung and configuration: JSON)
SCHEMA_VERSION = 3

TRIAL_COLUMNS = (
    "id, seq, parameters, status, value, raw_value, start_time, end_time, exit_code, message, "
    "handle, source, metrics_offset, n_intermediate, last_intermediate, updated, fidelity"
)
# what the read-only views of an older store give for columns it lacks
OLD_TRIAL_COLUMNS = TRIAL_COLUMNS.replace(", fidelity", ", NULL AS fidelity")
METRIC_COLUMNS = "trial_id, type, seq, value, raw, time, recorded"

TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS trials (
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
    updated REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    fidelity TEXT
)""",
    """CREATE TABLE IF NOT EXISTS metrics (
    trial_id TEXT NOT NULL,
    type TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value REAL NOT NULL,
    raw TEXT NOT NULL,
    time REAL NOT NULL,
    recorded REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE TABLE IF NOT EXISTS clock (version INTEGER NOT NULL)",
)

# after the version columns exist (an old store gets them first)
INDEXES_AND_TRIGGERS = (
    "CREATE INDEX IF NOT EXISTS trials_status ON trials(status)",
    "CREATE INDEX IF NOT EXISTS trials_value ON trials(value)",
    "CREATE INDEX IF NOT EXISTS trials_version ON trials(version)",
    "CREATE INDEX IF NOT EXISTS metrics_trial ON metrics(trial_id, type, seq)",
    "CREATE INDEX IF NOT EXISTS metrics_version ON metrics(version)",
    "DROP INDEX IF EXISTS trials_updated",
    "DROP INDEX IF EXISTS metrics_recorded",
    """CREATE TRIGGER IF NOT EXISTS trials_new_version AFTER INSERT ON trials BEGIN
    UPDATE clock SET version = version + 1;
    UPDATE trials SET version = (SELECT version FROM clock) WHERE rowid = NEW.rowid;
END""",
    # the WHEN clause skips the trigger's own update (which changes version)
    """CREATE TRIGGER IF NOT EXISTS trials_changed_version AFTER UPDATE ON trials
WHEN NEW.version = OLD.version BEGIN
    UPDATE clock SET version = version + 1;
    UPDATE trials SET version = (SELECT version FROM clock) WHERE rowid = NEW.rowid;
END""",
    """CREATE TRIGGER IF NOT EXISTS metrics_new_version AFTER INSERT ON metrics BEGIN
    UPDATE clock SET version = version + 1;
    UPDATE metrics SET version = (SELECT version FROM clock) WHERE rowid = NEW.rowid;
END""",
)

# an old store that cannot be migrated (opened read-only in a read-only directory) is read through
# these: every row at version 0, which is right for a store nothing writes
OLD_STORE_VIEWS = (
    f"CREATE TEMP VIEW trials AS SELECT {OLD_TRIAL_COLUMNS}, 0 AS version FROM main.trials",
    f"CREATE TEMP VIEW metrics AS SELECT {METRIC_COLUMNS}, 0 AS version FROM main.metrics",
    "CREATE TEMP VIEW clock AS SELECT 0 AS version",
)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def create_or_migrate(conn: sqlite3.Connection) -> None:
    """Bring the database on a writable connection (autocommit mode) to SCHEMA_VERSION in one
    transaction: a new store gets the tables; an old one gets version columns, numbered in the
    order its rows were written. Nothing is done (and no lock taken) when it is current."""
    if schema_version(conn) >= SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if schema_version(conn) < SCHEMA_VERSION:  # another process may have migrated meanwhile
            for statement in TABLES:
                conn.execute(statement)
            if schema_version(conn) < 2:
                _add_versions(conn)
            if "fidelity" not in {r[1] for r in conn.execute("PRAGMA table_info(trials)")}:
                conn.execute("ALTER TABLE trials ADD COLUMN fidelity TEXT")
            for statement in INDEXES_AND_TRIGGERS:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
            conn.execute("ROLLBACK")
        raise


def _add_versions(conn: sqlite3.Connection) -> None:
    for table in ("trials", "metrics"):
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if "version" not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
    order = [("trials", r[0]) for r in conn.execute("SELECT rowid FROM trials ORDER BY updated, seq")] + [
        ("metrics", r[0]) for r in conn.execute("SELECT rowid FROM metrics ORDER BY recorded, rowid")
    ]
    for table in ("trials", "metrics"):
        conn.executemany(
            f"UPDATE {table} SET version = ? WHERE rowid = ?",
            [(i, rowid) for i, (t, rowid) in enumerate(order, 1) if t == table],
        )
    conn.execute("DELETE FROM clock")
    conn.execute("INSERT INTO clock(version) VALUES (?)", (len(order),))
