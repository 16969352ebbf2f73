"""Pieces several command groups share: the text table, a trial found by id or prefix."""

from __future__ import annotations

from typing import Any

from ..errors import UserError
from ..experiments import ExperimentRef
from ..store import Store, TrialRow


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def find_trial(store: Store, ref: ExperimentRef, trial_id: str) -> TrialRow:
    """The trial with this id (or unique prefix); UserError otherwise."""
    row = store.trial_row(trial_id)
    if row is not None:
        return row
    matches = [r for r in store.trial_rows() if r.id.startswith(trial_id)]
    if len(matches) == 1:
        return matches[0]
    why = "is ambiguous" if matches else "not found"
    raise UserError(f"experiment {ref.id}: trial {trial_id!r} {why} (see: autolab trial ls {ref.id})")
