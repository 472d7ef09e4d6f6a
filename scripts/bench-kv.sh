#!/usr/bin/env bash
# Benchmarks of the KV manager and the cache-only replay (not tests; figures go to docs/performance.md):
#  1. LRU replay rate on the Mooncake trace over 36 capacities (block look-ups per second of replay, the
#     trace read once; each look-up is followed by the admission, commit and release of the request);
#  2. metadata bytes per cached block per policy, at a capacity the trace fills (1e7 tokens) and at one it
#     never fills (the slab still growing);
#  3. Belady's oracle pass on the trace repeated 1, 2, 4 and 8 times (ids kept apart per copy): time per
#     reference should stay flat if the preprocessing is linear.
# Usage: scripts/bench-kv.sh [KVTWIN] [TRACE]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/kvtwin}
trace=${2:-../shared/traces/mooncake/conversation_trace.jsonl}
echo "# machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)"

caps=$(awk 'BEGIN{c=1e5; for(k=0;k<36;k++){printf "%s%d", (k?",":""), c; c*=1.2}}')
start=$(date +%s.%N)
"$bin" cache "$trace" --policy lru --capacity "$caps" > /tmp/kvtwin-bench-lru.$$.csv
end=$(date +%s.%N)
awk -F, -v wall="$(echo "$end - $start" | bc)" 'NR>1 { refs += $7; t += $NF; if (min == "" || $7/$NF < min) min = $7/$NF }
    END { printf "1. LRU replay, 36 capacities: %d look-ups in %.3f s of replay = %.1f M look-ups/s (slowest point %.1f M/s); command wall %.2f s\n", refs, t, refs/t/1e6, min/1e6, wall }' /tmp/kvtwin-bench-lru.$$.csv
rm -f /tmp/kvtwin-bench-lru.$$.csv

echo "2. metadata bytes per cached block (G1, kvtwin cache --format json):"
for cap in 1e7 1e9; do
    "$bin" cache "$trace" --policy all --capacity $cap --format json |
        python3 -c 'import json,sys
for r in json.load(sys.stdin):
    g=r["tiers_hit"]["G1"]; print("   %-12s capacity %8d blocks: %6.1f B/block" % (r["policy"], g["capacity_blocks"], g["metadata_bytes_per_block"]))'
done

echo "3. Belady oracle pass (next use of every reference), best of 3 runs (the machine is shared):"
args=()
for k in 1 2 4 8; do
    while [ ${#args[@]} -lt $k ]; do args+=("$trace"); done
    for rep in 1 2 3; do
        "$bin" cache "${args[@]}" --policy belady --capacity 1e6 --format json
    done | python3 -c 'import json,sys
dec=json.JSONDecoder(); s=sys.stdin.read(); runs=[]; i=0
while i < len(s.strip()):
    o,i=dec.raw_decode(s,i); runs.append(o[0])
    while i < len(s) and s[i].isspace(): i+=1
r=min(runs,key=lambda x:x["oracle_s"])
print("   %dx trace: %9d references, oracle %.4f s, %.1f ns/reference" % ('"$k"', r["block_refs"], r["oracle_s"], 1e9*r["oracle_s"]/r["block_refs"]))'
done
