"""Fits kvtwin's A100 calibration to the OPT-13B step-time profiles DistServe's simulator publishes
(configs/validation/distserve-a100-profiles.json), for scripts/validate-distserve.sh and
scripts/validate-distserve-sharegpt.sh. A profile is evaluated on the file's grid of shapes (prefills of one
prompt and batches of 512-token prompts; decode batches after several input lengths, averaged over the
output), written as a `kvtwin fit` points file, and fitted; the result is a list of --set arguments."""
import json
import subprocess

PROFILES = "configs/validation/distserve-a100-profiles.json"
KEYS = ("compute_efficiency", "memory_efficiency", "step_overhead_s", "per_seq_overhead_s", "prefill_overhead_s")


def profile_rows(engine, extra_ms=0.0):
    """The profile's points as `kvtwin fit` rows (kind,tp,batch,input_tokens,output_tokens,value,source)."""
    prof = json.load(open(PROFILES))
    e, pts, tp = prof["engines"][engine], prof["points"], prof["engine_tp"][engine]
    rows = []
    a, b, c = e["prefill_ms"]
    shapes = [(1, n) for n in pts["prefill_tokens"]] + [(k, 512) for k in pts["prefill_batches_at_512"]]
    for k, n in shapes:
        rows.append(f"prefill_ms,{tp},{k},{n},1,{a + b * k * n + c * k * n * n + extra_ms:.6f},{engine} profile")
    a, b, c = e["decode_ms"]
    osl = pts["decode_output_tokens"]
    for isl in pts["decode_input_tokens"]:
        for k in pts["decode_batches"]:
            steps = [a + b * k * (isl + j + 1) + c * k + extra_ms for j in range(1, osl)]
            rows.append(f"decode_ms,{tp},{k},{isl},{osl},{sum(steps) / len(steps):.6f},{engine} profile")
    return rows


def fit(build, tmp, engines, extra_ms=0.0):
    """kvtwin fit of the A100 calibration to the named profiles together; returns the --set arguments.
    The NVLink terms (comm_efficiency, collective_latency_s) stay fixed: the profiles hold no TP sweep."""
    rows = ["kind,tp,batch,input_tokens,output_tokens,value,source"]
    for engine in engines:
        rows += profile_rows(engine, extra_ms)
    name = "+".join(engines)
    path = f"{tmp}/{name}-profile.csv"
    open(path, "w").write("\n".join(rows) + "\n")
    cmd = [f"{build}/kvtwin", "fit", path, "--hw", "dgx-a100", "--model", "opt-13b", "--fix", "comm_efficiency",
           "--fix", "collective_latency_s"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    mape = [l for l in out.splitlines() if l.startswith("MAPE all")][0].split()[2]
    cal = json.loads("{" + out[out.index('"calib"'):] + "}")["calib"]
    print(f"{name} profile fit: MAPE {mape} %, " + ", ".join(f"{k} {cal[k]:.4g}" for k in KEYS))
    return [f"hardware.gpu.calib.{k}={cal[k]}" for k in KEYS]
