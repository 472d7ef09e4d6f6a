#!/usr/bin/env bash
# Stops what scripts/slurm-up.sh started: slurmd, slurmctld and (when it started one) munged, by the PIDs in
# the state folder ($KVTWIN_SLURM_DIR, default /tmp/kvtwin-slurm). Safe to run when nothing is up.
set -uo pipefail
state=${KVTWIN_SLURM_DIR:-/tmp/kvtwin-slurm}
for d in slurmd slurmctld munged; do
    f=$state/$d.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$f"
done
echo "slurm-down: stopped" >&2
