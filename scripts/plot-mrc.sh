#!/usr/bin/env bash
# Miss-ratio curves with kvtwin cache --mrc: LRU's exact one-pass curve at 120 capacities, the other policies
# (Belady on top) at 24, replayed in full or, with a sampling rate, on a spatial sample (SHARDS; blocks
# counting only). Writes docs/mrc-NAME.csv and docs/mrc-NAME.png.
# Usage: scripts/plot-mrc.sh TRACE NAME [prefix|blocks] [RATE] [KVTWIN]
# Example: scripts/plot-mrc.sh ../shared/traces/mooncake/conversation_trace.jsonl mooncake prefix
set -euo pipefail
cd "$(dirname "$0")/.."
trace=$1 name=$2 count=${3:-prefix} rate=${4:-} bin=${5:-build/kvtwin}
csv=docs/mrc-$name.csv
distinct=$("$bin" cache "$trace" --policy lru --capacity inf --format csv | tail -1 | cut -d, -f5)
grid() { python3 -c "import sys; n,d=int(sys.argv[1]),int(sys.argv[2]); print(','.join(sorted({str(max(1,round(d**(k/(n-1)))))+'b' for k in range(n)}, key=lambda s:int(s[:-1]))))" "$1" "$distinct"; }
extra=()
[ -n "$rate" ] && extra=(--sample "$rate")
"$bin" cache "$trace" --policy lru --count "$count" --mrc --capacity "$(grid 120)" > "$csv"
"$bin" cache "$trace" --policy fifo,lfu,s3fifo,sieve,arc,belady --count "$count" --mrc "${extra[@]}" \
    --capacity "$(grid 24)" | tail -n +2 >> "$csv"
col=$(head -1 "$csv" | tr ',' '\n' | grep -n '^mrc$' | cut -d: -f1)
gnuplot <<GP
set terminal pngcairo size 900,600 font ",11"
set output 'docs/mrc-$name.png'
set termoption noenhanced
set datafile separator ','
set logscale x
set grid
set key left top
set xlabel 'cache capacity (blocks)'
set ylabel 'hit rate (token-weighted), $count counting'
set title 'kvtwin cache --mrc: $name (LRU exact in one pass; others ${rate:+sampled at $rate}${rate:-replayed})'
plot '< grep "^lru," $csv' using 5:11 with lines lw 3 title 'lru (exact, one pass)', \
     for [p in "fifo lfu s3fifo sieve arc"] '< grep "^'.p.'," $csv' using 5:11 with linespoints lw 1.5 title p, \
     '< grep "^belady," $csv' using 5:11 with linespoints lw 3 dt 2 title 'belady (offline optimum)'
GP
echo "wrote $csv docs/mrc-$name.png"
