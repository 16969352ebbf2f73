"""The store's reads: trials and metrics as typed rows, counts, the best trial, the algorithms'
history, and what the CLI and the REST API show (search, sort and paging, the page's summary)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from ..history import History, Trial
from ..statuses import TrialStatus
from .rows import MetricRow, TrialPage, TrialRow
from .schema import METRIC_COLUMNS, TRIAL_COLUMNS

# sort key (the API's names) -> SQL expression; NULLs always sort last
SORT_KEYS = {
    "sequence": "seq",
    "id": "id",
    "status": "status",
    "value": "value",
    "lastIntermediate": "last_intermediate",
    "startTime": "start_time",
    "endTime": "end_time",
    "duration": "(COALESCE(end_time, :now) - start_time)",
}
_TRIAL_SELECT = f"SELECT {TRIAL_COLUMNS}, version FROM trials"
_BIG = "1.7976931348623157e308"


def _finite_sql(column: str) -> str:
    return f"CASE WHEN {column} BETWEEN -{_BIG} AND {_BIG} THEN {column} END"


def _json_sql(column: str) -> str:
    """The stored JSON text of column as JSON. Rows written before ingest refused NaN and Infinity
    may hold them (as Python writes them: after ': ', ', ' or '['); those become null."""
    cleaned = column
    for token in ("-Infinity", "Infinity", "NaN"):
        for before in (": ", ", ", "["):
            cleaned = f"replace({cleaned}, '{before}{token}', '{before}null')"
    return (
        f"CASE WHEN instr({column}, 'NaN') OR instr({column}, 'Infinity') "
        f"THEN CASE WHEN json_valid({cleaned}) THEN json({cleaned}) END ELSE json({column}) END"
    )


# one statement, so the version answered and the rows come from the same snapshot
_SUMMARY_SQL = (
    "SELECT (SELECT version FROM clock), (SELECT json_group_array(json_array(id, seq, status, "
    + _finite_sql("value")
    + ", start_time, end_time, n_intermediate, "
    + _finite_sql("last_intermediate")
    + ", "
    + _json_sql("parameters")
    + ", CASE WHEN raw_value LIKE '{{%' THEN "
    + _json_sql("raw_value")
    + " END, source, CASE WHEN fidelity IS NOT NULL THEN json(fidelity) END)) "
    + "FROM (SELECT * FROM trials {where} ORDER BY seq))"
)


class Reads:
    """Read methods of Store (it supplies the connection)."""

    conn: sqlite3.Connection

    # -- trials -------------------------------------------------------------------------------
    def trial_row(self, trial_id: str) -> TrialRow | None:
        row = self.conn.execute(f"{_TRIAL_SELECT} WHERE id=?", (trial_id,)).fetchone()
        return None if row is None else TrialRow.from_sql(row)

    def trial_rows(self, status: Iterable[str] | None = None) -> list[TrialRow]:
        """Every trial (or those in one of these statuses) in sequence order."""
        if status is None:
            rows = self.conn.execute(f"{_TRIAL_SELECT} ORDER BY seq").fetchall()
        else:
            wanted = list(status)  # TrialStatus members are strs
            marks = ",".join("?" * len(wanted))
            rows = self.conn.execute(
                f"{_TRIAL_SELECT} WHERE status IN ({marks}) ORDER BY seq", wanted
            ).fetchall()
        return [TrialRow.from_sql(r) for r in rows]

    def final_results(self, *statuses: str) -> list[tuple[dict[str, Any], float | None, Any, float | None]]:
        """(parameters, value, reported final result, budget) of the trials in these statuses, in
        sequence order: the parameter importance's input, without decoding the columns it does not
        need. budget: a multi-fidelity trial's (None for others)."""
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(
            "SELECT parameters, value, raw_value, json_extract(fidelity, '$.budget') FROM trials "
            f"WHERE status IN ({marks}) ORDER BY seq",
            statuses,
        )
        return [(json.loads(p), v, json.loads(r) if r else None, b) for p, v, r, b in rows]

    def count_by_status(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, COUNT(*) AS n FROM trials GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    def count_by_status_and_source(self) -> list[tuple[str, str, int]]:
        """(status, source, number of trials): tally.tally's rows."""
        rows = self.conn.execute("SELECT status, source, COUNT(*) AS n FROM trials GROUP BY status, source")
        return [(r["status"], r["source"], r["n"]) for r in rows]

    def best_trial(self, maximize: bool) -> TrialRow | None:
        """The succeeded (or paused) trial with the best value. Among multi-fidelity trials only those at the
        largest budget any succeeded trial ran with count: a 1-epoch result is not comparable to a
        27-epoch one (and is often better, on a loss that keeps falling only for good configs)."""
        order = "DESC" if maximize else "ASC"
        done = "status IN ('SUCCEEDED', 'PAUSED') AND value IS NOT NULL"  # statuses.COMPLETED
        budget = "json_extract(fidelity, '$.budget')"
        row = self.conn.execute(
            f"{_TRIAL_SELECT} WHERE {done} AND ({budget} IS NULL OR {budget} = "
            f"(SELECT MAX({budget}) FROM trials WHERE {done})) ORDER BY value {order} LIMIT 1"
        ).fetchone()
        return None if row is None else TrialRow.from_sql(row)

    def trial_page(
        self,
        offset: int = 0,
        limit: int = 50,
        sort: str = "sequence",
        order: str = "asc",
        statuses: list[str] | None = None,
        search: str = "",
        now: float | None = None,
    ) -> TrialPage:
        """One page of trials: sorted by a SORT_KEYS key (then by sequence), of these statuses,
        matching search (a substring of the id, status or parameters' JSON)."""
        now = time.time() if now is None else now
        where, args = _filter(statuses, search)
        expr = SORT_KEYS[sort]
        direction = "DESC" if order == "desc" else "ASC"
        total = self.conn.execute(f"SELECT COUNT(*) FROM trials{where}", args).fetchone()[0]
        rows = self.conn.execute(
            f"{_TRIAL_SELECT}{where} ORDER BY {expr} IS NULL, {expr} {direction}, seq {direction} "
            "LIMIT :limit OFFSET :offset",
            {**args, "now": now, "limit": limit, "offset": offset},
        )
        return TrialPage(total=int(total), rows=[TrialRow.from_sql(r) for r in rows], now=now)

    def summary_json(self, after: int | None = None) -> tuple[int, str]:
        """(the store's version, every trial changed after version `after` (all when None) as a
        JSON list of compact rows: id, seq, status, value, start, end, intermediate count, last
        intermediate, parameters, the final result when a dict, source). SQLite writes the JSON
        itself (numbers to 15 significant digits): 10,000 trials in ~30 ms, ~150 ms in Python."""
        where, args = ("WHERE version > ?", (after,)) if after is not None else ("", ())
        version, text = self.conn.execute(_SUMMARY_SQL.format(where=where), args).fetchone()
        return int(version), text

    def fidelity_rows(self) -> list[tuple[str, int, TrialStatus, float | None, dict[str, Any]]]:
        """(id, seq, status, value, fidelity) of each multi-fidelity trial in sequence order: the
        rung view's few columns (whole rows cost 4x as much at 10,000 trials)."""
        rows = self.conn.execute(
            "SELECT id, seq, status, value, fidelity FROM trials WHERE fidelity IS NOT NULL ORDER BY seq"
        )
        return [(r[0], r[1], TrialStatus(r[2]), r[3], json.loads(r[4])) for r in rows]

    # -- metrics ------------------------------------------------------------------------------
    def version(self) -> int:
        """The version of the latest write: rows written from now on have larger ones."""
        return int(self.conn.execute("SELECT version FROM clock").fetchone()[0])

    def intermediate(self, trial_id: str) -> list[float]:
        rows = self.conn.execute(
            "SELECT value FROM metrics WHERE trial_id=? AND type='PERIODICAL' ORDER BY seq", (trial_id,)
        )
        return [r["value"] for r in rows]

    def intermediate_values(self) -> dict[str, list[float]]:
        """Every trial's intermediate numbers in report order, by trial id."""
        out: dict[str, list[float]] = {}
        for r in self.conn.execute(
            "SELECT trial_id, value FROM metrics WHERE type='PERIODICAL' ORDER BY trial_id, seq"
        ):
            out.setdefault(r["trial_id"], []).append(r["value"])
        return out

    def intermediates(self) -> dict[str, list[MetricRow]]:
        """Every trial's intermediate results (as reported) in report order, by trial id."""
        out: dict[str, list[MetricRow]] = {}
        for r in self.conn.execute(
            f"SELECT {METRIC_COLUMNS}, version FROM metrics WHERE type='PERIODICAL' ORDER BY trial_id, seq"
        ):
            out.setdefault(r["trial_id"], []).append(MetricRow.from_sql(r))
        return out

    def metric_rows(
        self,
        trial_id: str | None = None,
        after: int | None = None,
        kind: str | None = None,
        limit: int | None = None,
    ) -> list[MetricRow]:
        """Metric rows in the order stored: of one trial, written after version `after`, of one
        type, at most `limit`."""
        sql = f"SELECT {METRIC_COLUMNS}, version FROM metrics WHERE 1=1"
        args: list[Any] = []
        for clause, value in (("trial_id=?", trial_id), ("version>?", after), ("type=?", kind)):
            if value is not None:
                sql += f" AND {clause}"
                args.append(value)
        sql += " ORDER BY version"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [MetricRow.from_sql(r) for r in self.conn.execute(sql, args)]

    # -- what algorithms see ------------------------------------------------------------------
    def history(self, intermediate: bool = True) -> History:
        """Every trial with its parameters, final and intermediate results (one pass over each table);
        intermediate=False leaves the metrics table unread (Pareto fronts need final results only)."""
        inter = self.intermediate_values() if intermediate else {}
        return History([to_trial(r, inter.get(r.id, [])) for r in self.trial_rows()])


def to_trial(row: TrialRow, intermediate: list[float]) -> Trial:
    return Trial(
        trial_id=row.id,
        sequence=row.seq,
        parameters=row.parameters,
        status=row.status,
        value=row.value,
        raw_value=row.raw_value,
        intermediate=list(intermediate),
        start_time=row.start_time,
        end_time=row.end_time,
        source=row.source,
        fidelity=row.fidelity,
    )


def _filter(statuses: list[str] | None, search: str) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    args: dict[str, Any] = {}
    if statuses:
        names = [f":s{i}" for i in range(len(statuses))]
        clauses.append(f"status IN ({', '.join(names)})")
        args.update({f"s{i}": s for i, s in enumerate(statuses)})
    if search:
        # a substring, case-insensitive (ASCII, as LIKE): instr has no pattern to escape and no
        # length limit (LIKE refuses patterns over 50,000 bytes: "LIKE pattern too complex")
        clauses.append(
            "(instr(lower(id), lower(:q)) OR instr(lower(parameters), lower(:q))"
            " OR instr(lower(status), lower(:q)))"
        )
        args["q"] = search
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args
