/* Fetch-or-recompute (sim/kv/fetch.h): the load-time arithmetic, the decision on hand-built paths, and
 * VALIDATION.md section 4: the break-even bandwidth for an 8,192-token LLaMA3-70B prefix (320 KiB of KV per
 * token at 16 bits) on 8 x A800 (5.86 GB/s) and 8 x H800 (18.6 GB/s), within 10 %, from kvtwin's own
 * step-time model under the paper's assumptions: matmuls at peak FLOP/s and no cost for the tensor-parallel
 * collectives (Eq. 2 counts FLOPs only; here NVLink is made too fast to matter). The GPUs are the DGX-H100
 * preset with the published differences: A800 = A100 (312 TFLOP/s BF16, 2.0 TB/s HBM), both with 400 GB/s
 * NVLink. The figures with real NVLink and with the preset's fitted efficiencies are lower (recompute is
 * slower than Eq. 2 assumes); they are printed for docs/validation.md and checked to be ordered. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/llm.h"
#include "models/steptime.h"
#include "sim/config/config_models.h"
#include "sim/kv/fetch.h"
#include "testutil.h"

/* free_comm: NVLink so fast that the collectives cost nothing (Eq. 2's assumption). */
static st_model_t *model_ex(const char *gpu, bool peak, bool free_comm, llm_t *llm_out)
{
    /* A800 = A100 with NVLink cut to 400 GB/s. */
    const char *a800[] = {"gpu.name=\"A800-SXM4-80GB\"",
                          free_comm ? "gpu.nvlink_bandwidth_byte_s=1e18" : "gpu.nvlink_bandwidth_byte_s=200e9"};
    const char *h800[] = {"gpu.name=\"H800-SXM5-80GB\"",
                          free_comm ? "gpu.nvlink_bandwidth_byte_s=1e18" : "gpu.nvlink_bandwidth_byte_s=200e9"};
    bool is_a = strcmp(gpu, "A800") == 0;
    hw_pod_t hw;
    char err[512];
    int rc = cfg_hw_load(is_a ? "dgx-a100" : "dgx-h100", is_a ? a800 : h800, 2, &hw, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_msg(cfg_llm_load("llama-3.1-70b", NULL, 0, llm_out, err, sizeof err) == 0, "%s", err);
    st_deploy_t dep = {{8, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    st_calib_t cal = hw.gpu.calib;
    if (peak) {
        memset(&cal, 0, sizeof cal);
        cal.compute_efficiency = cal.memory_efficiency = cal.comm_efficiency = 1;
    }
    st_model_t *m = st_model_create(&hw.gpu, llm_out, &dep, &cal, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    return m;
}

static st_model_t *model(const char *gpu, bool peak, llm_t *llm_out)
{
    return model_ex(gpu, peak, true, llm_out);
}

START_TEST(load_time_parallel_hops)
{
    double bytes[KV_NTIERS] = {0, 2e9, 0, 4e9, 0};
    kv_fetch_hop_t hop[KV_NTIERS] = {{0, 0}, {100e9, 1e-5}, {0, 0}, {50e9, 1e-4}, {0, 0}};
    ck_assert_double_eq_tol(kv_fetch_load_s(bytes, hop), 1e-4 + 4e9 / 50e9, 1e-12);
    bytes[KV_G4] = 1;
    ck_assert(isinf(kv_fetch_load_s(bytes, hop)));
}
END_TEST

START_TEST(decision_follows_bandwidth)
{
    llm_t llm;
    st_model_t *m = model("H800", true, &llm);
    double per_tok = llm_kv_bytes_per_token(&llm, LLM_DT_BF16);
    ck_assert_double_eq_tol(per_tok, 327680, 1e-6);
    uint32_t bt = 512, n = 16; /* 8,192 tokens, all cached in G3.5, prompt 8,200 tokens */
    uint8_t tiers[16];
    memset(tiers, KV_G35, sizeof tiers);
    kv_fetch_hop_t hop[KV_NTIERS] = {{0, 0}};
    kv_fetch_plan_t plan;
    hop[KV_G35] = (kv_fetch_hop_t){100e9, 1e-5};
    ck_assert_uint_eq(kv_fetch_decide(m, tiers, n, 8200, bt, per_tok * bt, hop, &plan), n);
    ck_assert(plan.total_s < plan.full_prefill_s);
    ck_assert_double_eq_tol(plan.reused_tokens, 8192, 1e-9);
    hop[KV_G35].bandwidth_byte_s = 2e9; /* far below the break-even: recompute everything */
    ck_assert_uint_eq(kv_fetch_decide(m, tiers, n, 8200, bt, per_tok * bt, hop, &plan), 0);
    ck_assert_double_eq(plan.total_s, plan.full_prefill_s);
    /* G1 blocks are free: a G1 run then a slow tier keeps exactly the G1 run. */
    memset(tiers, KV_G1, 6);
    ck_assert_uint_eq(kv_fetch_decide(m, tiers, n, 8200, bt, per_tok * bt, hop, &plan), 6);
    ck_assert_double_eq(plan.load_s, 0);
    st_model_destroy(m);
}
END_TEST

START_TEST(break_even_mooncake_eq2)
{
    const char *gpus[2] = {"A800", "H800"};
    const double target[2] = {5.86e9, 18.6e9}, peak_flops[2] = {312e12, 989e12};
    for (int g = 0; g < 2; g++) {
        llm_t llm;
        st_model_t *peak = model_ex(gpus[g], true, true, &llm);
        st_model_t *nvl = model_ex(gpus[g], true, false, &llm);
        st_model_t *fit = model_ex(gpus[g], false, false, &llm);
        double per_tok = llm_kv_bytes_per_token(&llm, LLM_DT_BF16);
        double eq2 = kv_fetch_break_even_eq2_byte_s(&llm, 8192, per_tok, 4, 22, 8, peak_flops[g]);
        double be = kv_fetch_break_even_byte_s(peak, 8192, per_tok, 0);
        double be_nvl = kv_fetch_break_even_byte_s(nvl, 8192, per_tok, 0);
        double be_fit = kv_fetch_break_even_byte_s(fit, 8192, per_tok, 0);
        fprintf(stderr,
                "break-even %s: Eq.2 %.2f GB/s; step-time model, peak FLOP/s, free collectives %.2f GB/s (%+.1f %%, "
                "prefill %.3f s); peak with 400 GB/s NVLink %.2f GB/s (prefill %.3f s); preset's fitted efficiency "
                "%.2f GB/s (prefill %.3f s)\n",
                gpus[g], eq2 / 1e9, be / 1e9, 100 * (be / target[g] - 1), st_prefill_time_s(peak, 8192, 0),
                be_nvl / 1e9, st_prefill_time_s(nvl, 8192, 0), be_fit / 1e9, st_prefill_time_s(fit, 8192, 0));
        ck_assert_msg(fabs(eq2 / target[g] - 1) < 0.01, "Eq. 2 re-derivation %.3g vs %.3g", eq2, target[g]);
        ck_assert_msg(fabs(be / target[g] - 1) <= 0.10, "%s break-even %.3g GB/s, target %.3g", gpus[g], be / 1e9,
                      target[g] / 1e9);
        ck_assert(be_fit < be_nvl && be_nvl < be);
        st_model_destroy(peak);
        st_model_destroy(nvl);
        st_model_destroy(fit);
    }
}
END_TEST

static Suite *fetch_suite(void)
{
    Suite *s = suite_create("kv_fetch");
    TCase *tc = tcase_create("fetch");
    tcase_add_test(tc, load_time_parallel_hops);
    tcase_add_test(tc, decision_follows_bandwidth);
    tcase_add_test(tc, break_even_mooncake_eq2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(fetch_suite());
}
