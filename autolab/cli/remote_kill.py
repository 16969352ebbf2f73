"""`autolab trial kill` of a remote trial when no manager runs: the experiment's remote service is
built for the moment, takes the trial back by its stored handle and kills it over SSH. A machine
that does not answer gets the kill recorded (services/remote_owed.py): the trial ends now, and the
kill is carried out when the experiment resumes and the machine answers."""

from __future__ import annotations

import time
from pathlib import Path

from ..commands import trial_launch
from ..config import CONFIG_FILE, config_from_dict
from ..history import Trial
from ..services.base import EventKind
from ..services.remote import RemoteService
from ..store import Store, TrialRow

KILL_TIMEOUT = 60.0  # seconds for the kill to be seen done (SIGTERM, the grace, SIGKILL)


def kill_remote_trial(store: Store, directory: Path, row: TrialRow) -> tuple[bool, str]:
    """(whether the trial was found running on its machine, what happened, in words)."""
    config = config_from_dict(store.get_meta("config"), directory / CONFIG_FILE)
    service = RemoteService.from_config(config, directory)
    trial = Trial(row.id, row.seq, row.parameters, row.status, fidelity=row.fidelity)
    launch = trial_launch(config, str(store.get_meta("id")), trial, directory / "trials" / row.id, directory)
    try:
        if not service.adopt(launch, row.handle):
            return False, f"not found on machine {row.machine} (it had ended)"
        service.kill(row.id)
        deadline = time.monotonic() + KILL_TIMEOUT
        while time.monotonic() < deadline:
            for event in service.poll():
                if event.trial_id == row.id and event.kind == EventKind.EXITED:
                    if row.id in service.owed.of(str(row.machine)):  # its machine did not answer
                        return False, event.message
                    code = event.exit_code
                    if code is not None and code >= 0:  # it ended there on its own while no manager ran
                        return (
                            False,
                            f"marked cancelled (it had ended on machine {row.machine}, exit code {code})",
                        )
                    return True, f"killed on machine {row.machine}"
            time.sleep(0.05)
        return True, f"signalled on machine {row.machine}; it had not ended {KILL_TIMEOUT:g} s later"
    finally:
        service.close()
