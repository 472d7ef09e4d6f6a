#!/usr/bin/env bash
# Scaling curves of the timed simulation (not a test): wall time and peak memory of `kvtwin run` against
#   sim     simulated time, one Rubin rack (rubin-agentic) for 300-1,800 simulated seconds;
#   pod64   simulated time, the 1,152-GPU pod at 64 agentic sessions/s for 5-20 simulated minutes;
#   trace   trace length, the first N requests of the Mooncake conversation trace (open loop, G1 + G2), then
#           the trace 2 and 4 times over (copies an hour apart, each with its own block hashes);
#   gpus    pod size, 16 -> 9,216 GPUs (rubin-pod-agentic with hardware.nodes), the pod's fitted session rate
#           per rack (2.083/16 sessions/s per 72 GPUs), 10 simulated minutes;
#   context context length, the where-5x rack (Qwen2.5-14B-1M) at 32K / 128K / 512K-token initial contexts.
# Each point runs once (wall clock and peak resident memory from /usr/bin/time); a power law y = a x^b is
# fitted per curve by least squares on the logarithms. Writes a TSV and a gnuplot PNG.
#
# Usage: scripts/bench-scaling.sh [BUILD_DIR] [--tsv FILE] [--png FILE] [--only CURVE] [--quick] [--from TSV]
#   defaults: build/, docs/scaling.tsv, docs/scaling.png; --quick drops the largest point of each curve;
#   --from TSV runs nothing: fits and plots the points of an earlier run's TSV
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
tsv=docs/scaling.tsv
png=docs/scaling.png
only=""
quick=false
from=""
while [ $# -gt 0 ]; do
    case "$1" in
    --tsv) tsv=$2; shift 2 ;;
    --png) png=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --quick) quick=true; shift ;;
    --from) from=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench-scaling: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
    esac
done
case "$only" in "" | sim | pod64 | trace | gpus | context) ;; *)
    echo "bench-scaling: --only expects sim, pod64, trace, gpus or context, got \"$only\"" >&2; exit 2 ;; esac
