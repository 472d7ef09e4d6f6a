#!/bin/sh
# VALIDATION.md section 4 through the engine: the store bandwidth at which kvtwin's own fetch-or-recompute
# decision (kv.fetch "cost") switches from recomputing an 8,192-token LLaMA3-70B prefix to loading it, found by
# bisection on hardware.g4.controller_byte_s in configs/validation/mooncake-eq2-a800.json (the store's only
# cost). Cases: A800 and H800 (H100 preset with 400 GB/s NVLink), each with the preset's fitted step-time
# efficiencies and with Eq. 2's assumptions (peak FLOP/s, no overheads, collectives free). Output, tab-separated:
#   case  paper_GB/s  engine_GB/s  error  ttft_recompute_s  ttft_load_just_above_s
# Usage: scripts/validate-break-even.sh [CASE...]   cases: a800-fitted a800-ideal h800-fitted h800-ideal
# a100-fitted / h100-fitted: the presets as they are (A100 and H100 NVLink), against the break-even from
# Splitwise's measured prefill of an 8,192-token Llama2-70B prompt, TP 8, batch 1 (same layers, width and KV per
# token as LLaMA3-70B): 2.684e9 bytes / median prompt_time (1,549.8 ms A100, 844.9 ms H100; five runs each).
# A fitted case may name terms of the step-time model to set to their ideal value (Eq. 2's assumption), each
# after a "+", to decompose the gap between the fitted and the ideal break-even, e.g. a800-fitted+compute:
#   +compute      compute efficiency 1 (peak FLOP/s)
#   +link         NVLink efficiency (gpu.calib.comm_efficiency) 1; the all-reduces still cross 200/400 GB/s
#   +collectives  TP collectives free (NVLink bandwidth unbounded, no per-collective latency)
#   +overheads    no per-step, per-sequence or per-prefill overhead
#   +memory       HBM efficiency 1
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
    case ${c%%+*} in
    a800-fitted | a800-ideal) paper=5.86 ;;
    h800-fitted | h800-ideal) paper=18.6 ;;
    a100-fitted) paper=1.732 ;;
    h100-fitted) paper=3.177 ;;
    *) echo "validate-break-even: unknown case $c" >&2 && exit 2 ;;
    esac
    set -- --set 'hardware.gpu.name="A800-SXM4-80GB"'
    case $c in
    h800-*) set -- --set 'hardware.preset="dgx-h100"' --set 'hardware.gpu.name="H800-SXM5-80GB"' ;;
    a100-*) set -- --set 'hardware.gpu.name="A100-SXM4-80GB"' --set hardware.gpu.nvlink_bandwidth_byte_s=300e9 ;;
    h100-*) set -- --set 'hardware.preset="dgx-h100"' --set 'hardware.gpu.name="H100-SXM5-80GB"' \
        --set hardware.gpu.nvlink_bandwidth_byte_s=450e9 ;;
    esac
    case $c in *-ideal*) set -- "$@" --set "$ideal" --set hardware.gpu.nvlink_bandwidth_byte_s=1e18 ;; esac
    terms=$(printf '%s' "$c" | awk -F+ '{ for (i = 2; i <= NF; i++) print $i }')
    for t in $terms; do
        case $t in
        compute) set -- "$@" --set hardware.gpu.calib.compute_efficiency=1 ;;
        link) set -- "$@" --set hardware.gpu.calib.comm_efficiency=1 ;;
        collectives) set -- "$@" --set hardware.gpu.nvlink_bandwidth_byte_s=1e18 --set hardware.gpu.calib.collective_latency_s=0 ;;
        overheads) set -- "$@" --set hardware.gpu.calib.step_overhead_s=0 --set hardware.gpu.calib.per_seq_overhead_s=0 \
            --set hardware.gpu.calib.prefill_overhead_s=0 ;;
        memory) set -- "$@" --set hardware.gpu.calib.memory_efficiency=1 ;;
        *) echo "validate-break-even: unknown term $t in case $c (compute link collectives overheads memory)" >&2 && exit 2 ;;
        esac
    done
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
