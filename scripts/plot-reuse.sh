#!/usr/bin/env bash
# Plots of `kvtwin trace stats --reuse --reuse-out DIR` with gnuplot: DIR/reuse.png holds four panels
# (reuse distance and reuse time, cumulative; block popularity by rank with the Zipf fit; working set and
# footprint over time). Usage: scripts/plot-reuse.sh DIR [TITLE]
# Example: kvtwin trace stats --reuse --reuse-out docs/reuse-mooncake ../shared/traces/mooncake/conversation_trace.jsonl
#          scripts/plot-reuse.sh docs/reuse-mooncake Mooncake
set -euo pipefail
dir=$1 title=${2:-$1}
alpha=$(sed -n 's/.*alpha \([^ ]*\) r2.*/\1/p' "$dir/popularity.dat")
scale=$(sed -n 's/.*scale \([^ ]*\)$/\1/p' "$dir/popularity.dat")
gnuplot <<GP
set terminal pngcairo size 1200,850 font ",10"
set output '$dir/reuse.png'
set termoption noenhanced
set multiplot layout 2,2 title 'kvtwin trace stats --reuse: $title (every block reference on its own)'
set grid
set logscale x
set yrange [0:1]
set xlabel 'reuse distance (distinct blocks since the last reference, bin upper edge)'
set ylabel 'share of reuses below'
set title 'reuse distance: an LRU cache of C blocks hits the reuses below C'
plot '$dir/reuse-distance.dat' using 2:5 with linespoints lw 2 notitle
set xlabel 'reuse time (s since the last reference, bin upper edge)'
set title 'reuse time'
plot '$dir/reuse-time.dat' using 2:5 with linespoints lw 2 notitle
set logscale xy
set autoscale y
set xlabel 'block rank'
set ylabel 'references'
set title sprintf('popularity; Zipf fit over blocks used twice or more: alpha = %s', '$alpha')
plot '$dir/popularity.dat' using 1:2 with lines lw 2 title 'blocks', $scale*x**(-$alpha) with lines dt 2 lw 2 title 'Zipf fit'
unset logscale
set xlabel 'trace time (s)'
set ylabel 'blocks'
set title 'working set per window and footprint (distinct blocks so far)'
plot '$dir/working-set.dat' using 1:2 with steps lw 2 title 'working set', '' using 1:3 with lines lw 2 title 'footprint'
unset multiplot
GP
echo "wrote $dir/reuse.png"
