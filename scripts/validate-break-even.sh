#!/bin/sh
# VALIDATION.md section 4 through the engine: the store bandwidth at which kvtwin's own fetch-or-recompute
# decision (kv.fetch "cost") switches from recomputing an 8,192-token LLaMA3-70B prefix to loading it, found by
# bisection on hardware.g4.controller_byte_s in configs/validation/mooncake-eq2-a800.json (the store's only
# cost). Cases: A800 and H800 (H100 preset with 400 GB/s NVLink), each with the preset's fitted step-time
# efficiencies and with Eq. 2's assumptions (peak FLOP/s, no overheads, collectives free). Output, tab-separated:
#   case  paper_GB/s  engine_GB/s  error  ttft_recompute_s  ttft_load_just_above_s
# Usage: scripts/validate-break-even.sh [CASE...]   cases: a800-fitted a800-ideal h800-fitted h800-ideal
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
kvtwin=${KVTWIN:-$root/build/kvtwin}
scen=$root/configs/validation/mooncake-eq2-a800.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ideal='hardware.gpu.calib={"compute_efficiency":1,"memory_efficiency":1,"comm_efficiency":1,"step_overhead_s":0,"per_seq_overhead_s":0,"collective_latency_s":0,"prefill_overhead_s":0}'
# run BANDWIDTH SETS...: prints "reused_tokens ttft_s" of the second request
run() {
    b=$1
    shift
    "$kvtwin" run "$scen" --set "workload.path=$root/configs/validation/workloads/two-8k.jsonl" \
        --set "hardware.g4.controller_byte_s=$b" "$@" --out "$tmp/r" --force --quiet
    "$kvtwin" export "$tmp/r" --out "$tmp/c" >/dev/null
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i } NR == 3 { print $col["reused_tokens"], $col["ttft_s"] }' \
        "$tmp/c/requests.csv"
}
printf 'case\tpaper_GB/s\tengine_GB/s\terror\tttft_recompute_s\tttft_load_above_s\n'
for c in ${*:-a800-fitted a800-ideal h800-fitted h800-ideal}; do
    case $c in
    a800-*) paper=5.86 ;;
    h800-*) paper=18.6 ;;
    *) echo "validate-break-even: unknown case $c" >&2 && exit 2 ;;
    esac
    set -- --set 'hardware.gpu.name="A800-SXM4-80GB"'
    case $c in h800-*) set -- --set 'hardware.preset="dgx-h100"' --set 'hardware.gpu.name="H800-SXM5-80GB"' ;; esac
    case $c in *-ideal) set -- "$@" --set "$ideal" --set hardware.gpu.nvlink_bandwidth_byte_s=1e18 ;; esac
    lo=0.1e9 hi=100e9
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
        mid=$(awk -v a=$lo -v b=$hi 'BEGIN { printf "%.6g", sqrt(a * b) }')
        r=$(run "$mid" "$@")
        if [ "${r%% *}" -gt 0 ]; then hi=$mid; else lo=$mid; fi
    done
    rec=$(run "$lo" "$@")
    ld=$(run "$hi" "$@")
    awk -v c=$c -v p=$paper -v lo=$lo -v hi=$hi -v rec="${rec#* }" -v ld="${ld#* }" 'BEGIN {
        e = sqrt(lo * hi) / 1e9; printf "%s\t%.2f\t%.2f\t%+.3f\t%.3f\t%.3f\n", c, p, e, e / p - 1, rec, ld }'
done
