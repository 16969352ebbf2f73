"""The shell scripts the remote service runs on a machine (POSIX sh), and readers of their output.

A machine holds, under its root (`$AUTOLAB_REMOTE_DIR`, else `~/autolab-experiments`), one folder
per experiment: `code/` (the code directory, copied again only when it changed), `sdk/` (autolab's trial SDK and `nni`
module, so the machine needs no autolab installed) and `trials/<id>/`, the same trial directory
the local service uses (parameter.json in; metrics.jsonl, stdout, stderr, trial.pid, exit_status
out). The manager copies new bytes of those files back into the local trial directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import protocol
from .local import WRAPPER

SYNC_MARK = ".autolab-synced"  # in the experiment folder once code/ and sdk/ are complete: their digest
MIRRORED = (protocol.METRICS_FILE, protocol.STDOUT_FILE, protocol.STDERR_FILE)
# what a login shell prints (a chatty ~/.bashrc) comes before this line and is skipped
STATUS_BEGIN = b"AUTOLAB-STATUS-BEGIN"
LOOK_CAP = 4 << 20  # bytes of one file per look: a trial printing gigabytes is read over several looks

SETUP_FAILED = 4  # PROBE's exit status when the machine cannot be used until someone fixes it
# $1 experiment id, $2 pythonPath ('' when none). Prints the experiment folder, the digest of the
# code copied there (SYNCED), and the GPUs. What retrying cannot fix (no home directory, a path
# that is not a directory, a read-only or forbidden folder, pythonPath not usable) is one
# "FATAL why" line and exit status SETUP_FAILED; anything else fails with exit status 3.
PROBE = """
fatal() { echo "FATAL $*"; exit @SETUP@; }
permanent() {  # $1 what failed, $2 its error: fatal when retrying will not help
  case "$2" in
    *"ermission denied"*|*"ead-only file system"*|*"ot a directory"*|*"ile exists"*) fatal "$1: ${2##*: }" ;;
  esac
  echo "$1: $2" >&2; exit 3
}
if [ -n "${AUTOLAB_REMOTE_DIR:-}" ]; then base=$AUTOLAB_REMOTE_DIR
elif [ -n "${HOME:-}" ] && [ -d "$HOME" ]; then base=$HOME/autolab-experiments
else fatal "no home directory (HOME=${HOME:-unset} does not exist): create it, or set AUTOLAB_REMOTE_DIR"
fi
for d in "$base" "$base/$1" "$base/$1/trials"; do
  if [ -e "$d" ] && [ ! -d "$d" ]; then fatal "$d is not a directory"; fi
done
err=$(mkdir -p "$base/$1/trials" 2>&1) || permanent "cannot create $base/$1/trials" "$err"
cd "$base/$1" || exit 3
err=$( (: > .autolab-write-test) 2>&1) || permanent "cannot write in $(pwd)" "$err"
rm -f .autolab-write-test
if [ -n "$2" ]; then
  [ -e "$2" ] || fatal "pythonPath $2 does not exist"
  if [ -f "$2" ]; then  # the python itself, written where its folder was meant: that folder is used
    [ -x "$2" ] || fatal "pythonPath $2 is a file, not an executable python nor a folder holding one"
  else
    [ -d "$2" ] || fatal "pythonPath $2 is not a directory (give the folder holding python, put first on PATH)"
    [ -x "$2/python3" ] || [ -x "$2/python" ] || fatal "pythonPath $2 holds no executable python3 or python"
  fi
fi
echo "DIR $(pwd)"
[ -f @MARK@ ] && echo "SYNCED $(cat @MARK@)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=index,pci.bus_id --format=csv,noheader 2>/dev/null | sed 's/^/GPU /'
  nvidia-smi --query-compute-apps=gpu_bus_id --format=csv,noheader 2>/dev/null | sed 's/^/APP /'
fi
exit 0
""".replace("@MARK@", SYNC_MARK).replace("@SETUP@", str(SETUP_FAILED))

# $1 experiment folder, $2 the copy's digest; stdin: a gzipped tar of code/ and sdk/. Unpacked aside,
# then swapped in; the code it replaces (a resumed experiment's code changed) is kept as code.old/,
# where trials still running from it keep their working directory (one generation is kept).
SYNC = """
cd "$1" || exit 3
rm -rf .incoming @MARK@ && mkdir .incoming && tar -xzf - -C .incoming || exit 3
if [ -d code ]; then rm -rf code.old && mv code code.old || exit 3; fi
rm -rf sdk && mv .incoming/code code && mv .incoming/sdk sdk && rmdir .incoming || exit 3
printf '%s\\n' "$2" > @MARK@
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
boot=$(awk '/^btime/ {print $2}' /proc/stat 2>/dev/null)
for id in "$@"; do
  d="$root/trials/$id"
  [ "$force" = 0 ] && [ -f "$d/exit_status" ] && continue
  pid=$(cat "$d/trial.pid" 2>/dev/null) || continue
  # started before the machine last booted: that process is gone, its pid may be another's now
  since=$(stat -c %Y "$d/trial.pid" 2>/dev/null || echo "")
  [ -n "$boot" ] && [ -n "$since" ] && [ "$since" -lt "$boot" ] && continue
  kill -s "$sig" -- "-$pid" 2>/dev/null
done
exit 0
"""


@dataclass
class Probe:
    directory: str
    synced: str  # the digest of the code copied there ('' when none, or copied by an older autolab)
    gpus: list[tuple[int, str]] = field(default_factory=list)  # (index, bus id)
    busy_buses: set[str] = field(default_factory=set)


def setup_error(out: str) -> str:
    """What PROBE's FATAL line says ('' when it has none)."""
    for line in out.splitlines():
        if line.startswith("FATAL "):
            return line[6:].strip()
    return ""


def parse_probe(out: str) -> Probe | None:
    probe: Probe | None = None
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "DIR":
            probe = Probe(rest.strip(), "")
        elif probe is None:
            continue
        elif kind == "SYNCED":
            probe.synced = rest.strip()
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
