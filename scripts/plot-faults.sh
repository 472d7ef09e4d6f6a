#!/usr/bin/env bash
# The cost of a fault over time: configs/scenarios/storage-path-io.json with slow enclosures (512-byte
# commands, four enclosures, every cached block loaded: transfers are in flight) run without a fault and with
# one fault from 60.3 s for 30 s (a node, a leaf switch, an enclosure); plots output tokens/s and the bytes of
# failed transfers per interval from each run's time series (kvtwin export). Writes docs/faults.csv and
# docs/faults.png.
# Usage: scripts/plot-faults.sh [KVTWIN]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/kvtwin}
csv=docs/faults.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sets=(--set hardware.icms.io_bytes=512 --set hardware.icms.enclosures=4 --set kv.fetch=always
    --set workload.synth.session_rate_per_s=2)
echo "target,t_s,output_tokens_per_s,failed_bytes" > "$csv"
for target in none node:1 leaf:0 icms:1; do
    name=${target//[:\/]/_}
    f=()
    [ "$target" != none ] && f=(--set "faults=[{\"at_s\": 60.3, \"target\": \"$target\", \"duration_s\": 30}]")
    "$bin" run configs/scenarios/storage-path-io.json --quiet --force --out "$tmp/$name" "${sets[@]}" "${f[@]}"
    "$bin" export "$tmp/$name" --out "$tmp/$name/csv" > /dev/null
    python3 - "$tmp/$name/csv/timeseries.csv" "$target" >> "$csv" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    print(",".join([sys.argv[2], row["t_s"], row["output_tokens_per_s"], row["failed_bytes"]]))
PY
done
gnuplot <<GP
set terminal pngcairo size 900,640 font ",11"
set output 'docs/faults.png'
set termoption noenhanced
set datafile separator ','
set multiplot layout 2,1
set grid
set xrange [0:200]
set object 1 rect from 60.3, graph 0 to 90.3, graph 1 fc rgb "#eeeeee" behind
set ylabel "output tokens/s"
set key top right
T = "none node:1 leaf:0 icms:1"
plot for [i=1:4] '$csv' using (strcol(1) eq word(T, i) ? \$2 : 1/0):3 with lines lw 2 lc i title word(T, i)
set ylabel "failed transfer GB per 5 s"
set xlabel "simulated time (s); the fault from 60.3 s to 90.3 s (shaded)"
# A row's counters are those of the interval ending at t_s.
plot for [i=2:4] '$csv' using (strcol(1) eq word(T, i) ? \$2 - 5 : 1/0):(\$4/1e9) with steps lw 2 lc i title word(T, i)
unset multiplot
GP
echo "wrote $csv and docs/faults.png"
