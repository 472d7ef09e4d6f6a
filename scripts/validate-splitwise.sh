#!/usr/bin/env bash
# Disaggregation against Splitwise (docs/validation.md, routing and disaggregation):
# configs/validation/splitwise-hh-code.json (8 DGX-H100 machines, Llama-2-70B TP8, the Azure 2023 code trace
# that Splitwise used, sped up by 1/time_scale) co-located and with a prefill pool of P machines; prints
# kvtwin's goodput gain (output tok/s of requests within TTFT 2 s and TPOT 0.1 s) next to Splitwise's
# published 1.4x and the error. The published figure is for Splitwise-HA (H100 prompt, A100 token
# machines): kvtwin's pools share one hardware type, so this is the homogeneous analogue (Splitwise-HH).
# Usage: scripts/validate-splitwise.sh [BUILD_DIR] [PREFILL_MACHINES] [TIME_SCALES]
#        (default build/, 7, "0.15 0.1"; a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
prefill=${2:-7}
scales=${3:-0.15 0.1}
published=1.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ts in $scales; do
    "$build/kvtwin" run configs/validation/splitwise-hh-code.json --quiet --out "$tmp/co-$ts" \
        --set "workload.time_scale=$ts" 2>/dev/null
    "$build/kvtwin" run configs/validation/splitwise-hh-code.json --quiet --out "$tmp/dis-$ts" \
        --set "workload.time_scale=$ts" \
        --set "deployment.disagg={\"enabled\": true, \"prefill_instances\": $prefill}" 2>/dev/null
    python3 - "$tmp" "$ts" "$prefill" "$published" <<'PY'
import json, sys
tmp, ts, p, pub = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
s = {k: json.load(open(f"{tmp}/{k}-{ts}/summary.json")) for k in ("co", "dis")}
for k, d in s.items():
    l = d["latency_s"]
    print(f"time_scale {ts} {k:3s} output tok/s {d['throughput']['output_tokens_per_s']:6.0f} goodput "
          f"{d['goodput']['output_tokens_per_s']:6.0f} TTFT p50 {l['ttft']['p50']:5.2f} s TPOT p50 {l['tpot']['p50']:.3f} s")
r = s["dis"]["goodput"]["output_tokens_per_s"] / s["co"]["goodput"]["output_tokens_per_s"]
err = (r - pub) / pub
print(f"goodput gain {p}P/{8 - int(p)}D over co-located at time_scale {ts}: kvtwin {r:.2f}x, published {pub:.2f}x "
      f"(Splitwise-HA), error {100 * err:+.0f} % -> {'within' if abs(err) <= 0.15 else 'outside'} 15 %")
PY
done
