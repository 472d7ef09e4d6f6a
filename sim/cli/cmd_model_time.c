/* kvtwin model-time: the step-time model for given shapes, without a simulation. One iteration (prefill
 * chunks and a decode batch), a static batch run, or the steady state of a continuously batched
 * instance at full concurrency (MLPerf Offline-like), with its power and tokens per joule from the
 * power model. Units on output: ms, tokens/s, W, J. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/hw.h"
#include "models/llm.h"
#include "models/power.h"
#include "models/steptime.h"
#include "sim/cli/cli.h"
#include "sim/config/config_models.h"

#define MT_MAX_SETS 32

static int mt_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* "A@B" or "A" (B = 0); "A,B[,C]" lists. */
static int mt_pair(const char *s, double *a, double *b)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *at = strchr(buf, '@');
    *b = 0;
    if (at) {
        *at = '\0';
        if (mt_num(at + 1, b))
            return -1;
    }
    return mt_num(buf, a);
}

static int mt_list(const char *s, double *v, int n)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    int k = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (k == n || mt_num(t, &v[k]))
            return -1;
        k++;
    }
    return k == n ? 0 : -1;
}

static void mt_print_step(const st_model_t *m, const hw_pod_t *hw, const st_shape_t *s, const st_time_t *t)
{
    double gpus = st_gpus(m);
    printf("iteration: %.0f prefill tokens in %.0f chunks (attention pairs %.4g), %.0f decoding requests (context %.0f "
           "tokens)\n",
           s->prefill_tokens, s->prefill_seqs, s->prefill_attn_pairs, s->decode_seqs, s->decode_ctx_tokens);
    printf("  time           %10.3f ms\n", t->time_s * 1e3);
    printf("  compute-bound  %10.3f ms\n", t->compute_s * 1e3);
    printf("  memory-bound   %10.3f ms\n", t->memory_s * 1e3);
    printf("  collectives    %10.3f ms\n", t->comm_s * 1e3);
    printf("  overheads      %10.3f ms\n", t->overhead_s * 1e3);
    printf("  FLOPs          %10.4g (instance)   %.1f %% of the instance's peak over the step\n", t->flops,
           t->time_s > 0
               ? 100.0 * t->flops / (t->time_s * gpus * hw_gpu_peak_flop_s(&hw->gpu, st_deploy(m)->compute_dtype))
               : 0.0);
    printf("  HBM bytes      %10.4g (instance)   %.1f %% of the instance's HBM bandwidth\n", t->hbm_bytes,
           t->time_s > 0 ? 100.0 * t->hbm_bytes / (t->time_s * gpus * hw->gpu.hbm_bandwidth_byte_s) : 0.0);
    printf("  NVLink bytes   %10.4g per GPU\n", t->nvlink_bytes);
    printf("  compute-bound share %.2f; GPU power %.0f W each over the iteration (power model)\n",
           t->compute_bound_fraction, pw_gpu_step_w(&hw->gpu, t));
}

