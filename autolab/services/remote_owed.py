"""Kills owed to unreachable machines, kept in the experiment's folder until carried out.

A trial killed (by the user, a stop, an assessor, maxTrialDuration) while its machine does not
answer ends at once in the store; its processes may still run there. The kill is written here and
carried out when the machine answers again: by this manager, or by the next one (`autolab resume`),
so that neither a crash nor a stop loses it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("autolab.services.remote")

FILE = "unreached_kills.json"  # {machine name: [trial id, ...]}


class OwedKills:
    """{machine: trial ids} of kills not carried out yet; saved at each change when `path` is set."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.by_machine: dict[str, set[str]] = {}
        if path is None:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.by_machine = {str(m): {str(t) for t in ids} for m, ids in dict(data).items() if ids}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError) as exc:
            log.warning("%s unreadable (%s): kills owed to unreachable machines are not known", path, exc)

    def of(self, machine: str) -> set[str]:
        return set(self.by_machine.get(machine, ()))

    def add(self, machine: str, trial_ids: Iterable[str]) -> bool:
        """Record them; False when the file could not be written (kept in memory only)."""
        ids = set(trial_ids)
        if not ids <= self.by_machine.get(machine, set()):
            self.by_machine.setdefault(machine, set()).update(ids)
            return self._save()
        return True

    def done(self, machine: str, trial_ids: Iterable[str]) -> None:
        left = self.by_machine.get(machine, set()) - set(trial_ids)
        if left != self.by_machine.get(machine, set()):
            if left:
                self.by_machine[machine] = left
            else:
                self.by_machine.pop(machine, None)
            self._save()

    def _save(self) -> bool:
        if self.path is None:
            return True
        try:
            if not self.by_machine:
                if self.path.exists():
                    self.path.unlink()
                return True
            tmp = self.path.with_name(self.path.name + ".tmp")
            data = {m: sorted(ids) for m, ids in sorted(self.by_machine.items())}
            tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            tmp.replace(self.path)
            return True
        except OSError as exc:
            log.warning("cannot write %s (%s): owed kills are kept in memory only", self.path, exc)
            return False
