#!/usr/bin/env bash
# Benchmark of the timed simulation (not a test): replays the Mooncake conversation trace on a 16-instance,
# 128-GPU cluster (G1 and G2, then G1, G2 and G3.5), the default agentic scenario on one Rubin rack, and one
# hour of agentic load on a 1,152-GPU Rubin pod. Each scenario runs REPS times; prints the median and the
# minimum wall time, simulated requests per wall-second (of the median run), SimGrid activities per request
# and the peak memory.
#
# Usage: scripts/bench-sim.sh [BUILD_DIR] [--reps N] [--check] [--band PCT] [--only NAME]
#   BUILD_DIR   default build/, built with scripts/build.sh when kvtwin is missing
#   --reps N    runs per scenario (default 3)
#   --check     compare with the figures the previous run stored for this machine and exit 1 if a
#               scenario's median wall time grew by more than the noise band (the new figures are stored
#               only when the check passes, so a regression stays visible until it is fixed)
#   --band PCT  the noise band, percent of the stored median (default 25: repeated runs on the shared 2-core
#               virtual machine vary by up to 1.4x; see docs/performance.md)
#   --only NAME run only this scenario of configs/scenarios/
# The figures are stored in results/bench/bench-sim-MACHINE.tsv (MACHINE: host name, CPU model and core
# count hashed), never committed: they belong to the machine that measured them.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
reps=3
check=false
band=25
only=""
while [ $# -gt 0 ]; do
    case "$1" in
    --reps) reps=$2; shift 2 ;;
    --check) check=true; shift ;;
    --band) band=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench-sim: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
    esac
done
case "$reps" in '' | *[!0-9]* | 0) echo "bench-sim: --reps expects a positive integer, got \"$reps\"" >&2; exit 2 ;; esac
case "$band" in '' | *[!0-9.]*) echo "bench-sim: --band expects a percentage, got \"$band\"" >&2; exit 2 ;; esac
[ -x "$build/kvtwin" ] || ./scripts/build.sh "$build"

scenarios=(mooncake-h100-16 mooncake-h100-16-icms rubin-agentic rubin-pod-agentic)
if [ -n "$only" ]; then
    [ -f "configs/scenarios/$only.json" ] || { echo "bench-sim: no scenario configs/scenarios/$only.json" >&2; exit 2; }
    scenarios=("$only")
fi
machine=$( (hostname; grep -m1 'model name' /proc/cpuinfo 2>/dev/null; nproc) | sha1sum | cut -c1-12)
store=results/bench/bench-sim-$machine.tsv
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One run: prints "requests sim_s wall_s activities_per_request peak_MB" from the line kvtwin ends with.
run_once() {
    local s=$1 err line
    if ! err=$("$build/kvtwin" run "configs/scenarios/$s.json" --out "$out/$s" --force 2>&1 >/dev/null); then
        echo "bench-sim: $s failed: $err" >&2
        return 1
    fi
    line=$(echo "$err" | grep '^kvtwin: .* requests, ' || true)
    [ -n "$line" ] || { echo "bench-sim: $s printed no timing line" >&2; return 1; }
    # kvtwin: N requests, S s simulated in W s wall: R requests/s, A SimGrid activities/s (P per request), peak RSS M MB
    echo "$line" | sed -E 's/^kvtwin: ([0-9.]+) requests, ([0-9.]+) s simulated in ([0-9.]+) s wall: [0-9.]+ requests\/s, [0-9.]+ SimGrid activities\/s \(([0-9.]+) per request\), peak RSS ([0-9.]+) MB$/\1 \2 \3 \4 \5/'
}

results=$out/results.tsv
: >"$results"
printf '%-20s %9s %8s %9s %9s %12s %11s %8s\n' scenario requests sim_s wall_med wall_min requests/s act/request peak_MB
for s in "${scenarios[@]}"; do
    : >"$out/runs"
    for _ in $(seq "$reps"); do
        run_once "$s" >>"$out/runs"
    done
    # Median and minimum of the wall times; the other figures are those of the median run.
    sort -k3,3g "$out/runs" | awk -v s="$s" -v n="$reps" '
        { r[NR] = $0; w[NR] = $3 }
        END {
            m = int((n + 1) / 2); split(r[m], f, " ");
            printf "%s\t%d\t%.0f\t%.3f\t%.3f\t%.0f\t%.2f\t%.0f\n", s, f[1], f[2], f[3], w[1], f[1] / f[3], f[4], f[5]
        }' >>"$results"
    tail -1 "$results" | awk -F'\t' '{ printf "%-20s %9d %8d %9.3f %9.3f %12d %11.2f %8d\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
done

status=0
if $check; then
    if [ ! -f "$store" ]; then
        echo "bench-sim: no stored figures for this machine yet ($store): these become the reference"
    else
        echo "bench-sim: against $store (stored $(stat -c %y "$store" | cut -d. -f1)), noise band $band %:"
        while IFS=$'\t' read -r s _ _ wmed _ _ _ mb; do
            old=$(awk -F'\t' -v s="$s" '$1 == s { print $4 "\t" $8 }' "$store")
            if [ -z "$old" ]; then
                echo "  $s: not in the stored figures"
                continue
            fi
            read -r owall omb <<<"$old"
            verdict=$(awk -v n="$wmed" -v o="$owall" -v b="$band" 'BEGIN {
                d = 100 * (n - o) / o; printf "%+.1f %%", d; if (d > b) print " REGRESSION"; else print " ok" }')
            echo "  $s: median wall $owall -> $wmed s ($verdict), peak memory $omb -> $mb MB"
            case "$verdict" in *REGRESSION*) status=1 ;; esac
        done <"$results"
    fi
fi
if [ "$status" -eq 0 ]; then
    mkdir -p results/bench
    if [ -f "$store" ] && [ -n "$only" ]; then
        # A partial run replaces only its own rows.
        awk -F'\t' -v s="$only" '$1 != s' "$store" >"$out/keep"
        cat "$out/keep" "$results" >"$store.tmp.$$"
    else
        cp "$results" "$store.tmp.$$"
    fi
    mv "$store.tmp.$$" "$store"
else
    echo "bench-sim: a scenario ran slower than the stored figures allow; they were kept ($store)" >&2
fi
exit "$status"