static int cmd_main(int argc, char **argv)
{
    const char *hwname = NULL, *modelname = NULL;
    const char *sets[MT_MAX_SETS];
    int nsets = 0;
    unsigned tp = 1, pp = 1, ep = 1;
    int wdt = -1, kdt = -1, cdt = -1;
    double reserve = 0.1, max_batch = 0;
    bool steady = false, stat = false, have_shape = false;
    double steady_v[2] = {0}, static_v[3] = {0};
    st_shape_t shape = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v && a[0] == '-' && a[1] == '-') {
            return cli_usage_error("model-time", "option %s needs a value", a);
        } else if (strcmp(a, "--hw") == 0) {
            hwname = v;
        } else if (strcmp(a, "--model") == 0) {
            modelname = v;
        } else if (strcmp(a, "--set") == 0) {
            if (nsets == MT_MAX_SETS)
                return cli_usage_error("model-time", "too many --set options");
            sets[nsets++] = v;
        } else if (strcmp(a, "--tp") == 0 || strcmp(a, "--pp") == 0 || strcmp(a, "--ep") == 0) {
            unsigned long long x;
            if (cli_parse_u64(v, &x) || x < 1 || x > 4096)
                return cli_usage_error("model-time", "%s wants an integer in 1..4096", a);
            *(a[2] == 't' ? &tp : a[2] == 'p' ? &pp : &ep) = (unsigned)x;
        } else if (strcmp(a, "--dtype") == 0 || strcmp(a, "--weight-dtype") == 0 || strcmp(a, "--kv-dtype") == 0 ||
                   strcmp(a, "--compute-dtype") == 0) {
            if (cfg_dtype_option(a, "--dtype", v, &wdt, &kdt, &cdt))
                return cli_usage_error("model-time", "%s: unknown dtype \"%s\" (bf16, fp8, fp4)", a, v);
        } else if (strcmp(a, "--prefill") == 0) {
            double n, ctx;
            if (mt_pair(v, &n, &ctx) || n < 1)
                return cli_usage_error("model-time", "--prefill wants TOKENS[@CONTEXT], got %s", v);
            st_shape_add_prefill(&shape, n, ctx);
            have_shape = true;
        } else if (strcmp(a, "--decode") == 0) {
            double n, ctx;
            if (mt_pair(v, &n, &ctx) || n < 1 || n != floor(n))
                return cli_usage_error("model-time", "--decode wants REQUESTS@CONTEXT, got %s", v);
            for (double k = 0; k < n; k++)
                st_shape_add_decode(&shape, ctx);
            have_shape = true;
        } else if (strcmp(a, "--steady") == 0) {
            if (mt_list(v, steady_v, 2) || steady_v[0] < 1 || steady_v[1] < 2)
                return cli_usage_error("model-time", "--steady wants ISL,OSL (OSL >= 2), got %s", v);
            steady = true;
        } else if (strcmp(a, "--static") == 0) {
            if (mt_list(v, static_v, 3) || static_v[0] < 1 || static_v[1] < 1 || static_v[2] < 1)
                return cli_usage_error("model-time", "--static wants BATCH,ISL,OSL, got %s", v);
            stat = true;
        } else if (strcmp(a, "--max-batch") == 0) {
            if (mt_num(v, &max_batch))
                return cli_usage_error("model-time", "--max-batch wants a number");
        } else if (strcmp(a, "--reserve") == 0) {
            if (mt_num(v, &reserve) || reserve >= 1)
                return cli_usage_error("model-time", "--reserve wants a fraction in [0, 1)");
        } else {
            return cli_usage_error("model-time", "unknown option %s", a);
        }
        i++;
    }
    if (!hwname || !modelname)
        return cli_usage_error("model-time", "needs --hw PRESET and --model PRESET");
    if (!have_shape && !steady && !stat)
        return cli_usage_error("model-time", "give a shape (--prefill, --decode), --static or --steady");
    char err[1024];
    hw_pod_t hw;
    llm_t llm;
    if (cfg_hw_load(hwname, sets, nsets, &hw, err, sizeof err))
        return cli_input_error("%s", err);
    if (cfg_llm_load(modelname, NULL, 0, &llm, err, sizeof err))
        return cli_input_error("%s", err);
    st_deploy_t dep = {{tp, pp, ep}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    if (cdt >= 0)
        dep.compute_dtype = cdt;
    dep.weight_dtype = wdt >= 0 ? wdt : dep.compute_dtype;
    dep.kv_dtype = kdt >= 0 ? kdt : dep.compute_dtype;
    st_model_t *m = st_model_create(&hw.gpu, &llm, &dep, NULL, err, sizeof err);
    if (!m)
        return cli_input_error("%s on %s: %s", llm.name, hw.gpu.name, err);

    const st_calib_t *c = st_calib(m);
    printf("%s on %s, tp %u pp %u ep %u, weights %s, KV %s, compute %s (calibration: compute %.3f, memory %.3f, "
           "NVLink %.3f)\n",
           llm.name, hw.gpu.name, tp, pp, ep, llm_dtype_name(dep.weight_dtype), llm_dtype_name(dep.kv_dtype),
           llm_dtype_name(dep.compute_dtype), c->compute_efficiency, c->memory_efficiency, c->comm_efficiency);
    printf("weights %.2f GB per GPU; KV %.0f bytes per token per GPU; KV budget %.2f GB per GPU = %.0f tokens per "
           "instance (reserve %.0f %%)\n",
           st_weight_bytes_per_gpu(m) / 1e9, st_kv_bytes_per_token_per_gpu(m),
           st_kv_budget_bytes_per_gpu(m, reserve) / 1e9, st_kv_capacity_tokens(m, reserve), 100 * reserve);
    if (have_shape) {
        st_time_t t;
        st_step(m, &shape, &t);
        mt_print_step(m, &hw, &shape, &t);
    }
    if (stat) {
        double total = st_static_batch_time_s(m, static_v[0], static_v[1], static_v[2]);
        printf("static batch %.0f x (%.0f in, %.0f out): %.3f s, %.1f output tokens/s per GPU\n", static_v[0],
               static_v[1], static_v[2], total, static_v[0] * static_v[2] / (total * st_gpus(m)));
    }
    int rc = KVT_EXIT_OK;
    if (steady) {
        st_steady_t s;
        if (st_steady_state(m, steady_v[0], steady_v[1], max_batch, reserve, &s)) {
            rc = cli_input_error("not one request of %.0f + %.0f tokens fits in the KV budget", steady_v[0],
                                 steady_v[1]);
        } else {
            double gpus = st_gpus(m);
            double gpu_w = pw_gpu_step_w(&hw.gpu, &s.step);
            printf("steady state, %.0f in / %.0f out per request, %.0f concurrent requests (KV fits %.0f):\n",
                   steady_v[0], steady_v[1], s.batch,
                   floor(st_kv_capacity_tokens(m, reserve) / (steady_v[0] + steady_v[1] / 2)));
            printf("  step %.2f ms; %.0f output tokens/s per instance = %.1f per GPU\n", s.step_s * 1e3, s.output_tok_s,
                   s.output_tok_s / gpus);
            printf("  compute-bound share %.2f; HBM %.2f TB/s per GPU\n", s.compute_bound_fraction,
                   s.hbm_bytes_per_s / gpus / 1e12);
            printf("  GPU power %.0f W each: %.2f output tokens per GPU-joule\n", gpu_w, s.output_tok_s / gpus / gpu_w);
            /* The node around the GPUs as a timed run counts it at the MLPerf Power boundary: CPUs idle plus
             * the engine's cores of every (always iterating) GPU, NVMe idle, the rest at its idle draw. */
            double node_w = hw.node.gpus * (gpu_w + pw_engine_cpu_w(&hw.node)) + hw.node.cpus * pw_cpu_w(&hw.node, 0) +
                            hw.node.nvme_drives * pw_ssd_w(hw.node.nvme_idle_w, hw.node.nvme_active_w, 0.0) +
                            pw_node_static_w(&hw.node);
            double node_tok = s.output_tok_s / gpus * hw.node.gpus;
            printf("  node (%u GPUs) %.0f W IT: %.2f output tokens per joule (%.2f with PUE %.2f)\n", hw.node.gpus,
                   node_w, node_tok / node_w, node_tok / pw_facility_w(&hw, node_w), hw.energy.pue);
        }
    }
    st_model_destroy(m);
    return rc;
}