[ -n "$from" ] || [ -x "$build/kvtwin" ] || { echo "bench-scaling: no $build/kvtwin (build it first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-scaling: /usr/bin/time is needed for the peak memory" >&2; exit 2; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# point CURVE X SCENARIO [--set ...]: one run; appends "curve x wall_s peak_MB requests sim_s act/request cpu_s".
point() {
    local curve=$1 x=$2 scenario=$3 line
    shift 3
    if ! /usr/bin/time -f 'TIME %e %M %U %S' "$build/kvtwin" run "configs/scenarios/$scenario.json" --out "$out/run" \
        --force "$@" >/dev/null 2>"$out/err"; then
        echo "bench-scaling: $curve x=$x failed:" >&2
        tail -3 "$out/err" >&2
        return 1
    fi
    line=$(grep '^kvtwin: .* requests, ' "$out/err" | sed -E \
        's/^kvtwin: ([0-9.]+) requests, ([0-9.]+) s simulated .*\(([0-9.]+) per request\).*/\1 \2 \3/')
    read -r wall kb cpu < <(awk '/^TIME / { print $2, $3, $4 + $5 }' "$out/err")
    read -r req sim act <<<"$line"
    printf '%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\n' "$curve" "$x" "$wall" "$((kb / 1024))" "$req" "$sim" "$act" "$cpu" \
        | tee -a "$out/points.tsv"
}
# values LIST: the list, less its last element with --quick
values() { if $quick; then echo "$@" | awk '{ NF--; print }'; else echo "$@"; fi; }

: >"$out/points.tsv"
if [ -n "$from" ]; then
    [ -f "$from" ] || { echo "bench-scaling: no file $from" >&2; exit 2; }
    awk -F'\t' '!/^#/ && $1 != "curve"' "$from" >"$out/points.tsv"
    only=none
fi
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
printf 'curve\tx\twall_s\tpeak_MB\trequests\tsim_s\tact_per_request\tcpu_s\n'
if want sim; then
    for d in $(values 300 600 1200 1800); do
        point sim "$d" rubin-agentic --set sim.duration_s="$d" --set sim.warmup_s=0
    done
fi
if want pod64; then
    for d in $(values 300 600 1200); do
        point pod64 "$d" rubin-pod-agentic --set workload.synth.session_rate_per_s=64 --set sim.duration_s="$d" \
            --set sim.warmup_s=0
    done
fi
if want trace; then
    for n in 1500 3000 6000; do
        point trace "$n" mooncake-h100-16 --set workload.max_requests="$n" --set sim.warmup_s=0
    done
    # The whole trace, then 2 and 4 copies of it one after the other (each copy an hour later, with its own
    # block hashes but the shared hash 0), so the trace grows past its 12,031 requests at the same load.
    for k in $(values 1 2 4); do
        python3 - "$k" ../shared/traces/mooncake/conversation_trace.jsonl >"$out/trace-$k.jsonl" <<'PY'
import json, sys
k = int(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
for i in range(k):
    for r in rows:
        print(json.dumps({"timestamp": r["timestamp"] + i * 3600000, "input_length": r["input_length"],
                          "output_length": r["output_length"],
                          "hash_ids": [h + i * 10000000 if h else 0 for h in r["hash_ids"]]}))
PY
        point trace "$((12031 * k))" mooncake-h100-16 --set workload.path="$out/trace-$k.jsonl" --set sim.warmup_s=0
    done
fi
if want gpus; then
    # nodes of 4 GPUs; 18 nodes = one NVL72 rack
    for nodes in $(values 4 18 72 288 2304); do
        rate=$(awk -v n="$nodes" 'BEGIN { printf "%.5f", 2.083 / 16 * n / 18 }')
        point gpus "$((nodes * 4))" rubin-pod-agentic --set hardware.nodes="$nodes" \
            --set workload.synth.session_rate_per_s="$rate" --set sim.duration_s=600 --set sim.warmup_s=0
    done
fi
if want context; then
    for c in $(values 32768 131072 524288); do
        point context "$c" where-5x-rack --set workload.synth.initial_context_tokens_median="$c"
    done
fi

# Least-squares fit of log y = log a + b log x per curve, for wall time and peak memory.
fit() {
    awk -F'\t' -v col="$1" '
        { c = $1; n[c]++; x = log($2); y = log($col > 0 ? $col : 1e-3);
          sx[c] += x; sy[c] += y; sxx[c] += x * x; sxy[c] += x * y }
        END { for (c in n) { d = n[c] * sxx[c] - sx[c] * sx[c];
              b = d > 0 ? (n[c] * sxy[c] - sx[c] * sy[c]) / d : 0;
              if (b > -0.005 && b < 0.005) b = 0; printf "%s %.2f\n", c, b } }' "$out/points.tsv"
}
fit 3 | sort >"$out/bw"
fit 4 | sort >"$out/bm"
fit 8 | sort >"$out/bc"
{
    if [ -n "$from" ]; then
        grep '^# kvtwin\|^# load' "$from" || true
    else
        printf '# kvtwin scaling curves, %s, %s (%s cores), load average at start: %s\n' "$(date -u +%Y-%m-%d)" \
            "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" \
            "$load0"
        printf '# load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    fi
    printf '# fitted exponent b of y = a x^b: '
    join "$out/bw" "$out/bm" | join - "$out/bc" | awk '{ printf "%s wall %s memory %s cpu %s; ", $1, $2, $3, $4 }'
    printf '\ncurve\tx\twall_s\tpeak_MB\trequests\tsim_s\tact_per_request\tcpu_s\n'
    cat "$out/points.tsv"
} >"$out/tsv"
mv "$out/tsv" "$tsv"
echo "bench-scaling: exponents (wall, memory, CPU):"
join "$out/bw" "$out/bm" | join - "$out/bc" | sed 's/^/  /'

command -v gnuplot >/dev/null || { echo "bench-scaling: gnuplot missing, no figure" >&2; exit 0; }
panel() { # curve xlabel
    local c=$1 xl=$2 bw bm bc
    awk -F'\t' -v c="$c" '$1 == c' "$out/points.tsv" >"$out/curve-$c.tsv"
    [ -s "$out/curve-$c.tsv" ] || return 0
    bw=$(awk -v c="$c" '$1 == c { print $2 }' "$out/bw")
    bm=$(awk -v c="$c" '$1 == c { print $2 }' "$out/bm")
    bc=$(awk -v c="$c" '$1 == c { print $2 }' "$out/bc")
    cat <<EOF
set title "fitted exponent: wall $bw, CPU $bc, memory $bm" noenhanced
set xlabel "$xl"
plot "$out/curve-$c.tsv" using 2:3 with linespoints pt 7 lc rgb "#1f77b4" title "wall (s)", \\
     "" using 2:8 with linespoints pt 6 lc rgb "#1f77b4" dt 2 title "CPU (s)", \\
     "" using 2:4 axes x1y2 with linespoints pt 5 lc rgb "#d62728" title "peak memory (MB)"
EOF
}
{
    cat <<EOF
set terminal pngcairo size 1400,900 font ",10"
set output "$png"
set multiplot layout 2,3 title "kvtwin: wall time and peak memory (one run per point; $(date -u +%Y-%m-%d))"
set logscale xy
set logscale y2
set ytics nomirror
set y2tics
set ylabel "wall (s)"
set y2label "peak memory (MB)"
set key top left
set grid
EOF
    panel sim "simulated s (rack, 4 sessions/s)"
    panel pod64 "simulated s (1,152-GPU pod, 64 sessions/s)"
    panel trace "Mooncake requests replayed"
    panel gpus "GPUs (0.13 sessions/s per rack, 600 s)"
    panel context "initial context tokens (where-5x rack)"
    echo "unset multiplot"
} >"$out/plot.gp"
gnuplot "$out/plot.gp"
echo "bench-scaling: wrote $tsv and $png"
