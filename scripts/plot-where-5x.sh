#!/usr/bin/env bash
# "Where 5x appears": runs the five where-5x studies (kvtwin study --jobs 2; about two minutes of runs on two
# cores, each run shortened: 10 simulated minutes, 2,048-token blocks), pairs each icms-* configuration with its
# g4-* twins, and writes
#   docs/where-5x.csv        one row per heat-map cell: the ICMS/G4 ratio of output tokens/s and of tokens/J
#   docs/where-5x.png        the heat maps (context x the baseline's G4 sizing, G3 off and on; context x KV
#                            bytes per token; think time x turns per session; NVMe on with sessions routed
#                            least-loaded)
#   docs/where-5x-claims.csv the storage vendors' TTFT claims as scenarios: TTFT recomputed / TTFT loaded
# Marks, decided on the value as printed (two decimals, so that equal labels carry equal marks):
#   "4-5x" a ratio of 4.00 or more (the region of NVIDIA's claim); "=" 0.95 to 1.04 (ICMS brings nothing);
#   "<" below 0.95 (ICMS does worse than the baseline).
# Usage: scripts/plot-where-5x.sh [KVTWIN] [--collect DIR | --keep DIR]
#   --collect DIR: DIR holds the study folders of an earlier run (DIR/where-5x, ...); nothing is run
#   --keep DIR: run the studies into DIR and keep them (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/kvtwin
[ $# -gt 0 ] && [ "$1" != --collect ] && [ "$1" != --keep ] && { bin=$1; shift; }
if [ "${1:-}" = --collect ]; then
    out=$2
else
    if [ "${1:-}" = --keep ]; then
        out=$2
        mkdir -p "$out"
    else
        out=$(mktemp -d)
        trap 'rm -rf "$out"' EXIT
    fi
    for s in where-5x where-5x-kv where-5x-load where-5x-route where-5x-claims; do
        "$bin" study configs/studies/$s.json --jobs 2 --quiet --force --out "$out/$s" 2>&1 |
            grep -v "window\|plots.gp" || true
        [ -f "$out/$s/comparison.csv" ] || { echo "plot-where-5x.sh: study $s produced no comparison" >&2; exit 1; }
    done
fi
python3 - "$out" <<'PY'
import csv, sys
out = sys.argv[1]

def table(study):
    rows = list(csv.reader(open("%s/%s/comparison.csv" % (out, study))))
    head = rows[0]
    return {r[0]: dict(zip(head[1:], r[1:])) for r in rows[1:]}

def shown(r):
    return float("%.2f" % r)

def mark(r):
    r = shown(r)
    return "4-5x" if r >= 4 else ("=" if 0.95 <= r < 1.05 else ("<" if r < 0.95 else ""))

G4_ROWS = [("g4x1", "1: 0.56 (equal cost)"), ("g4x2", "2: 1.1 (equal capacity)"), ("g4x4", "4: 2.2"),
           ("g4x10", "10: 5.6")]
# map: (study, fixed part of the name, title, baseline variants, x axis (token, label), y axis)
maps = [
    ("where-5x", "g3off", "context x G4 servers per rack: GB/s per GPU, NVMe off", ["g4x1", "g4x2", "g4x4", "g4x10"],
     [("ctx32k", "32K"), ("ctx128k", "128K"), ("ctx512k", "512K"), ("ctx1m", "1M")],
     G4_ROWS),
    ("where-5x", "g3on", "context x G4 servers: GB/s per GPU, NVMe on (fair)", ["g4x1", "g4x2", "g4x4", "g4x10"],
     [("ctx32k", "32K"), ("ctx128k", "128K"), ("ctx512k", "512K"), ("ctx1m", "1M")],
     G4_ROWS),
    ("where-5x-kv", "", "context x KV per token, G4 equal cost, NVMe off", ["g4x1"],
     [("ctx32k", "32K"), ("ctx128k", "128K"), ("ctx512k", "512K"), ("ctx1m", "1M")],
     [("kv48k", "48 KiB (4 FP8)"), ("kv96k", "96 KiB (8 FP8)"), ("kv192k", "192 KiB (8 BF16)"),
      ("kv480k", "480 KiB (20 BF16)")]),
    ("where-5x-load", "", "think time x turns, 1M context, G4 equal cost, NVMe off", ["g4x1"],
     [("think1", "1 s"), ("think10", "10 s"), ("think60", "60 s")],
     [("turns2", "2 turns"), ("turns4", "4 turns"), ("turns16", "16 turns"), ("turns64", "64 turns")]),
    ("where-5x-route", "", "NVMe on, sessions routed least-loaded, write-through, G4 equal cost", ["g4x1"],
     [("ctx128k", "128K"), ("ctx512k", "512K"), ("ctx1m", "1M")], [("ll", "least-loaded")]),
]
cells = []
with open("docs/where-5x.csv", "w") as f:
    f.write("study,fixed,x,y,baseline,icms_tps,baseline_tps,tps_ratio,tokens_per_j_ratio\n")
    for study, fixed, _, bases, xs, ys in maps:
        t = table(study)
        tps, tpj = t["output tokens/s (TPS)"], t["tokens/J (IT)"]
        both = study in ("where-5x-kv", "where-5x-load")
        for base in sorted(set(bases) | {"g4x1", "g4x2"} if both else set(bases)):
            for xi, (x, _) in enumerate(xs):
                for yi, (y, _) in enumerate(ys):
                    if study == "where-5x":
                        icms, other = "icms-%s-%s" % (x, fixed), "%s-%s-%s" % (y, x, fixed)
                        if y != base:
                            continue
                    elif study == "where-5x-kv":
                        icms, other = "icms-%s-%s" % (y, x), "%s-%s-%s" % (base, y, x)
                    elif study == "where-5x-route":
                        icms, other = "icms-%s" % x, "%s-%s" % (base, x)
                    else:
                        icms, other = "icms-%s-%s" % (x, y), "%s-%s-%s" % (base, x, y)
                    r1 = float(tps[icms]) / float(tps[other])
                    r2 = float(tpj[icms]) / float(tpj[other])
                    f.write("%s,%s,%s,%s,%s,%.1f,%.1f,%.4f,%.4f\n" % (study, fixed, x, y, base, float(tps[icms]),
                                                                 float(tps[other]), r1, r2))
                    if study == "where-5x" or base == "g4x1":
                        cells.append((study, fixed, xi, yi, r1, r2))

gp = ['set terminal pngcairo size 1300,2200 font ",10"', "set output 'docs/where-5x.png'",
      "set termoption noenhanced", "set cbrange [0.5:5]",
      "set palette defined (0.5 'blue', 1 'white', 2 'yellow', 4 'orange', 5 'red')",
      "set multiplot layout 5,2 title 'ICMS / G4 ratio on one Vera Rubin NVL72 rack (Qwen2.5-14B-1M, 288 sessions): "
      "4-5x marked, = where ICMS brings nothing (0.95-1.04), < where it does worse'",
      "set lmargin 24"]
for k, (study, fixed, title, _, xs, ys) in enumerate(maps):
    for col, what in ((4, "tokens/s"), (5, "tokens/J")):
        data = "\n".join("%d %d %.4f \"%.2f %s\"" % (c[2], c[3], c[col], shown(c[col]), mark(c[col]))
                         for c in cells if c[0] == study and c[1] == fixed)
        gp += ["set title '%s: %s'" % (what, title),
               "set xtics (%s)" % ", ".join("'%s' %d" % (l, i) for i, (_, l) in enumerate(xs)),
               "set ytics (%s)" % ", ".join("'%s' %d" % (l, i) for i, (_, l) in enumerate(ys)),
               "set xrange [-0.5:%g]" % (len(xs) - 0.5), "set yrange [-0.5:%g]" % (len(ys) - 0.5),
               "$d%d%d << EOD" % (k, col), data, "EOD",
               "plot $d%d%d using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1 lc palette notitle, "
               "'' using 1:2:4 with labels notitle" % (k, col)]
gp.append("unset multiplot")
open(out + "/where-5x.gp", "w").write("\n".join(gp) + "\n")

t = table("where-5x-claims")
ttft = t["TTFT p50 (s)"]
with open("docs/where-5x-claims.csv", "w") as f:
    f.write("ctx,storage,recompute_ttft_s,loaded_ttft_s,speedup\n")
    for ctx in ("ctx32k", "ctx128k"):
        r = float(ttft["recompute-" + ctx])
        for v in ("g4-40", "g4-100", "g4-300"):
            l = float(ttft["%s-%s" % (v, ctx)])
            f.write("%s,%s,%.4f,%.4f,%.1f\n" % (ctx, v, r, l, r / l))
PY
gnuplot "$out/where-5x.gp"
echo "wrote docs/where-5x.csv docs/where-5x.png docs/where-5x-claims.csv"
