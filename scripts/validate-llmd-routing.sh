#!/usr/bin/env bash
# Reproduction of llm-d's published precise prefix-cache aware scheduling gain (docs/validation.md, routing and
# disaggregation): configs/validation/llmd-precise-prefix.json on the benchmark's own workload shape
# (inference-perf shared_prefix: 150 groups x 5 fixed prompts of a 6,000-token system prompt and a
# 1,200-token question, 1,000 output tokens, the Poisson load ladder from 15 QPS warm-up through 3 ... 60 QPS,
# 502 s) with the random router and with ROUTER (default prefix-score, llm-d's scorer weights 2/1/1);
# prints output tokens/s over the ladder next to the published ones (random 4,428.7, precise 8,730.0:
# 1.97x) and the error of the gain.
# Usage: scripts/validate-llmd-routing.sh [BUILD_DIR] [ROUTER] [ROUTER_PARAMS_JSON]   (a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
router=${2:-prefix-score}
params=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The ladder of llm-d's shared-prefix inference-perf runs (first stage: warm-up).
stages=15:50,3:20,10:20,15:20,20:38,22:34,25:30,30:25,35:21,40:38,43:36,46:33,49:30,52:29,55:27,57:26,60:25
python3 scripts/gen-shared-prefix.py "$tmp/trace.jsonl" --groups 150 --prompts-per-group 5 --system 6000 \
    --question 1200 --output 1000 --stages "$stages" --seed 1
run() { # NAME ROUTER [ROUTER_PARAMS]
    local extra=()
    [ -n "${3:-}" ] && extra=(--set "deployment.router_params=$3")
    "$build/kvtwin" run configs/validation/llmd-precise-prefix.json --quiet --out "$tmp/$1" \
        --set "workload.path=$tmp/trace.jsonl" --set "deployment.router=$2" "${extra[@]}"
}
run random random
run aware "$router" "$params"
python3 - "$tmp" "$router" <<'PY'
import json, sys
tmp, router = sys.argv[1], sys.argv[2]
pub = {"random": 4428.7, "aware": 8730.0}
s = {k: json.load(open(f"{tmp}/{k}/summary.json")) for k in pub}
for k, d in s.items():
    t = d["throughput"]["output_tokens_per_s"]
    print(f"{k:6s} output tok/s {t:7.0f} (published {pub[k]:7.1f}, {100 * (t / pub[k] - 1):+.0f} %)  "
          f"TTFT p90 {d['latency_s']['ttft']['p90']:8.1f} s  hit {d['hit_rate']['token_weighted']:.3f}")
r = s["aware"]["throughput"]["output_tokens_per_s"] / s["random"]["throughput"]["output_tokens_per_s"]
p = pub["aware"] / pub["random"]
err = (r - p) / p
print(f"gain {router}/random: kvtwin {r:.3f}x, published {p:.2f}x (llm-d precise/random), error {100 * err:+.1f} % "
      f"-> {'met' if abs(err) <= 0.15 else 'missed'} (15 %)")
PY
