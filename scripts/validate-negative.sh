#!/bin/sh
# The negative case: a tier slower than the break-even does not help. The 8,192-token LLaMA3-70B prefix of
# configs/validation/mooncake-eq2-a800.json sits in a store of BANDWIDTH bytes/s (default 1e9, below the
# engine's 1.66 GB/s break-even with the fitted A800 preset); the second request is run with kv.fetch "cost"
# (kvtwin's decision), "always" (load whatever is cached, as a file tier with no fallback does) and "never"
# (recompute). Output, tab-separated: fetch  reused_tokens  kv_wait_s  ttft_s  ttft/ttft_never
# Usage: scripts/validate-negative.sh [BANDWIDTH]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
kvtwin=${KVTWIN:-$root/build/kvtwin}
bw=${1:-1e9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
for f in never cost always; do
    "$kvtwin" run "$root/configs/validation/mooncake-eq2-a800.json" \
        --set "workload.path=$root/configs/validation/workloads/two-8k.jsonl" \
        --set 'hardware.gpu.name="A800-SXM4-80GB"' --set "hardware.g4.controller_byte_s=$bw" \
        --set "kv.fetch=\"$f\"" --out "$tmp/$f" --force --quiet
    "$kvtwin" export "$tmp/$f" --out "$tmp/$f.csv" >/dev/null
done
printf 'fetch\treused_tokens\tkv_wait_s\tttft_s\tttft/ttft_never\n'
for f in never cost always; do
    awk -F, -v f=$f -v never="$tmp/never.csv/requests.csv" '
        BEGIN { while ((getline l < never) > 0) { n++; split(l, a, ","); if (n == 1) for (i in a) col[a[i]] = i; if (n == 3) t0 = a[col["ttft_s"]] } }
        NR == 3 { printf "%s\t%d\t%.3f\t%.3f\t%.2f\n", f, $col["reused_tokens"], $col["ready_s"] - $col["admit_s"], $col["ttft_s"], $col["ttft_s"] / t0 }' \
        "$tmp/$f.csv/requests.csv"
done
