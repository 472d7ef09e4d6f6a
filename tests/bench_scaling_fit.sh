#!/usr/bin/env bash
# scripts/bench-scaling.sh --from: the least-squares power-law fit recovers known exponents, per curve,
# and the figure is written. Usage: tests/bench_scaling_fit.sh SOURCE_DIR
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
    echo '# synthetic points'
    printf 'curve\tx\twall_s\tpeak_MB\trequests\tsim_s\tact_per_request\tcpu_s\n'
    # a: wall = 2 x^1.5, memory = 10 x^0.5, CPU = 0.01 x^2; b: wall = 5 x^-1 (falling), memory and CPU flat
    for x in 10 20 40 80 160; do
        awk -v x="$x" 'BEGIN { printf "a\t%s\t%.6g\t%.6g\t1\t1\t1\t%.6g\n", x, 2 * x ^ 1.5, 10 * x ^ 0.5, 0.01 * x ^ 2
                               printf "b\t%s\t%.6g\t7\t1\t1\t1\t3\n", x, 5 / x }'
    done
} >"$tmp/in.tsv"
"$src/scripts/bench-scaling.sh" --from "$tmp/in.tsv" --tsv "$tmp/out.tsv" --png "$tmp/out.png" >"$tmp/log"
line=$(grep '^# fitted exponent' "$tmp/out.tsv")
for want in "a wall 1.50 memory 0.50 cpu 2.00" "b wall -1.00 memory 0.00 cpu 0.00"; do
    case "$line" in *"$want"*) ;; *) echo "FAIL: expected \"$want\" in: $line" >&2; exit 1 ;; esac
done
[ "$(grep -c '^[ab]'$'\t' "$tmp/out.tsv")" -eq 10 ] || { echo "FAIL: points not carried over" >&2; exit 1; }
if command -v gnuplot >/dev/null; then
    [ -s "$tmp/out.png" ] || { echo "FAIL: no figure" >&2; exit 1; }
fi
echo "bench_scaling_fit: ok ($line)"
