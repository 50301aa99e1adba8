#!/bin/bash
# A throwaway one-node Slurm cluster on this machine, for trying job arrays for real.
#
#   scripts/slurm-local.sh COMMAND [ARG...]   # cluster up, run COMMAND, cluster down
#   scripts/slurm-local.sh                    # cluster up until Ctrl-C
#
# Needs root (the daemons run as root). Installs Debian's slurm-wlm and munge when missing,
# writes a one-node configuration (this host with its CPU count and memory, one partition
# "local") into a new temporary folder, starts munged, slurmctld and slurmd there, and waits
# until sinfo reports the node idle. COMMAND runs with SLURM_CONF pointing at that cluster,
# so sbatch, squeue, scontrol and sinfo talk to it and to nothing else; its exit status is the
# script's. On exit, also on failure or Ctrl-C, jobs still queued are cancelled, the three
# daemons are stopped by their pids and the folder is removed (its logs are printed first
# when something failed).
#
# Nothing outside the temporary folder is configured: no /etc/slurm, no system munge key, no
# services. The ports (SLURM_LOCAL_CTLD_PORT, SLURM_LOCAL_SLURMD_PORT, default 16817 and
# 16818) stay clear of a real cluster's 6817/6818. There is no accounting database, so sacct
# has nothing to show; finished jobs stay visible to `scontrol show job` for an hour.
set -euo pipefail

CTLD_PORT="${SLURM_LOCAL_CTLD_PORT:-16817}"
SLURMD_PORT="${SLURM_LOCAL_SLURMD_PORT:-16818}"
READY_SECONDS="${SLURM_LOCAL_READY_SECONDS:-60}"

say() { echo "slurm-local: $*" >&2; }
fail() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (slurmctld and slurmd run as root); rerun with sudo"

install_missing() {
    local missing="" package
    for package in slurm-wlm munge; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing="$missing $package"
    done
    [ -z "$missing" ] && return
    say "installing:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
        >/dev/null
}
install_missing

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slurm-local.XXXXXX")"
chmod 700 "$WORK"
mkdir -m 700 "$WORK/munge" "$WORK/state" "$WORK/spool" "$WORK/log"
export SLURM_CONF="$WORK/slurm.conf"
MUNGE_SOCKET="$WORK/munge/munge.socket"
PIDS=()   # started daemons, in start order
NAMES=()
COMMAND_PID=""

stop_cluster() {
    local status=$? index pid
    trap - EXIT INT TERM
    if [ -n "$COMMAND_PID" ] && kill -TERM "$COMMAND_PID" 2>/dev/null; then
        wait "$COMMAND_PID" 2>/dev/null || true
    fi
    if [ ${#PIDS[@]} -ge 3 ]; then
        # Jobs first, so no slurmstepd outlives its slurmd.
        scancel --quiet --full --partition=local 2>/dev/null || true
        for _ in $(seq 1 30); do
            [ -z "$(squeue --noheader 2>/dev/null)" ] && break
            sleep 1
        done
    fi
    for ((index = ${#PIDS[@]} - 1; index >= 0; index--)); do
        pid="${PIDS[index]}"
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "${NAMES[index]} (pid $pid) ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        for log in "$WORK"/log/*.log; do
            [ -s "$log" ] || continue
            say "last lines of $(basename "$log"):"
            tail -n 15 "$log" >&2
        done
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a daemon that stays in the foreground, logging to log/NAME.log, and remembers its pid.
start() {
    local name="$1"
    shift
    "$@" >>"$WORK/log/$name.log" 2>&1 &
    PIDS+=("$!")
    NAMES+=("$name")
}

# Waits until CHECK succeeds: status 0; 1 after `seconds`, 2 as soon as the daemon started
# last has died.
wait_for() {
    local seconds="$1"
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        kill -0 "${PIDS[-1]}" 2>/dev/null || return 2
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# munge: a private key and socket, so the system's munge (if any) is neither used nor touched.
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
start munged munged --foreground --force --key-file="$WORK/munge/munge.key" \
    --socket="$MUNGE_SOCKET" --pid-file="$WORK/munge/munged.pid" \
    --seed-file="$WORK/munge/munge.seed"
munge_answers() { munge --socket="$MUNGE_SOCKET" --no-input | unmunge --socket="$MUNGE_SOCKET"; }
wait_for 20 munge_answers || fail "munged gave no credential on $MUNGE_SOCKET"

# The node as it is: the CPUs this process may use and the memory the kernel reports (MiB).
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEMORY_MB=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
cat >"$SLURM_CONF" <<EOF
# One-node cluster written by scripts/slurm-local.sh; removed when it exits.
ClusterName=equiscan-local
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
MailProg=/bin/true
# No cgroups: works inside containers; jobs are tracked by their process trees.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
ReturnToService=2
MinJobAge=3600
SlurmdParameters=config_overrides
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY_MB State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

start slurmctld slurmctld -D -i -f "$SLURM_CONF"
wait_for 30 scontrol ping || fail "slurmctld did not answer on port $CTLD_PORT"
start slurmd slurmd -D -N "$HOST" -f "$SLURM_CONF"
node_idle() { [ "$(sinfo --noheader --nodes="$HOST" --format=%t)" = "idle" ]; }
wait_for "$READY_SECONDS" node_idle \
    || fail "node $HOST did not become idle within ${READY_SECONDS}s; sinfo says:" \
        "$(sinfo --noheader --format='%N %t %E' 2>&1 || true)"
say "node $HOST idle: $CPUS CPUs, $MEMORY_MB MiB, partition local (SLURM_CONF=$SLURM_CONF)"

if [ $# -eq 0 ]; then
    say "export SLURM_CONF=$SLURM_CONF in another shell to use it; Ctrl-C stops the cluster"
    trap 'exit 0' INT
    wait "${PIDS[@]}"
    fail "a daemon stopped on its own"
fi
# In the background, so that SIGTERM to this script stops the cluster at once (and the
# command with it) rather than after the command; stdin stays the script's.
"$@" <&0 &
COMMAND_PID=$!
set +e
wait "$COMMAND_PID"
status=$?
set -e
COMMAND_PID=""
exit "$status"
