#!/usr/bin/env bash
# Reproduction of llm-d's published prefix-cache-aware routing gain (docs/validation.md, routing and
# disaggregation): configs/validation/llmd-precise-prefix.json run with the random router and with the
# kv-aware router on a generated shared-prefix trace, past saturation; prints kvtwin's output-throughput
# ratio next to the published one (llm-d blog 2025-09-24: "double the throughput", 2.0x) and the error.
# Usage: scripts/validate-llmd-routing.sh [BUILD_DIR] [RATE_PER_S] [OVERLAP_SCORE_WEIGHT]
#        (default build/, 16 req/s, weight 4; a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rate=${2:-16}
weight=${3:-4}
published=2.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen-shared-prefix.py "$tmp/trace.jsonl" --groups 150 --system 6000 --question 1200 \
    --output 1000 --rate "$rate" --requests $((rate * 400)) --seed 1
run() { # NAME ROUTER [ROUTER_PARAMS]
    local extra=()
    [ -n "${3:-}" ] && extra=(--set "deployment.router_params=$3")
    "$build/kvtwin" run configs/validation/llmd-precise-prefix.json --quiet --out "$tmp/$1" \
        --set "workload.path=$tmp/trace.jsonl" --set "deployment.router=$2" "${extra[@]}"
}
run random random
run kv kv-aware "{\"overlap_score_weight\": $weight}"
python3 - "$tmp" "$published" "$rate" "$weight" <<'PY'
import json, sys
tmp, pub, rate, w = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
s = {k: json.load(open(f"{tmp}/{k}/summary.json")) for k in ("random", "kv")}
for k, d in s.items():
    print(f"{k:7s} output tok/s {d['throughput']['output_tokens_per_s']:9.1f}  "
          f"TTFT p90 {d['latency_s']['ttft']['p90']:8.2f} s  hit {d['hit_rate']['token_weighted']:.3f}")
r = s["kv"]["throughput"]["output_tokens_per_s"] / s["random"]["throughput"]["output_tokens_per_s"]
err = (r - pub) / pub
print(f"throughput gain kv-aware/random at {rate} req/s, overlap weight {w}: kvtwin {r:.2f}x, "
      f"published {pub:.2f}x (llm-d), error {100 * err:+.0f} % -> {'met' if abs(err) <= 0.15 else 'missed'} (15 %)")
PY