const kvt_cmd_t kvt_cmd_model_time = {
    .name = "model-time",
    .summary = "step-time model for given shapes: one iteration, a static batch or the steady state",
    .usage =
        "usage: kvtwin model-time --hw PRESET --model PRESET [deployment] SHAPE...\n"
        "\n"
        "Prints the step-time model's answer without simulating: FLOPs, HBM bytes, the compute, memory,\n"
        "collective and overhead parts of one iteration, the KV budget, and GPU power from the power model.\n"
        "\n"
        "deployment:\n"
        "  --tp N --pp N --ep N       tensor, pipeline and expert parallelism (default 1)\n"
        "  --dtype DTYPE              weights, KV and compute in bf16, fp8 or fp4 (default bf16)\n"
        "  --weight-dtype / --kv-dtype / --compute-dtype DTYPE\n"
        "  --reserve FRACTION         share of HBM kept for activations (default 0.1)\n"
        "  --set PATH=VALUE           override a hardware preset value (e.g. gpu.calib.step_overhead_s=0)\n"
        "shapes (repeatable, summed into one iteration):\n"
        "  --prefill TOKENS[@CTX]     a prefill chunk of TOKENS after CTX cached tokens\n"
        "  --decode N@CTX             N requests decoding one token each at context CTX\n"
        "runs:\n"
        "  --static BATCH,ISL,OSL     a static batch: one prefill then OSL - 1 decode steps\n"
        "  --steady ISL,OSL           continuous batching at full concurrency (capped by the KV budget and\n"
        "                             --max-batch N): throughput, power and tokens per joule\n"
        "\n"
        "example (MLPerf-like Llama-2-70B offline on one H100 TP2 instance, FP8, batch 896):\n"
        "  kvtwin model-time --hw dgx-h100 --model llama-2-70b --tp 2 --dtype fp8 --steady 300,294 --max-batch 896\n",
    .main = cmd_main,
};
