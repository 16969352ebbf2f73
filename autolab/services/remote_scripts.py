"""The shell scripts the remote service runs on a machine (POSIX sh), and readers of their output.

A machine holds, under its root (`$AUTOLAB_REMOTE_DIR`, else `~/autolab-experiments`), one folder
per experiment: `code/` (the code directory, copied once), `sdk/` (autolab's trial SDK and `nni`
module, so the machine needs no autolab installed) and `trials/<id>/`, the same trial directory
the local service uses (parameter.json in; metrics.jsonl, stdout, stderr, trial.pid, exit_status
out). The manager copies new bytes of those files back into the local trial directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import protocol
from .local import WRAPPER

SYNC_MARK = ".autolab-synced"  # in the experiment folder once code/ and sdk/ are complete
MIRRORED = (protocol.METRICS_FILE, protocol.STDOUT_FILE, protocol.STDERR_FILE)
# what a login shell prints (a chatty ~/.bashrc) comes before this line and is skipped
STATUS_BEGIN = b"AUTOLAB-STATUS-BEGIN"
LOOK_CAP = 4 << 20  # bytes of one file per look: a trial printing gigabytes is read over several looks

# $1 experiment id. Prints the experiment folder, whether its code is there, and the GPUs.
PROBE = """
base="${AUTOLAB_REMOTE_DIR:-$HOME/autolab-experiments}"
mkdir -p "$base/$1/trials" || exit 3
cd "$base/$1" || exit 3
echo "DIR $(pwd)"
[ -f @MARK@ ] && echo SYNCED
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=index,pci.bus_id --format=csv,noheader 2>/dev/null | sed 's/^/GPU /'
  nvidia-smi --query-compute-apps=gpu_bus_id --format=csv,noheader 2>/dev/null | sed 's/^/APP /'
fi
exit 0
""".replace("@MARK@", SYNC_MARK)

# $1 experiment folder; stdin: a gzipped tar of code/ and sdk/
SYNC = """
cd "$1" || exit 3
rm -rf code sdk @MARK@.tmp && tar -xzf - && touch @MARK@
""".replace("@MARK@", SYNC_MARK)

# $1 experiment folder, $2 trial id, $3 the command, $4 the variables to export (sh code), $5 1
# when stdin is the trial's parameter.json. Starts the trial's wrapper in a session (process group) of its own and
# prints its pid once it runs.
START = """
d="$1/trials/$2"
mkdir -p "$d" || exit 3
if [ "$5" = 1 ]; then
  cat > "$d/parameter.json.tmp" && mv "$d/parameter.json.tmp" "$d/parameter.json" || exit 3
fi
printf '#!/bin/sh\\n# run in %s\\n%s\\n' "$1/code" "$3" > "$d/command.sh"
eval "$4"
shell=$(command -v bash || echo /bin/sh)
cd "$d" || exit 3
setsid /bin/sh -c '@WRAPPER@' autolab-trial "$shell" "$3" "$1/code" "$d/exit_status" "$d/trial.pid" \
  </dev/null >>"$d/stdout" 2>>"$d/stderr" &
