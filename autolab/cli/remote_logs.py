"""TensorBoard logs of remote trials, copied from their machines into their local trial folders when
`autolab tensorboard start` asks (as nnictl did for the remote platform: a copy as of that moment;
start it again to see newer logs)."""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterable
from pathlib import Path

from ..config import CONFIG_FILE, config_from_dict
from ..services.remote import RemoteService
from ..store import Store, TrialRow

FOLDER = "tensorboard"  # under NNI_OUTPUT_DIR, as NNI 2.x trials write them
COPY_TIMEOUT = 600.0
NO_FOLDER = 4
# $1 a trial's log folder: its files as a tar on stdout; exit 4 when there is none. tar's exit 1 (a file
# changed as it was read: a running trial writing its event file) still gives a good archive.
PACK_LOGS = '[ -d "$1" ] || exit 4; cd "$1" && tar -cf - .; c=$?; [ "$c" -le 1 ] || exit "$c"'


def fetch_logs(store: Store, directory: Path, rows: Iterable[TrialRow]) -> list[str]:
    """Copy each remote trial's `tensorboard/` folder from its machine into its local trial folder
    (replacing an earlier copy); a line for each machine or trial that could not be read."""
    config = config_from_dict(store.get_meta("config"), directory / CONFIG_FILE)
    service = RemoteService.from_config(config, directory)
    machines = {m.name: m for m in service.machines}
    said: list[str] = []
    try:
        for row in rows:
            machine = machines.get(str(row.machine))
            if machine is None:
                said.append(
                    f"trial {row.id} ran on {row.machine}, no longer in machineList: its logs are there"
                )
                continue
            if not service.reach(machine):
                said.append(
                    f"trial {row.id}: its logs not copied: {machine.note() or 'machine ' + machine.name}"
                )
                continue
            there = f"{machine.directory}/trials/{row.id}/{FOLDER}"
            result = machine.ssh.run(PACK_LOGS, [there], timeout=COPY_TIMEOUT)
            if result.returncode == 0:
                _unpack(result.stdout, directory / "trials" / row.id / FOLDER)
            elif result.returncode != NO_FOLDER:  # (none there: the trial wrote no logs)
                said.append(f"trial {row.id}: its logs not copied from {machine.name}: {result.error()}")
    finally:
        service.close()
    return said


def _unpack(tar: bytes, target: Path) -> None:
    """The tar's files in `target`, whole: unpacked beside it, then put in its place."""
    part = target.with_name(target.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        if hasattr(tarfile, "data_filter"):  # no links out, no absolute paths, no devices
            archive.extractall(part, filter="data")
        else:  # pragma: no cover - Pythons without extraction filters: plain files and folders only
            safe = [m for m in archive.getmembers() if (m.isfile() or m.isdir()) and _inside(m.name)]
            archive.extractall(part, members=safe)  # noqa: S202 - members checked above
    shutil.rmtree(target, ignore_errors=True)
    part.rename(target)


def _inside(name: str) -> bool:
    return not name.startswith("/") and ".." not in Path(name).parts
