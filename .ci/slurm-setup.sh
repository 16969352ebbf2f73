#!/usr/bin/env bash
# Start a real single-node Slurm on this machine for the cluster tests (tests/e2e/slurm/).
#
# Installs Debian's slurmctld, slurmd, slurm-client and munge when missing, writes a minimal
# slurm.conf (one node with this machine's CPUs and memory, no accounting, no cgroups), starts
# munged, slurmctld and slurmd, and waits until the node is idle. Safe to run again: when Slurm
# already answers it does nothing. Exits non-zero with one clear line when it cannot.
set -uo pipefail

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARK="# written by autolab .ci/slurm-setup.sh"
STATE=/var/lib/slurm-autolab
LOGS=/var/log/slurm-autolab
WAIT_S=${SLURM_SETUP_WAIT:-60}

fail() { echo "slurm-setup: $*" >&2; exit 1; }
log() { echo "slurm-setup: $*"; }

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n1; }

# Already up (a previous run, or a real cluster): nothing to do.
if command -v sinfo >/dev/null 2>&1 && timeout 10 sinfo -h >/dev/null 2>&1; then
  case "$(node_state)" in
    idle*|mix*|alloc*|completing*) log "Slurm already answers ($(node_state))"; exit 0 ;;
  esac
fi

[ "$(id -u)" = 0 ] || fail "must run as root to install and start Slurm (running as $(id -un))"

missing=()
for pair in slurmctld:slurmctld slurmd:slurmd sinfo:slurm-client munged:munge; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || fail "Slurm is not installed and apt-get is not available (need: ${missing[*]})"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/slurm-setup-apt.log 2>&1 \
    || fail "apt-get install ${missing[*]} failed; see /tmp/slurm-setup-apt.log"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# -- munge: authentication between the Slurm daemons and clients --------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile /etc/munge/munge.key >/dev/null 2>&1
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null; chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null
chmod 755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if id munge >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
    runuser -u munge -- munged >/tmp/slurm-setup-munged.log 2>&1 || munged --force >>/tmp/slurm-setup-munged.log 2>&1
  else
    munged --force >/tmp/slurm-setup-munged.log 2>&1
  fi
  for _ in $(seq 1 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || fail "munged did not start; see /tmp/slurm-setup-munged.log"
fi

# -- slurm.conf: one node, this machine -----------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem=$(free -m | awk '/^Mem:/ {print $2}')
mem=$(( mem > 1024 ? mem - 256 : mem ))  # slurmd drains a node that reports less than RealMemory
if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  fail "$CONF exists and was not written by this script; not touching it (but sinfo does not answer)"
fi
mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$LOGS"
cat >"$CONF" <<EOF
$MARK
ClusterName=autolab
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld-autolab.pid
SlurmdPidFile=/run/slurmd-autolab.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

# -- daemons --------------------------------------------------------------------------------------
if ! pgrep -x slurmctld >/dev/null 2>&1; then
  slurmctld -c >/tmp/slurm-setup-slurmctld.out 2>&1 || fail "slurmctld did not start; see $LOGS/slurmctld.log"
fi
if ! pgrep -x slurmd >/dev/null 2>&1; then
  slurmd >/tmp/slurm-setup-slurmd.out 2>&1 || fail "slurmd did not start; see $LOGS/slurmd.log"
fi

state=""
for _ in $(seq 1 $((WAIT_S * 2))); do
  state=$(node_state)
  case "$state" in
    idle*) log "Slurm is up: node $host idle ($cpus CPUs, ${mem} MB)"; exit 0 ;;
    down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 ;;
  esac
  sleep 0.5
done
reason=$(sinfo -h -N -o '%E' 2>/dev/null | head -n1)
fail "node $host is not idle after ${WAIT_S}s (state '${state:-no answer}'${reason:+, reason: $reason}); see $LOGS/"
