#!/usr/bin/env bash
# Local caches against one shared pool (Mooncake FAST'25 Fig. 10's comparison) with kvtwin cache: N instances,
# each with its own G1 of C tokens, requests routed by each router, against one pool of N x C (the "pooled"
# figure of the same runs). Writes docs/pod-sharing-NAME.csv and .png.
# Usage: scripts/plot-pod-sharing.sh TRACE NAME N "CAPACITIES" [KVTWIN]
# Example: scripts/plot-pod-sharing.sh ../shared/traces/mooncake/conversation_trace.jsonl mooncake 10 \
#            2.5e5,5e5,1e6,2e6,3e6,5e6,1e7
set -euo pipefail
cd "$(dirname "$0")/.."
trace=$1 name=$2 n=$3 caps=$4 bin=${5:-build/kvtwin}
csv=docs/pod-sharing-$name.csv
rm -f "$csv"
for r in rr random tokens prefix; do
    "$bin" cache "$trace" --policy lru --capacity "$caps" --instances "$n" --route "$r" --format csv > "$csv.part"
    if [ ! -s "$csv" ]; then head -1 "$csv.part" > "$csv"; fi
    tail -n +2 "$csv.part" >> "$csv"
done
rm -f "$csv.part"
# Columns: 4 capacity_tokens (per instance), 11 hit_rate_tokens, then G1 pair, instances, route, imbalance, pooled.
gnuplot <<GP
set terminal pngcairo size 900,600 font ",11"
set output 'docs/pod-sharing-$name.png'
set termoption noenhanced
set datafile separator ','
set logscale x
set grid
set key left top
set xlabel 'cache per instance (million tokens); the global pool holds $n x that'
set ylabel 'prefix hit rate (token-weighted)'
set title 'kvtwin cache --instances $n, LRU: $n local caches by router against one global pool'
plot '< grep ",rr," $csv' using (\$4/1e6):19 with linespoints lw 3 title 'global pool ($n x capacity)', \
     '< grep ",rr," $csv' using (\$4/1e6):11 with linespoints lw 2 title 'local, round-robin', \
     '< grep ",random," $csv' using (\$4/1e6):11 with linespoints lw 2 title 'local, random', \
     '< grep ",tokens," $csv' using (\$4/1e6):11 with linespoints lw 2 title 'local, least-loaded (tokens)', \
     '< grep ",prefix," $csv' using (\$4/1e6):11 with linespoints lw 2 title 'local, prefix-aware (load band)'
GP
echo "wrote $csv docs/pod-sharing-$name.png"
