#!/usr/bin/env bash
# Starts a single-node Slurm on this host for the tests: munged, slurmctld and slurmd on localhost, without
# systemd, as root. Installs Debian's slurm-wlm and munge if missing (through scripts/setup.sh), writes a
# minimal slurm.conf for this host (its name, CPUs and memory from `slurmd -C`) into the state folder, starts
# the daemons and waits until `sinfo` shows the node idle. Prints `export SLURM_CONF=...` for the caller to
# eval; the clients (sbatch, squeue, sinfo) find the configuration through it, so /etc/slurm is not touched.
# scripts/slurm-down.sh stops what this started (the PIDs are kept in the state folder).
# State folder: $KVTWIN_SLURM_DIR, default /tmp/kvtwin-slurm.
set -euo pipefail
cd "$(dirname "$0")/.."
state=${KVTWIN_SLURM_DIR:-/tmp/kvtwin-slurm}
./scripts/setup.sh slurm-wlm munge >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm-up: run as root (the daemons need it)" >&2
    exit 2
fi
mkdir -p "$state/ctld" "$state/d" "$state/munge"
conf=$state/slurm.conf
host=$(hostname -s)
node=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]*/NodeName='"$host"'/')
# leave some memory to the rest of the machine
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
node=$(sed 's/RealMemory=[0-9]*/RealMemory='"$((mem * 9 / 10))"'/' <<<"$node")
cat >"$conf" <<CONF
# Written by scripts/slurm-up.sh: a single-node cluster for kvtwin's tests.
ClusterName=kvtwin
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
MinJobAge=30
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf

# munge: reuse a running munged, else start one as the munge user with its files in the state folder
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p /run/munge
    chown munge:munge /run/munge "$state/munge"
    chmod 0755 /run/munge
    [ -f /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key; }
    su -s /bin/sh munge -c "munged --pid-file=$state/munge/munged.pid --log-file=$state/munge/munged.log --seed-file=$state/munge/munged.seed"
    cp "$state/munge/munged.pid" "$state/munged.pid"
fi
for i in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done

for d in slurmctld slurmd; do
    if [ -f "$state/$d.pid" ] && kill -0 "$(cat "$state/$d.pid")" 2>/dev/null; then
        kill "$(cat "$state/$d.pid")"; sleep 0.5
    fi
done
slurmctld -f "$conf"
slurmd -f "$conf"
ok=
for i in $(seq 120); do
    st=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1 || true)
    case "$st" in
    idle) ok=1; break ;;
    down* | drain* | drained*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
if [ -z "$ok" ]; then
    echo "slurm-up: the node did not become idle (state: ${st:-none}); logs in $state" >&2
    tail -n 20 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
    exit 1
fi
echo "slurm-up: node $host idle ($(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node") CPUs)" >&2
echo "export SLURM_CONF=$conf"
