#!/usr/bin/env bash
# Disaggregation against DistServe's worked example (docs/validation.md, routing and disaggregation): the
# DistServe blog (hao-ai-lab, 2024-03-17, Fig. 6) serves a 13B LLM on A100-80GB GPUs, one GPU per worker,
# inputs of 512 and outputs of 64 tokens with Poisson arrivals, SLOs P90 TTFT 0.4 s and P90 TPOT 0.04 s, and
# reports a co-located goodput of 1.6 req/s per GPU, one prefill worker 5.6 req/s, one decode worker 10 req/s,
# hence 2P1D = min(2 x 5.6, 10) / 3 GPUs = 3.3 req/s per GPU: 2.08x. This runs configs/validation/
# distserve-13b-a100.json (OPT-13B) and finds by bisection on the arrival rate, each rate one 200-s run:
#   co-located: the highest rate at which one instance meets both P90 SLOs;
#   2P1D:       the same for 2 prefill + 1 decode instances, divided by 3 GPUs;
#   prefill worker: the highest rate 1P3D meets P90 TTFT; decode worker: the highest rate 3P1D meets P90 TPOT;
# and prints them next to the published ones and the error of the per-GPU gain; then the same co-located and
# 2P1D goodputs with the DistServe paper's attainment (at least 90 % of requests meeting both SLOs at once).
# --profiled: instead of the preset's A100 calibration, two calibrations fitted (kvtwin fit) to the step-time
# profiles DistServe's simulator publishes for its two engines (configs/validation/distserve-a100-profiles.json):
# the co-located instance runs with the vLLM one, the prefill and decode workers with the DistServe one, as in
# the published comparison; --profile-extra-ms X adds X ms to every profiled iteration first (a sensitivity).
# --first-token prefill: the disaggregated runs return the first token from the prefill instance
# (deployment.disagg.first_token; default decode).
# Usage: scripts/validate-distserve.sh [BUILD_DIR] [--profiled [--profile-extra-ms X]] [--first-token prefill|decode]
#        [--set PATH=VALUE ...]
#        (extra --set: e.g. a calibration; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$build" "$tmp" "$@" <<'PY'
import json, random, subprocess, sys
sys.path.insert(0, "scripts")
from distserve_profiles import fit
build, tmp = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
profiled, extra_ms = "--profiled" in args, 0.0
if "--profile-extra-ms" in args:
    extra_ms = float(args[args.index("--profile-extra-ms") + 1])
    del args[args.index("--profile-extra-ms"):args.index("--profile-extra-ms") + 2]
    if not profiled:
        print("validate-distserve: --profile-extra-ms applies to the profiles: give --profiled too", file=sys.stderr)
        sys.exit(2)
first_token = "decode"  # --first-token prefill: the first token leaves from the prefill instance (a sensitivity)
if "--first-token" in args:
    first_token = args[args.index("--first-token") + 1]
    del args[args.index("--first-token"):args.index("--first-token") + 2]
extra = [a for a in args if a not in ("--set", "--profiled")]  # PATH=VALUE, with or without a --set before each
cfg = "configs/validation/distserve-13b-a100.json"
per_engine = {"co": [], "pd": []}
if profiled:
    per_engine = {"co": fit(build, tmp, ["vllm"], extra_ms), "pd": fit(build, tmp, ["distserve"], extra_ms)}
SLO_TTFT, SLO_TPOT, DUR = 0.4, 0.04, 200.0

def trace(rate):
    path = f"{tmp}/r{rate:.3f}.jsonl"
    rng, t = random.Random(1), 0.0
    with open(path, "w") as f:
        f.write(json.dumps({"kvtwin_native": 1, "block_tokens": 16}) + "\n")
        i = 0
        while True:
            t += rng.expovariate(rate)
            if t > DUR:
                break
            f.write(json.dumps({"session": i, "turn": 0, "last": True, "arrival_s": round(t, 6),
                                "input_tokens": 512, "output_tokens": 64,
                                "prefix": [{"stream": "r%d" % i, "tokens": 512}]}) + "\n")
            i += 1
    return path

runs = {}

def run(rate, n_inst, n_prefill):
    """(P90 TTFT, P90 TPOT, share of requests meeting both SLOs) of one run, each run once."""
    key = (round(rate, 6), n_inst, n_prefill)
    if key not in runs:
        runs[key] = run_once(rate, n_inst, n_prefill)
    return runs[key]

def p90(rate, n_inst, n_prefill):
    return run(rate, n_inst, n_prefill)[:2]

def run_once(rate, n_inst, n_prefill):
    sets = ["workload.path=" + trace(rate), f"deployment.instances={n_inst}"]
    if n_prefill:
        sets.append('deployment.disagg={"enabled": true, "prefill_instances": %d, "first_token": "%s"}'
                    % (n_prefill, first_token))
    cmd = [f"{build}/kvtwin", "run", cfg, "--quiet", "--force", "--out", f"{tmp}/o"]
    for s in sets + extra + per_engine["pd" if n_prefill else "co"]:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    summ = json.load(open(f"{tmp}/o/summary.json"))
    l = summ["latency_s"]
    return l["ttft"]["p90"], l["tpot"]["p90"], summ["goodput"]["fraction_of_requests"]

def highest(ok, lo, hi, tol=0.05):
    """Highest rate in [lo, hi] for which ok(rate) holds (assumed monotone)."""
    if not ok(lo):
        return 0.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo

both = lambda n, p: (lambda r: all(x <= s for x, s in zip(p90(r, n, p), (SLO_TTFT, SLO_TPOT))))
co = highest(both(1, 0), 0.2, 8)
pd = highest(both(3, 2), 0.5, 30)
pw = highest(lambda r: p90(r, 4, 1)[0] <= SLO_TTFT, 0.5, 30)
dw = highest(lambda r: p90(r, 4, 3)[1] <= SLO_TPOT, 0.5, 30)
pub = {"co": 1.6, "pd": 10 / 3, "pw": 5.6, "dw": 10.0}
got = {"co": co, "pd": pd / 3, "pw": pw, "dw": dw}
names = {"co": "co-located goodput per GPU", "pd": "2P1D goodput per GPU", "pw": "one prefill worker (P90 TTFT)",
         "dw": "one decode worker (P90 TPOT)"}
for k in pub:
    print(f"{names[k]:32s} kvtwin {got[k]:5.2f} req/s   published {pub[k]:5.2f}   {100 * (got[k] / pub[k] - 1):+4.0f} %")
g, pg = got["pd"] / got["co"] if got["co"] > 0 else float("inf"), pub["pd"] / pub["co"]
err = (g - pg) / pg
print(f"per-GPU goodput gain 2P1D / co-located: kvtwin {g:.3f}x, published {pg:.2f}x (DistServe), error "
      f"{100 * err:+.1f} % -> {'met' if abs(err) <= 0.15 else 'missed'} (15 %)")
# The DistServe paper's attainment: the share of requests meeting both SLOs at once, at least 90 %.
joint = lambda n, p: (lambda r: run(r, n, p)[2] >= 0.9)
jco, jpd = highest(joint(1, 0), 0.2, 8), highest(joint(3, 2), 0.5, 30) / 3
jg = jpd / jco if jco > 0 else float("inf")
print(f"joint attainment (>= 90 % meet both): co-located {jco:.2f}, 2P1D {jpd:.2f} req/s per GPU, gain "
      f"{jg:.3f}x, error {100 * (jg - pg) / pg:+.1f} %")
PY
