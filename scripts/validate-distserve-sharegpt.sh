#!/usr/bin/env bash
# Disaggregation against DistServe's measured runs (docs/validation.md, routing and disaggregation): DistServe's
# repository publishes per-request TTFT and TPOT measured on A100-80GB GPUs serving OPT-13B on ShareGPT
# requests, for vLLM (one GPU, TP1) and for DistServe "c21d11" (one prefill instance on 2 GPUs, TP2, and one
# decode instance on 1 GPU: 3 GPUs), at per-GPU rates 1 to 4 req/s (simdistserve/benchmarks/alignment/
# data-ground-truth/opt-13b-sharegpt). configs/validation/distserve-sharegpt.json holds what was measured
# (the share of requests meeting TTFT < 200 ms and TPOT < 100 ms at once, the SLOs of DistServe's own
# alignment, per run) and the runs' length distribution as percentiles. This script:
#   1. fits kvtwin's A100 calibration to each engine's published step-time profile (scripts/
#      distserve_profiles.py: vLLM's TP1 profile; DistServe's TP1 and TP2 profiles together), nothing else;
#   2. replays, for every measured run, SEEDS Poisson traces of the same length and rate from an empty system,
#      lengths drawn from the percentiles (an output that would overflow OPT-13B's 2,048-token window cut to fit);
#   3. prints the attainment curves side by side, their RMSE, and the per-GPU rate at which each system's
#      attainment falls to the target (configs: attainment_target), measured and simulated (a simulated curve
#      still above it at the last measured rate is run on, in the same steps), and the gain DistServe / vLLM.
# Usage: scripts/validate-distserve-sharegpt.sh [BUILD_DIR] [SEEDS] [TARGET] [--first-token decode]
#        [--set PATH=VALUE ...] (default 20 seeds, the config's target, DistServe's first token from its prefill
#        instance; the others are sensitivities; --set applies to both systems; about 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seeds=${2:-20}
shift $(($# < 2 ? $# : 2))
target=
case ${1:-} in -*) ;; *) target=${1:-}; shift $(($# < 1 ? 0 : 1)) ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$build" "$tmp" "$seeds" "$target" "$@" <<'PY'
import json, random, subprocess, sys
sys.path.insert(0, "scripts")
from distserve_profiles import fit
def usage(why):
    print(f"validate-distserve-sharegpt: {why}; usage: scripts/validate-distserve-sharegpt.sh [BUILD_DIR] [SEEDS] "
          "[TARGET] [--first-token prefill|decode] [--set PATH=VALUE ...]", file=sys.stderr)
    sys.exit(2)

build, tmp = sys.argv[1], sys.argv[2]
try:
    n_seeds = int(sys.argv[3])
    target_arg = float(sys.argv[4]) if sys.argv[4] else None
except ValueError:
    usage("SEEDS must be a whole number and TARGET a share in (0, 1)")
if n_seeds < 1 or (target_arg is not None and not 0 < target_arg < 1):
    usage("SEEDS must be at least 1 and TARGET a share in (0, 1)")
args = sys.argv[5:]
first_token = "prefill"  # DistServe's context stage returns the first token; --first-token decode: a sensitivity
if "--first-token" in args:
    i = args.index("--first-token")
    if i + 1 >= len(args) or args[i + 1] not in ("prefill", "decode"):
        usage("--first-token takes prefill or decode")
    first_token = args[i + 1]
    del args[i:i + 2]
extra = [a for a in args if a != "--set"]  # PATH=VALUE for both systems, with or without a --set before each
gt = json.load(open("configs/validation/distserve-sharegpt.json"))
cfg = "configs/validation/distserve-13b-a100.json"
slo, lens = gt["slo"], gt["lengths"]
target = target_arg if target_arg is not None else gt["attainment_target"]
common = ["sim.warmup_s=0", "sim.duration_s=100000", f"sim.slo_ttft_s={slo['ttft_ms'] / 1000}",
          f"sim.slo_tpot_s={slo['tpot_ms'] / 1000}", f"deployment.max_batch_tokens={gt['max_batch_tokens']}",
          f"deployment.prefill_chunk_tokens={gt['max_batch_tokens']}", "workload.context_overflow=\"error\""]
setup = {
    "vllm": ["deployment.instances=1", "deployment.tp=1", 'deployment.batching="prefill-first"']
    + fit(build, tmp, ["vllm"]),
    "distserve-c21d11": ["deployment.instances=2", "deployment.tp=1",
                         f'deployment.disagg={{"enabled": true, "prefill_instances": 1, "prefill_tp": 2, "decode_tp": 1, '
                         f'"first_token": "{first_token}"}}']
    + fit(build, tmp, ["distserve", "distserve_tp2"]),
}

def draw(pct, rng):
    """A length from 101 percentiles, linear between them."""
    x = rng.random() * 100
    i = min(int(x), 99)
    return max(1, round(pct[i] + (pct[i + 1] - pct[i]) * (x - i)))

def trace(rate, n, seed):
    path = f"{tmp}/r{rate}-{n}-{seed}.jsonl"
    rng, t = random.Random(seed), 0.0
    with open(path, "w") as f:
        f.write(json.dumps({"kvtwin_native": 1, "block_tokens": 16}) + "\n")
        for i in range(n):
            t += rng.expovariate(rate)
            p, o = draw(lens["prompt_tokens_percentiles"], rng), draw(lens["output_tokens_percentiles"], rng)
            o = min(o, lens["max_context_tokens"] - p)  # the measured requests fit the window; independent draws may not
            f.write(json.dumps({"session": i, "turn": 0, "last": True, "arrival_s": round(t, 6), "input_tokens": p,
                                "output_tokens": o, "prefix": [{"stream": "r%d" % i, "tokens": p}]}) + "\n")
    return path

def attainment(system, rate, n):
    got = []
    for seed in range(1, n_seeds + 1):
        cmd = [f"{build}/kvtwin", "run", cfg, "--quiet", "--force", "--out", f"{tmp}/o"]
        for s in common + setup[system] + extra + ["workload.path=" + trace(rate, n, seed)]:
            cmd += ["--set", s]
        if subprocess.run(cmd).returncode != 0:
            sys.exit(2)  # kvtwin has said why, on stderr
        summ = json.load(open(f"{tmp}/o/summary.json"))
        lat = summ["latency_s"]
        got.append((summ["goodput"]["fraction_of_requests"], lat["ttft"]["p90"], lat["tpot"]["p90"]))
    mean = lambda k: sum(g[k] for g in got) / len(got)
    return mean(0), min(g[0] for g in got), max(g[0] for g in got), 1000 * mean(1), 1000 * mean(2)

def falls_to(points):
    """The per-GPU rate at which attainment falls to the target, linear between points (runs at one rate
    merged, weighted by their requests); None if it never does in the measured range."""
    by_rate = {}
    for r, a, n in points:
        m = by_rate.setdefault(r, [0.0, 0])
        m[0], m[1] = m[0] + a * n, m[1] + n
    curve = sorted((r, s / n) for r, (s, n) in by_rate.items())
    for (r0, a0), (r1, a1) in zip(curve, curve[1:]):
        if a0 >= target > a1:
            return r0 + (r1 - r0) * (a0 - target) / (a0 - a1)
    return None if curve[0][1] >= target else curve[0][0]

print(f"attainment: share of requests with TTFT < {slo['ttft_ms']} ms and TPOT < {slo['tpot_ms']} ms; kvtwin: mean "
      f"(min-max) over {n_seeds} seeds; kvtwin's P90s are means over the seeds")
print("| system | rate (req/s) | per GPU | requests | measured | kvtwin | kvtwin - measured (pp) | P90 TTFT ms, measured / "
      "kvtwin | P90 TPOT ms, measured / kvtwin |")
print("|---|---|---|---|---|---|---|---|---|")
sq, rates = [], {}
for system, s in gt["systems"].items():
    meas, sim = [], []
    for run in s["runs"]:
        a, lo, hi, ttft, tpot = attainment(system, run["rate"], run["requests"])
        per_gpu = run["rate"] / s["gpus"]
        meas.append((per_gpu, run["attainment"], run["requests"]))
        sim.append((per_gpu, a, run["requests"]))
        sq.append((a - run["attainment"]) ** 2)
        print(f"| {system} | {run['rate']:g} | {per_gpu:g} | {run['requests']} | {100 * run['attainment']:.1f} % | "
              f"{100 * a:.1f} % ({100 * lo:.0f}-{100 * hi:.0f}) | {100 * (a - run['attainment']):+.1f} | "
              f"{run['ttft_p90_ms']:.0f} / {ttft:.0f} | {run['tpot_p90_ms']:.0f} / {tpot:.0f} |")
    # Where the simulated curve has not fallen to the target by the last measured rate, go on in the same
    # steps (with the last run's request count) until it has, at most four more rates.
    last, step = s["runs"][-1], s["runs"][-1]["rate"] - s["runs"][-2]["rate"]
    more = 0
    while falls_to(sim) is None and sim[-1][1] >= target and more < 4:
        more += 1
        rate = last["rate"] + more * step
        a, lo, hi, ttft, tpot = attainment(system, rate, last["requests"])
        sim.append((rate / s["gpus"], a, last["requests"]))
        print(f"| {system} | {rate:g} | {rate / s['gpus']:g} | {last['requests']} | (not measured) | "
              f"{100 * a:.1f} % ({100 * lo:.0f}-{100 * hi:.0f}) | | - / {ttft:.0f} | - / {tpot:.0f} |")
    rates[system] = (falls_to(meas), falls_to(sim))
print(f"RMSE over {len(sq)} runs: {100 * (sum(sq) / len(sq)) ** 0.5:.1f} percentage points")
fmt = lambda r: "never in range" if r is None else f"{r:.2f}"
for system, (m, k) in rates.items():
    print(f"{system}: attainment falls to {100 * target:.0f} % at {fmt(m)} req/s per GPU measured, {fmt(k)} kvtwin")
(vm, vk), (dm, dk) = rates["vllm"], rates["distserve-c21d11"]
if None in (vm, vk, dm, dk):
    print("gain: not defined (a curve does not cross the target in the measured range)")
else:
    err = (dk / vk) / (dm / vm) - 1
    print(f"per-GPU gain DistServe / vLLM at {100 * target:.0f} % attainment: measured {dm / vm:.3f}x, kvtwin "
          f"{dk / vk:.3f}x, error {100 * err:+.1f} % -> {'met' if abs(err) <= 0.15 else 'missed'} (15 %)")
PY