i=0
while [ ! -s "$d/trial.pid" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
echo "PID $(cat "$d/trial.pid" 2>/dev/null || echo $!)"
""".replace("@WRAPPER@", WRAPPER.replace("'", "'\\''"))

# $1 experiment folder, then per trial: id, pid (0 unknown) and the bytes of each MIRRORED file
# the manager has. Per trial: "T id alive exit pid" then, per file, "F name n left" and n new bytes
# (left: how many more there are, beyond this look's cap).
STATUS = (
    """
echo @BEGIN@
root="$1"; shift
# process groups with a live member: a zombie is not one (an init that does not reap, as in many
# containers, would keep an ended trial's group "alive" for kill -0); kill -0 only without ps
live=""
if groups=$(ps -e -o pgid= -o stat= 2>/dev/null); then
  live=" $(printf '%s\n' "$groups" | awk '$2 !~ /^Z/ {printf "%s ", $1}')"
fi
while [ $# -ge 5 ]; do
  id=$1; pid=$2; d="$root/trials/$1"; shift 2
  [ "$pid" = 0 ] && pid=$(cat "$d/trial.pid" 2>/dev/null || echo 0)
  alive=0
  if [ "$pid" = 0 ]; then :
  elif [ -n "$live" ]; then case "$live" in *" $pid "*) alive=1 ;; esac
  elif kill -s 0 -- "-$pid" 2>/dev/null; then alive=1; fi
  # read after the look at the group: a wrapper writes its status before its group is gone
  code=$(cat "$d/exit_status" 2>/dev/null || echo -)
  echo "T $id $alive ${code:--} $pid"
  for f in @FILES@; do
    have=$1; shift
    size=$(wc -c < "$d/$f" 2>/dev/null || echo 0)
    n=$((size - have)); [ $n -lt 0 ] && n=0
    left=0; [ $n -gt @CAP@ ] && left=$((n - @CAP@)) && n=@CAP@
    echo "F $f $n $left"
    [ $n -gt 0 ] && tail -c +$((have + 1)) "$d/$f" | head -c $n
  done
done
echo END
""".replace("@FILES@", " ".join(MIRRORED))
    .replace("@BEGIN@", STATUS_BEGIN.decode())
    .replace("@CAP@", str(LOOK_CAP))
)

# $1 experiment folder, $2 signal name, $3 1 to signal even a trial that recorded its exit status
# (its leftovers, seen alive a moment ago), then trial ids: signals each one's process group. A
# trial that recorded its exit status is otherwise skipped: its pid may be another program's now.
KILL = """
root="$1"; sig="$2"; force="$3"; shift 3
for id in "$@"; do
  d="$root/trials/$id"
  [ "$force" = 0 ] && [ -f "$d/exit_status" ] && continue
  pid=$(cat "$d/trial.pid" 2>/dev/null) || continue
  kill -s "$sig" -- "-$pid" 2>/dev/null
done
exit 0
"""


@dataclass
class Probe:
    directory: str
    synced: bool
    gpus: list[tuple[int, str]] = field(default_factory=list)  # (index, bus id)
    busy_buses: set[str] = field(default_factory=set)


def parse_probe(out: str) -> Probe | None:
    probe: Probe | None = None
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "DIR":
            probe = Probe(rest.strip(), False)
        elif probe is None:
            continue
        elif kind == "SYNCED":
            probe.synced = True
        elif kind == "GPU" and "," in rest:
            index, bus = (p.strip() for p in rest.split(",", 1))
            if index.isdigit():
                probe.gpus.append((int(index), bus))
        elif kind == "APP" and rest.strip():
            probe.busy_buses.add(rest.strip())
    return probe


@dataclass
class TrialState:
    alive: bool
    exit_code: int | None
    pid: int
    new_bytes: dict[str, bytes]
    complete: bool = True  # every byte of its files is read (False: more than LOOK_CAP was new)


_HEADER = re.compile(rb"T (\S+) ([01]) (-?\d+|-) (\d+)\n")
_FILE = re.compile(rb"F (\S+) (\d+) (\d+)\n")


def parse_status(out: bytes) -> dict[str, TrialState] | None:
    """The STATUS script's answer; None when it is cut short (then nothing of it is used)."""
    states: dict[str, TrialState] = {}
    begin = out.find(STATUS_BEGIN + b"\n")
    if begin < 0:
        return None
    pos = begin + len(STATUS_BEGIN) + 1
    while True:
        if out.startswith(b"END\n", pos):
            return states
        header = _HEADER.match(out, pos)
        if header is None:
            return None
        pos = header.end()
        code = None if header.group(3) == b"-" else int(header.group(3))
        state = TrialState(header.group(2) == b"1", code, int(header.group(4)), {})
        for _ in MIRRORED:
            line = _FILE.match(out, pos)
            if line is None:
                return None
            n = int(line.group(2))
            data = out[line.end() : line.end() + n]
            if len(data) != n:
                return None
            state.new_bytes[line.group(1).decode()] = data
            state.complete = state.complete and line.group(3) == b"0"
            pos = line.end() + n
        states[header.group(1).decode()] = state
