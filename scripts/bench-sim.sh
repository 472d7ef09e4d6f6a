#!/usr/bin/env bash
# Benchmark of the timed simulation (not a test): replays the Mooncake conversation trace on a 16-instance,
# 128-GPU cluster, the default agentic scenario on one Rubin rack, and one hour of agentic load on a 1,152-GPU
# Rubin pod. Prints simulated requests per wall-second, SimGrid activities per second and peak memory.
# Usage: scripts/bench-sim.sh [BUILD_DIR]   (default build/, built with scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/kvtwin" ] || ./scripts/build.sh "$build"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-22s %10s %10s %10s %14s %16s %10s\n' scenario requests sim_s wall_s requests/s activities/s peak_MB
for s in mooncake-h100-16 rubin-agentic rubin-pod-agentic; do
    if ! err=$("$build/kvtwin" run "configs/scenarios/$s.json" --out "$out/$s" 2>&1 >/dev/null); then
        echo "bench-sim: $s failed: $err" >&2
        exit 1
    fi
    line=$(echo "$err" | grep '^kvtwin: .* requests, ')
    # kvtwin: N requests, S s simulated in W s wall: R requests/s, A SimGrid activities/s, peak RSS M MB
    read -r n sim wall rps aps mb < <(echo "$line" |
        sed -E 's/^kvtwin: ([0-9.]+) requests, ([0-9.]+) s simulated in ([0-9.]+) s wall: ([0-9.]+) requests\/s, ([0-9.]+) SimGrid activities\/s, peak RSS ([0-9.]+) MB$/\1 \2 \3 \4 \5 \6/')
    printf '%-22s %10s %10s %10s %14s %16s %10s\n' "$s" "$n" "$sim" "$wall" "$rps" "$aps" "$mb"
done
