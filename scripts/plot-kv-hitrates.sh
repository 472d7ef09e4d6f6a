#!/usr/bin/env bash
# Hit rate against capacity for every eviction policy (Belady on top) on a trace, with kvtwin cache, plotted
# by gnuplot as PNG and SVG. Usage: scripts/plot-kv-hitrates.sh TRACE NAME "CAPACITIES" [KVTWIN]
#   TRACE       a trace kvtwin reads (file or folder)
#   NAME        output stem: docs/kv-hitrate-NAME.{csv,png,svg}
#   CAPACITIES  comma-separated token capacities of the single G1 pool
# Example (VALIDATION.md 1): scripts/plot-kv-hitrates.sh ../shared/traces/mooncake/conversation_trace.jsonl \
#            mooncake 2.5e5,5e5,1e6,2e6,3e6,5e6,1e7,2e7,3e7,5e7,1e8
# Example (VALIDATION.md 2, the 92 agentic conversations replayed together, 70 s):
#   scripts/plot-kv-hitrates.sh ../shared/traces/kv-cache-tester agentic 1e5,2e5,5e5,1e6,2e6,5e6,1e7,2e7,3e7
set -euo pipefail
cd "$(dirname "$0")/.."
trace=$1 name=$2 caps=$3 bin=${4:-build/kvtwin}
csv=docs/kv-hitrate-$name.csv
"$bin" cache "$trace" --policy all --capacity "$caps" --format csv > "$csv"
policies=$(cut -d, -f1 "$csv" | tail -n +2 | awk '!seen[$0]++' | tr '\n' ' ')
for term in png svg; do
    if [ $term = png ]; then setterm='set terminal pngcairo size 900,600 font ",11"'; else setterm='set terminal svg size 900,600 font "sans,11"'; fi
    plot=""
    for p in $policies; do
        lw=1.5; [ "$p" = belady ] && lw=3
        plot="$plot${plot:+, }'< grep \"^$p,\" $csv' using (\$4/1e6):11 with linespoints lw $lw title '$p'"
    done
    gnuplot <<GP
$setterm
set output 'docs/kv-hitrate-$name.$term'
set termoption noenhanced
set datafile separator ','
set logscale x
set grid
set key left top
set xlabel 'G1 capacity (million tokens)'
set ylabel 'prefix hit rate (token-weighted)'
set title 'kvtwin cache: $name, hit rate by eviction policy (Belady = offline optimum)'
plot $plot
GP
done
echo "wrote $csv docs/kv-hitrate-$name.png docs/kv-hitrate-$name.svg"
