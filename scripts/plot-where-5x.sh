#!/usr/bin/env bash
# Heat maps of the ICMS/G4 ratio of output tokens/s and of tokens/J over the grid of
# configs/studies/where-5x.json (context length x G4 servers per rack, one map per local-NVMe setting):
# runs the study (kvtwin study --jobs 2, a few seconds), pairs each icms-* configuration with its g4-* twin
# and writes docs/where-5x.csv and docs/where-5x.png. Cells at 4x or more are marked "4-5x", cells within
# 5 % of 1 "=" (ICMS brings nothing there).
# Usage: scripts/plot-where-5x.sh [KVTWIN]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/kvtwin}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" study configs/studies/where-5x.json --jobs 2 --quiet --force --out "$out/study"
python3 - "$out/study/comparison.csv" docs/where-5x.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
head = rows[0]
get = {r[0]: r for r in rows[1:]}
tps, tpj = get["output tokens/s (TPS)"], get["tokens/J (IT)"]
ctx = {"ctx24k": 24576, "ctx64k": 65536, "ctx128k": 131072}
with open(sys.argv[2], "w") as f:
    f.write("g3,ctx_tokens,g4_servers,tps_ratio,tokens_per_j_ratio\n")
    for i, name in enumerate(head):
        if not name.startswith("icms-") or "/" in name:
            continue
        twin = "g4-" + name[5:]
        j = head.index(twin)
        _, c, g, g3 = name.split("-")
        r1 = float(tps[i]) / float(tps[j])
        r2 = float(tpj[i]) / float(tpj[j])
        f.write("%s,%d,%s,%.4f,%.4f\n" % (g3, ctx[c], g[3:], r1, r2))
PY
gnuplot <<'GP'
set terminal pngcairo size 1200,900 font ",11"
set output 'docs/where-5x.png'
set termoption noenhanced
set datafile separator ','
set multiplot layout 2,2 title 'ICMS / G4 ratio (2 Rubin nodes, 8 sessions/s): 4-5x marked, "=" where ICMS brings nothing'
set cbrange [0.5:5]
set palette defined (0.5 'blue', 1 'white', 4 'orange', 5 'red')
set xlabel 'max context (k tokens)'
set ylabel 'G4 servers per rack (x 40 GB/s)'
set xtics ('24k' 0, '64k' 1, '128k' 2)
set ytics ('1' 0, '4' 1)
set xrange [-0.5:2.5]
set yrange [-0.5:1.5]
xi(c) = c == 24576 ? 0 : (c == 65536 ? 1 : 2)
yi(g) = g == 1 ? 0 : 1
mark(r) = r >= 4 ? sprintf('%.2f 4-5x', r) : (abs(r - 1) <= 0.05 ? sprintf('%.2f =', r) : sprintf('%.2f', r))
do for [g3 in "g3on g3off"] {
  do for [col in "4 5"] {
    set title sprintf('%s, %s', col eq "4" ? 'tokens/s' : 'tokens/J', g3 eq "g3on" ? 'local NVMe on (fair)' : 'local NVMe off')
    plot sprintf('< grep ^%s, docs/where-5x.csv', g3) using (xi($2)):(yi($3)):(0.5):(0.5):(column(int(col))) \
         with boxxyerror fs solid 1 lc palette notitle, \
         '' using (xi($2)):(yi($3)):(mark(column(int(col)))) with labels notitle
  }
}
unset multiplot
GP
echo "wrote docs/where-5x.csv docs/where-5x.png"
