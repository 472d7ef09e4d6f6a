#!/usr/bin/env bash
# Benchmark of the trace readers (not a test): Mooncake JSON Lines parsed through the workload source
# (`kvtwin trace check`, open loop) on the real trace replicated 1x, 10x and 50x (copies shifted by one
# hour each), plain and gzip-compressed, reporting requests per second and peak memory against trace
# length; then the agentic session directory, open and closed loop. Best of 3 runs per input.
# Usage: scripts/bench-readers.sh [BUILD_DIR]   (default build/; needs ../shared next to the checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
kvtwin=$build/kvtwin
shared=${KVTWIN_SHARED_DIR:-../shared}
trace=$shared/traces/mooncake/conversation_trace.jsonl
[ -x "$kvtwin" ] || { echo "bench-readers: build kvtwin first (scripts/build.sh)" >&2; exit 2; }
[ -r "$trace" ] || { echo "bench-readers: missing $trace" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

replicate() { # copies of the trace, copy k shifted by k hours so that time keeps increasing
    awk -v n="$1" '{ line[NR] = $0 }
        END {
            for (k = 0; k < n; k++)
                for (i = 1; i <= NR; i++) {
                    l = line[i]
                    if (k > 0 && match(l, /"timestamp": *[0-9]+/)) {
                        m = substr(l, RSTART, RLENGTH); sub(/"timestamp": */, "", m)
                        l = substr(l, 1, RSTART - 1) "\"timestamp\": " sprintf("%d", m + k * 3600000) substr(l, RSTART + RLENGTH)
                    }
                    print l
                }
        }' "$trace"
}

best_of_3() { # "REQUESTS  RESULT" of the fastest of 3 runs of: kvtwin trace check ARGS
    local best="" best_rate=0 out rate reqs
    for _ in 1 2 3; do
        out=$("$kvtwin" trace check "$@")
        rate=$(echo "$out" | tail -1 | sed -n 's/.*wall: \([0-9]*\) requests\/s.*/\1/p')
        reqs=$(echo "$out" | head -1 | sed -n 's/.*: \([0-9]*\) requests,.*/\1/p')
        if [ "${rate:-0}" -ge "$best_rate" ]; then best_rate=$rate; best="$(printf '%10s' "$reqs")  $(echo "$out" | tail -1 | sed 's/^ *//')"; fi
    done
    echo "$best"
}

echo "kvtwin trace readers benchmark, $(date -u +%Y-%m-%d), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
printf '%-30s %8s %10s  %s\n' input size requests result
head -1 "$trace" >"$tmp/one.jsonl"
printf '%-30s %8s %s\n' "mooncake, first line only" "$(du -h "$tmp/one.jsonl" | cut -f1)" "$(best_of_3 "$tmp/one.jsonl")"
for n in 1 10 50; do
    f=$tmp/mooncake-x$n.jsonl
    replicate "$n" >"$f"
    gzip -k -6 "$f"
    for g in "$f" "$f.gz"; do
        printf '%-30s %8s %s\n' "mooncake x$n$( [ "$g" = "$f.gz" ] && echo ' (gzip)')" "$(du -h "$g" | cut -f1)" \
            "$(best_of_3 "$g")"
    done
    rm -f "$f" "$f.gz"
done
dir=$shared/traces/kv-cache-tester
printf '%-30s %8s %s\n' "kv-cache-tester, open loop" "$(du -sh "$dir" | cut -f1)" "$(best_of_3 "$dir")"
printf '%-30s %8s %s\n' "kv-cache-tester, closed loop" "$(du -sh "$dir" | cut -f1)" "$(best_of_3 --closed "$dir")"
