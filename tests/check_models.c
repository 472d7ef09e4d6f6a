/* LLM architecture formulas (KV bytes per token for GQA, MLA and sliding-window layers; parameter
 * counts; parallel splits) and the step-time model (roofline regimes, parallelism, MoE, budgets). The
 * reference KV figures are those of ../shared/reference/parameters.md section 8. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/hw.h"
#include "models/llm.h"
#include "models/power.h"
#include "models/steptime.h"
#include "models/strun.h"
#include "sim/config/config_models.h"
#include "testutil.h"

static llm_t load_model(const char *name)
{
    llm_t m;
    char err[512];
    int rc = cfg_llm_load(name, NULL, 0, &m, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    return m;
}

static hw_pod_t load_hw(const char *name)
{
    hw_pod_t p;
    char err[512];
    int rc = cfg_hw_load(name, NULL, 0, &p, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
    return p;
}

static void expect_kv(const char *name, double bf16_growing, double fp8_growing)
{
    llm_t m = load_model(name);
    ck_assert_msg(llm_kv_bytes_per_token(&m, LLM_DT_BF16) == bf16_growing, "%s BF16: %g, expected %g", name,
                  llm_kv_bytes_per_token(&m, LLM_DT_BF16), bf16_growing);
    ck_assert_msg(llm_kv_bytes_per_token(&m, LLM_DT_FP8) == fp8_growing, "%s FP8: %g, expected %g", name,
                  llm_kv_bytes_per_token(&m, LLM_DT_FP8), fp8_growing);
}

START_TEST(kv_bytes_match_reference_table)
{
    /* parameters.md section 8: BF16 and FP8 bytes per token (growing part for sliding-window models). */
    expect_kv("llama-2-70b", 327680, 163840);
    expect_kv("llama-3.1-70b", 327680, 163840);
    expect_kv("llama-3.1-8b", 131072, 65536);
    expect_kv("llama-3.1-405b", 516096, 258048);
    expect_kv("qwen3-32b", 262144, 131072);
    expect_kv("qwen3-235b-a22b", 192512, 96256);
    expect_kv("deepseek-v3", 70272, 35136);
    expect_kv("kimi-k2", 70272, 35136);
    expect_kv("qwen2.5-14b-1m", 196608, 98304);
    /* gpt-oss: only the 18 full-attention layers grow (36,864 B/token BF16); below the 128-token window all
     * 36 layers count (73,728 B/token BF16, 36,864 FP8), as in the reference table */
    expect_kv("gpt-oss-120b", 36864, 18432);
    llm_t g = load_model("gpt-oss-120b");
    ck_assert_double_eq(llm_kv_bytes(&g, LLM_DT_BF16, 100) / 100, 73728.0);
    ck_assert_double_eq(llm_kv_bytes(&g, LLM_DT_FP8, 100) / 100, 36864.0);
    ck_assert_double_eq(llm_kv_bytes(&g, LLM_DT_BF16, 131072), 36864.0 * 131072 + 18 * 2 * 8 * 64 * 2.0 * 128);
    /* 128K tokens of Llama-3.1-70B in BF16: 40,960 MiB (reference table) */
    llm_t l = load_model("llama-3.1-70b");
    ck_assert_double_eq(llm_kv_bytes(&l, LLM_DT_BF16, 131072) / 1048576.0, 40960.0);
}
END_TEST

START_TEST(published_parameter_counts_match_architecture)
{
    /* llm_check (run by the binder) already rejects > 10 % disagreement; these are tighter. */
    static const struct {
        const char *name;
        double total, active;
    } ref[] = {{"llama-3.1-8b", 8.03e9, 0},      {"llama-3.1-405b", 405e9, 0}, {"qwen3-32b", 32.8e9, 0},
               {"qwen3-235b-a22b", 235e9, 22e9}, {"deepseek-v3", 671e9, 37e9}, {"kimi-k2", 1.04e12, 32e9},
               {"gpt-oss-120b", 117e9, 5.1e9},   {"bloom-176b", 176e9, 0},     {"qwen2.5-14b-1m", 14.7e9, 0}};
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        llm_t m = load_model(ref[i].name);
        llm_params_t p;
        llm_params(&m, &p);
        ck_assert_msg(fabs(p.total / ref[i].total - 1) < 0.02, "%s: %g parameters vs %g", ref[i].name, p.total,
                      ref[i].total);
        if (ref[i].active > 0)
            ck_assert_msg(fabs(p.active / ref[i].active - 1) < 0.04, "%s: %g active vs %g", ref[i].name, p.active,
                          ref[i].active);
    }
}
END_TEST

START_TEST(bad_model_values_rejected_with_path)
{
    llm_t m;
    char err[1024];
    const char *s1[] = {"kv_heads=5"};
    ck_assert_int_eq(cfg_llm_load("llama-3.1-70b", s1, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "kv_heads") && strstr(err, "not a multiple"), "got %s", err);
    const char *s2[] = {"hidden=4096"};
    ck_assert_int_eq(cfg_llm_load("llama-3.1-70b", s2, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "params_total") && strstr(err, "disagree"), "got %s", err);
    const char *s3[] = {"kv_lora_rank=0"};
    ck_assert_int_eq(cfg_llm_load("deepseek-v3", s3, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "kv_lora_rank"), "got %s", err);
    const char *s4[] = {"experts_active=300"};
    ck_assert_int_eq(cfg_llm_load("deepseek-v3", s4, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "experts_active") && strstr(err, "1..256"), "got %s", err);
    const char *s5[] = {"attention=\"linear\""};
    ck_assert_int_eq(cfg_llm_load("llama-3.1-8b", s5, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "attention") && strstr(err, "gqa, mla"), "got %s", err);
    const char *s6[] = {"layers=0"};
    ck_assert_int_eq(cfg_llm_load("llama-3.1-8b", s6, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "layers") && strstr(err, ">= 1"), "got %s", err);
    const char *s7[] = {"sliding_window_layers=36"};
    ck_assert_int_eq(cfg_llm_load("gpt-oss-120b", s7, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "sliding_window_layers"), "got %s", err);
    const char *s8[] = {"shared_experts=1"};
    ck_assert_int_eq(cfg_llm_load("llama-3.1-8b", s8, 1, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "shared_experts") && strstr(err, "dense model"), "got %s", err);
    ck_assert_int_eq(cfg_llm_load("no-such-model", NULL, 0, &m, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "available: ") && strstr(err, "llama-2-70b"), "got %s", err);
}
END_TEST

START_TEST(kv_bytes_sliding_window_caps_local_layers)
{
    llm_t m;
    llm_defaults(&m);
    snprintf(m.name, sizeof m.name, "toy");
    m.layers = 4;
    m.hidden = 256;
    m.heads = 4;
    m.kv_heads = 2;
    m.head_dim = 64;
    m.intermediate = 512;
    m.vocab = 1000;
    m.max_context_tokens = 4096;
    m.sliding_window_layers = 2;
    m.sliding_window_tokens = 128;
    /* per layer per token: 2 x 2 heads x 64 x 2 bytes = 512 bytes */
    ck_assert_double_eq(llm_kv_bytes_per_token_layer(&m, LLM_DT_BF16), 512.0);
    ck_assert_double_eq(llm_kv_bytes_per_token(&m, LLM_DT_BF16), 2 * 512.0);
    /* below the window every layer grows */
    ck_assert_double_eq(llm_kv_bytes(&m, LLM_DT_BF16, 100), 4 * 512.0 * 100);
    /* above it the local layers stop at 128 tokens */
    ck_assert_double_eq(llm_kv_bytes(&m, LLM_DT_BF16, 1000), 2 * 512.0 * 1000 + 2 * 512.0 * 128);
    ck_assert_double_eq(llm_kv_bytes(&m, LLM_DT_FP4, 1000), (2 * 512.0 * 1000 + 2 * 512.0 * 128) / 4);
}
END_TEST

START_TEST(kv_bytes_mla_latent)
{
    llm_t m;
    llm_defaults(&m);
    m.attention = LLM_ATTN_MLA;
    m.layers = 61;
    m.kv_lora_rank = 512;
    m.qk_rope_head_dim = 64;
    /* DeepSeek-V3 layout: 61 x (512 + 64) x 2 bytes = 70,272 (parameters.md section 8) */
    ck_assert_double_eq(llm_kv_bytes_per_token(&m, LLM_DT_BF16), 70272.0);
    ck_assert_double_eq(llm_kv_bytes_per_token(&m, LLM_DT_FP8), 35136.0);
    /* kv_heads is irrelevant for MLA: the latent is replicated, never split by heads */
    ck_assert_double_eq(llm_kv_heads_per_gpu(&m, 8), 1.0);
}
END_TEST

START_TEST(params_from_architecture)
{
    llm_t m = load_model("llama-2-70b");
    llm_params_t p;
    llm_params(&m, &p);
    /* 80 x (8192 x 8192 x 2 + 2 x 8192 x 1024 + 3 x 8192 x 28672) + 2 x 32000 x 8192 */
    double expect = 80.0 * (2.0 * 8192 * 8192 + 2.0 * 8192 * 1024 + 3.0 * 8192 * 28672) + 2.0 * 32000 * 8192;
    ck_assert_double_eq_tol(p.total, expect, 1.0);
    ck_assert_double_eq_tol(p.total / 1e9, 68.98, 0.01);
    ck_assert_uint_eq(p.moe_layers, 0);
    ck_assert_double_eq_tol(llm_weight_bytes(&m, LLM_DT_FP8), expect, 1.0);
    /* a MoE toy: 2 layers, 1 dense then 1 MoE with 4 experts top-1 plus 1 shared */
    llm_t t;
    llm_defaults(&t);
    t.layers = 2;
    t.hidden = 10;
    t.heads = 2;
    t.kv_heads = 1;
    t.head_dim = 5;
    t.intermediate = 20;
    t.experts = 4;
    t.experts_active = 1;
    t.shared_experts = 1;
    t.dense_layers = 1;
    t.dense_intermediate = 40;
    t.vocab = 100;
    t.tied_embeddings = true;
    llm_params(&t, &p);
    double attn = 10 * 10 + 2 * 10 * 5 + 10 * 10; /* q + kv + o */
    double expert = 3 * 10 * 20, dense = 3 * 10 * 40, router = 10 * 4;
    ck_assert_double_eq(p.attn_per_layer, attn);
    ck_assert_double_eq(p.total, 2 * attn + dense + router + 5 * expert + 100 * 10);
    ck_assert_double_eq(p.active, 2 * attn + dense + router + 2 * expert + 100 * 10);
}
END_TEST

START_TEST(parallel_split_errors_are_clear)
{
    llm_t m = load_model("llama-3.1-70b");
    char err[256];
    llm_parallel_t par = {3, 1, 1};
    ck_assert_int_eq(llm_check_parallel(&m, &par, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "does not divide the 8 KV heads") != NULL, "got %s", err);
    par = (llm_parallel_t){16, 1, 1}; /* 16 > 8 KV heads: each KV head is held by two GPUs */
    ck_assert_int_eq(llm_check_parallel(&m, &par, err, sizeof err), 0);
    ck_assert_double_eq(llm_kv_heads_per_gpu(&m, 16), 1.0);
    ck_assert_double_eq(llm_kv_heads_per_gpu(&m, 4), 2.0);
    par = (llm_parallel_t){8, 3, 1};
    ck_assert_int_eq(llm_check_parallel(&m, &par, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "pipeline parallelism 3") != NULL, "got %s", err);
    par = (llm_parallel_t){8, 1, 2};
    ck_assert_int_eq(llm_check_parallel(&m, &par, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "needs a MoE model") != NULL, "got %s", err);
    par = (llm_parallel_t){0, 1, 1};
    ck_assert_int_eq(llm_check_parallel(&m, &par, err, sizeof err), -1);
}
END_TEST

/* The step-time model of llama-2-70b on an H100 preset with the calibration replaced by a simple one
 * whose numbers the assertions below can follow by hand. */
static st_model_t *make_model(const hw_pod_t *hw, const llm_t *m, unsigned tp, int dtype, st_calib_t *cal)
{
    st_deploy_t dep = {{tp, 1, 1}, dtype, dtype, dtype};
    char err[256];
    st_model_t *sm = st_model_create(&hw->gpu, m, &dep, cal, err, sizeof err);
    ck_assert_msg(sm != NULL, "%s", err);
    return sm;
}

static st_calib_t ideal = {1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0};

static st_model_t *make_model(const hw_pod_t *hw, const llm_t *m, unsigned tp, int dtype, st_calib_t *cal);

START_TEST(step_decode_is_memory_bound_at_batch_one)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    st_model_t *sm = make_model(&hw, &m, 8, LLM_DT_BF16, &ideal);
    st_shape_t s = {0};
    st_shape_add_decode(&s, 1000);
    st_time_t t;
    st_step(sm, &s, &t);
    /* One token: the step reads every weight once (2 bytes each, split over 8 GPUs) plus the KV. */
    llm_params_t p;
    llm_params(&m, &p);
    double weights = p.total * 2.0 / 8.0 - p.embedding * 2.0 / 8.0; /* the embedding table is only gathered */
    double t_weights = weights / 3.35e12;
    ck_assert_msg(t.time_s > t_weights && t.time_s < 1.1 * t_weights + 0.001, "decode %g s vs weights %g s", t.time_s,
                  t_weights);
    ck_assert_double_eq_tol(t.compute_bound_fraction, 0.0, 1e-12);
    ck_assert(t.memory_s > 0 && t.compute_s == 0);
    ck_assert(t.comm_s > 0); /* two all-reduces per layer at tp 8 */
    /* twice the context reads more KV: a little slower */
    st_shape_t s2 = {0};
    st_shape_add_decode(&s2, 2000);
    st_time_t t2;
    st_step(sm, &s2, &t2);
    ck_assert(t2.time_s > t.time_s);
    st_model_destroy(sm);
}
END_TEST

START_TEST(step_prefill_is_compute_bound_for_long_prompts)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    st_model_t *sm = make_model(&hw, &m, 8, LLM_DT_BF16, &ideal);
    double t8k = st_prefill_time_s(sm, 8192, 0);
    llm_params_t p;
    llm_params(&m, &p);
    /* linear layers: 2 FLOPs per parameter per token; causal attention adds 4 x 80 layers x 8192
     * (64 heads x 128) per (query, key) pair, about 8 % more at 8K tokens */
    double linear = 2.0 * (p.active - p.lm_head) * 8192 / 8 / 989e12;
    double attn = 4.0 * 80 * 8192 * (8192.0 * 8193.0 / 2) / 8 / 989e12;
    st_shape_t s = {0};
    st_shape_add_prefill(&s, 8192, 0);
    st_time_t t;
    st_step(sm, &s, &t);
    ck_assert_double_eq_tol(t.compute_s, linear + attn + 2.0 * p.lm_head / 8 / 989e12, 1e-9);
    ck_assert_double_eq(t.time_s, t8k);
    /* the all-reduces move 2 x 7/8 of 8192 x 8192 x 2 bytes twice per layer at 450 GB/s */
    ck_assert_double_eq_tol(t.comm_s, 160 * 1.75 * 8192 * 8192 * 2.0 / 450e9, 1e-9);
    ck_assert(t.compute_bound_fraction > 0.5);
    /* attention grows quadratically: a chunk after a long context costs more than the same chunk alone */
    ck_assert(st_prefill_time_s(sm, 1024, 30000) > st_prefill_time_s(sm, 1024, 0));
    /* doubling the prompt more than doubles nothing but stays within 2.3x (linear part dominates) */
    double t16k = st_prefill_time_s(sm, 16384, 0);
    ck_assert(t16k > 2.0 * t8k * 0.98 && t16k < 2.3 * t8k);
    st_model_destroy(sm);
}
END_TEST

START_TEST(step_empty_and_overheads)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    st_calib_t cal = ideal;
    cal.step_overhead_s = 0.01;
    cal.per_seq_overhead_s = 0.001;
    st_model_t *sm = make_model(&hw, &m, 4, LLM_DT_BF16, &cal);
    st_shape_t empty = {0};
    st_time_t t;
    st_step(sm, &empty, &t);
    ck_assert_double_eq(t.time_s, 0.0);
    st_shape_t s = {0};
    for (int i = 0; i < 10; i++)
        st_shape_add_decode(&s, 500);
    st_step(sm, &s, &t);
    ck_assert_double_eq_tol(t.overhead_s, 0.01 + 10 * 0.001, 1e-15);
    ck_assert_double_eq_tol(t.time_s, t.compute_s + t.memory_s + t.comm_s + t.overhead_s, 1e-15);
    st_model_destroy(sm);
}
END_TEST

START_TEST(step_tensor_parallel_speeds_up_and_costs_comm)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    st_model_t *tp2 = make_model(&hw, &m, 2, LLM_DT_BF16, &ideal);
    st_model_t *tp8 = make_model(&hw, &m, 8, LLM_DT_BF16, &ideal);
    double a = st_prefill_time_s(tp2, 4096, 0), b = st_prefill_time_s(tp8, 4096, 0);
    ck_assert(b < a);
    ck_assert(b > a / 4.0); /* communication keeps the speed-up below 4x */
    /* the single-GPU instance has no collectives at all */
    st_model_t *tp1 = make_model(&hw, &m, 1, LLM_DT_FP8, &ideal);
    st_shape_t s = {0};
    st_shape_add_prefill(&s, 512, 0);
    st_time_t t;
    st_step(tp1, &s, &t);
    ck_assert_double_eq(t.comm_s, 0.0);
    st_model_destroy(tp1);
    st_model_destroy(tp2);
    st_model_destroy(tp8);
}
END_TEST

START_TEST(kv_budget_and_capacity)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    st_model_t *sm = make_model(&hw, &m, 2, LLM_DT_FP8, &ideal);
    llm_params_t p;
    llm_params(&m, &p);
    double w = p.total / 2.0; /* FP8 weights over 2 GPUs */
    ck_assert_double_eq_tol(st_weight_bytes_per_gpu(sm), w, 1.0);
    ck_assert_double_eq_tol(st_kv_budget_bytes_per_gpu(sm, 0.1), 80e9 * 0.9 - w, 1.0);
    /* each GPU of tp 2 holds 4 of the 8 KV heads: 80 layers x 2 x 4 x 128 x 1 byte */
    ck_assert_double_eq(st_kv_bytes_per_token_per_gpu(sm), 80.0 * 2 * 4 * 128);
    ck_assert_double_eq_tol(st_kv_capacity_tokens(sm, 0.1), (80e9 * 0.9 - w) / 81920.0, 1e-6);
    /* all of HBM reserved: nothing left, never negative */
    ck_assert_double_eq(st_kv_budget_bytes_per_gpu(sm, 1.0), 0.0);
    st_model_destroy(sm);
}
END_TEST

START_TEST(create_rejects_bad_deployments)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    char err[256];
    st_deploy_t dep = {{1, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    /* 138 GB of BF16 weights on one 80 GB GPU */
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &ideal, err, sizeof err));
    ck_assert_msg(strstr(err, "more than the 80.0 GB of HBM") != NULL, "got %s", err);
    dep = (st_deploy_t){{16, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &ideal, err, sizeof err));
    ck_assert_msg(strstr(err, "exceeds the NVLink domain of 8 GPUs") != NULL, "got %s", err);
    dep = (st_deploy_t){{8, 1, 1}, LLM_DT_FP4, LLM_DT_FP8, LLM_DT_FP4};
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &ideal, err, sizeof err));
    ck_assert_msg(strstr(err, "no fp4 tensor cores") != NULL, "got %s", err);
    dep = (st_deploy_t){{6, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &ideal, err, sizeof err));
    ck_assert_msg(strstr(err, "KV heads") != NULL, "got %s", err);
    dep = (st_deploy_t){{8, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_FP8};
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &ideal, err, sizeof err));
    ck_assert_msg(strstr(err, "weight_dtype") != NULL, "got %s", err);
    st_calib_t bad = ideal;
    bad.memory_efficiency = 1.5;
    dep = (st_deploy_t){{8, 1, 1}, LLM_DT_BF16, LLM_DT_BF16, LLM_DT_BF16};
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &bad, err, sizeof err));
    ck_assert_msg(strstr(err, "memory_efficiency 1.5") != NULL, "got %s", err);
    /* no calibration given: the preset's own is used */
    st_model_t *sm = st_model_create(&hw.gpu, &m, &dep, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(sm);
    ck_assert_double_eq(st_calib(sm)->compute_efficiency, hw.gpu.calib.compute_efficiency);
    st_model_destroy(sm);
}
END_TEST

START_TEST(moe_reads_only_touched_experts)
{
    hw_pod_t hw = load_hw("vera-rubin-nvl72");
    llm_t m = load_model("qwen3-235b-a22b");
    st_deploy_t dep = {{8, 1, 1}, LLM_DT_FP8, LLM_DT_FP8, LLM_DT_FP8};
    char err[256];
    st_model_t *sm = st_model_create(&hw.gpu, &m, &dep, &ideal, err, sizeof err);
    ck_assert_msg(sm != NULL, "%s", err);
    llm_params_t p;
    llm_params(&m, &p);
    st_shape_t one = {0};
    st_shape_add_decode(&one, 10);
    st_time_t t1;
    st_step(sm, &one, &t1);
    /* one token touches 8 of 128 experts per layer: the step reads about the active parameters, not all */
    double active_bytes = p.active - p.embedding * 0; /* FP8: one byte per parameter */
    ck_assert_msg(t1.hbm_bytes > 0.9 * active_bytes && t1.hbm_bytes < 1.2 * active_bytes,
                  "batch 1 reads %g bytes, active parameters %g", t1.hbm_bytes, active_bytes);
    /* thousands of tokens touch every expert: all the weights are read once, whatever the batch, on top of
     * per-token traffic (KV, activations); two large batches separate the two */
    st_shape_t b2k = {0}, b4k = {0};
    for (int i = 0; i < 2048; i++) {
        st_shape_add_decode(&b2k, 10);
        st_shape_add_decode(&b4k, 10);
        st_shape_add_decode(&b4k, 10);
    }
    st_time_t t2, t4;
    st_step(sm, &b2k, &t2);
    st_step(sm, &b4k, &t4);
    double weights = p.total - p.embedding;
    double once = 2 * t2.hbm_bytes - t4.hbm_bytes;
    ck_assert_msg(fabs(once / weights - 1) < 0.01, "weights read once per step: %g bytes, weights %g", once, weights);
    /* FLOPs follow the active parameters: 2 per active parameter per token (plus attention) */
    ck_assert_double_eq_tol(t1.flops / (2.0 * (p.active)), 1.0, 0.01);
    st_model_destroy(sm);
}
END_TEST

START_TEST(mla_latent_is_replicated_across_tp)
{
    hw_pod_t hw = load_hw("vera-rubin-nvl72");
    llm_t ds = load_model("deepseek-v3");
    llm_t ll = load_model("llama-3.1-70b");
    st_model_t *a = make_model(&hw, &ds, 8, LLM_DT_FP8, &ideal);
    st_model_t *b = make_model(&hw, &ll, 8, LLM_DT_FP8, &ideal);
    /* the 576-element latent is needed by every head: each GPU holds all of it */
    ck_assert_double_eq(st_kv_bytes_per_token_per_gpu(a), 61.0 * 576);
    /* GQA splits its 8 KV heads over 8 GPUs: one head each */
    ck_assert_double_eq(st_kv_bytes_per_token_per_gpu(b), 80.0 * 2 * 128);
    /* absorbed MLA decode attends over the latent: 2 x 16 heads per GPU x (2 x 512 + 64) FLOPs per pair */
    st_shape_t s = {0};
    st_shape_add_decode(&s, 10000);
    st_time_t t;
    st_step(a, &s, &t);
    llm_params_t p;
    llm_params(&ds, &p);
    double linear = 2.0 * p.active; /* one token, whole instance */
    double attn = 61.0 * 2.0 * 128 * (2.0 * 512 + 64) * 10000;
    ck_assert_double_eq_tol(t.flops / (linear + attn), 1.0, 0.01);
    st_model_destroy(a);
    st_model_destroy(b);
}
END_TEST

START_TEST(expert_parallel_uses_all_to_all)
{
    hw_pod_t hw = load_hw("vera-rubin-nvl72");
    llm_t m = load_model("qwen3-235b-a22b");
    char err[256];
    st_calib_t cal = ideal;
    cal.collective_latency_s = 1e-6;
    st_deploy_t dep = {{8, 1, 1}, LLM_DT_FP8, LLM_DT_FP8, LLM_DT_FP8};
    st_model_t *tp = st_model_create(&hw.gpu, &m, &dep, &cal, err, sizeof err);
    dep.par.ep = 8;
    st_model_t *ep = st_model_create(&hw.gpu, &m, &dep, &cal, err, sizeof err);
    ck_assert_ptr_nonnull(tp);
    ck_assert_ptr_nonnull(ep);
    st_shape_t s = {0};
    for (int i = 0; i < 64; i++)
        st_shape_add_decode(&s, 2000);
    st_time_t a, b;
    st_step(tp, &s, &a);
    st_step(ep, &s, &b);
    /* TP: 2 x 94 all-reduces of 14 ring hops; EP: 94 all-reduces plus 2 x 94 all-to-alls of 7 hops */
    double lat_tp = 2 * 94 * 14 * 1e-6, lat_ep = 94 * 14 * 1e-6 + 2 * 94 * 7 * 1e-6;
    ck_assert(a.comm_s > lat_tp && a.comm_s < lat_tp + 0.001);
    ck_assert(b.comm_s > lat_ep && b.comm_s < lat_ep + 0.001);
    /* with k = ep = 8, dispatch plus combine move as much as the ring all-reduce they replace */
    ck_assert_double_eq_tol(b.nvlink_bytes / a.nvlink_bytes, 1.0, 1e-9);
    ck_assert_double_eq_tol(a.nvlink_bytes, 64 * 2 * 94 * 1.75 * 4096 * 2, 1e-3);
    st_model_destroy(tp);
    st_model_destroy(ep);
    dep.par.ep = 3;
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &cal, err, sizeof err));
    ck_assert_msg(strstr(err, "128 experts it divides") != NULL, "got %s", err);
    dep.par.ep = 16;
    ck_assert_ptr_null(st_model_create(&hw.gpu, &m, &dep, &cal, err, sizeof err));
    ck_assert_msg(strstr(err, "must divide tensor parallelism 8") != NULL, "got %s", err);
}
END_TEST

START_TEST(sliding_window_layers_read_less_kv)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("gpt-oss-120b");
    llm_t full = m;
    full.sliding_window_layers = 0;
    full.sliding_window_tokens = 0;
    st_model_t *a = make_model(&hw, &m, 4, LLM_DT_FP8, &ideal);
    st_model_t *b = make_model(&hw, &full, 4, LLM_DT_FP8, &ideal);
    st_shape_t s = {0};
    for (int i = 0; i < 32; i++)
        st_shape_add_decode(&s, 100000);
    st_time_t ta, tb;
    st_step(a, &s, &ta);
    st_step(b, &s, &tb);
    /* KV read: 18 global layers x 100k tokens + 18 windowed x 128, against 36 x 100k */
    double per_layer_token = st_kv_bytes_per_token_per_gpu(a) / 18.0;
    double kv_a = 32 * per_layer_token * (18 * 100000.0 + 18 * 128.0 + 36);
    double kv_b = 32 * per_layer_token * (36 * 100000.0 + 36);
    ck_assert_double_eq_tol((tb.hbm_bytes - ta.hbm_bytes) / 4, kv_b - kv_a, 1.0);
    ck_assert(ta.time_s < tb.time_s);
    st_model_destroy(a);
    st_model_destroy(b);
}
END_TEST

START_TEST(steady_state_and_static_batch)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-2-70b");
    st_model_t *sm = make_model(&hw, &m, 2, LLM_DT_FP8, &ideal);
    st_steady_t s;
    ck_assert_int_eq(st_steady_state(sm, 300, 300, 64, 0.1, &s), 0);
    ck_assert_double_eq(s.batch, 64);
    /* 64 requests decode for 299 steps: 64/299 finish per step, each with 300 tokens */
    ck_assert_double_eq_tol(s.output_tok_s, 64.0 / 299 * 300 / s.step_s, 1e-6);
    /* more concurrency, more throughput (until the KV budget caps it) */
    st_steady_t s2;
    ck_assert_int_eq(st_steady_state(sm, 300, 300, 512, 0.1, &s2), 0);
    ck_assert(s2.output_tok_s > s.output_tok_s);
    st_steady_t s3;
    ck_assert_int_eq(st_steady_state(sm, 300, 300, 0, 0.1, &s3), 0);
    ck_assert_double_eq(s3.batch, floor(st_kv_capacity_tokens(sm, 0.1) / 450));
    /* nothing fits when the reserve takes everything */
    ck_assert_int_eq(st_steady_state(sm, 300, 300, 0, 0.99, &s3), -1);
    /* a static batch is one prefill plus osl - 1 decode steps */
    double total = st_static_batch_time_s(sm, 8, 100, 3);
    st_shape_t d1 = {0}, d2 = {0};
    for (int i = 0; i < 8; i++) {
        st_shape_add_decode(&d1, 101);
        st_shape_add_decode(&d2, 102);
    }
    st_shape_t pf = {0};
    for (int i = 0; i < 8; i++)
        st_shape_add_prefill(&pf, 100, 0);
    st_time_t a, b, c;
    st_step(sm, &pf, &a);
    st_step(sm, &d1, &b);
    st_step(sm, &d2, &c);
    ck_assert_double_eq_tol(total, a.time_s + b.time_s + c.time_s, 1e-12);
    st_model_destroy(sm);
}
END_TEST

START_TEST(step_is_cheap)
{
    hw_pod_t hw = load_hw("vera-rubin-nvl72");
    llm_t m = load_model("qwen3-235b-a22b");
    st_model_t *sm = make_model(&hw, &m, 8, LLM_DT_FP8, NULL);
    st_shape_t s = {0};
    st_shape_add_prefill(&s, 512, 4096);
    for (int i = 0; i < 100; i++)
        st_shape_add_decode(&s, 3000);
    double sum = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 200000; i++) {
        st_time_t t;
        s.decode_ctx_tokens += 1;
        st_step(sm, &s, &t);
        sum += t.time_s;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double per = ((double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec)) / 200000;
    ck_assert(sum > 0);
    /* ~100 ns expected; the bound leaves room for sanitizer builds and a shared machine */
    ck_assert_msg(per < 5e-6, "st_step takes %g s", per);
    st_model_destroy(sm);
}
END_TEST

/* A decode step split into its batch-wide part and its attention (st_decode_base/st_decode_step) gives the
 * very doubles st_step gives: dense, MoE with expert parallelism, MLA and sliding-window models. */
START_TEST(decode_step_matches_st_step_bit_for_bit)
{
    static const struct {
        const char *hw, *model;
        unsigned tp, ep;
    } cases[] = {{"dgx-h100", "llama-3.1-70b", 8, 1},
                 {"vera-rubin-nvl72", "qwen3-235b-a22b", 8, 8},
                 {"vera-rubin-nvl72", "deepseek-v3", 8, 1},
                 {"dgx-h100", "gpt-oss-120b", 4, 1}};
    static const double seqs[] = {1, 7, 128};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hw_pod_t hw = load_hw(cases[c].hw);
        llm_t m = load_model(cases[c].model);
        char err[256];
        st_deploy_t dep = {{cases[c].tp, 1, cases[c].ep}, LLM_DT_FP8, LLM_DT_FP8, LLM_DT_FP8};
        st_model_t *sm = st_model_create(&hw.gpu, &m, &dep, NULL, err, sizeof err);
        ck_assert_msg(sm != NULL, "%s: %s", cases[c].model, err);
        for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
            st_decode_base_t base;
            st_decode_base(sm, seqs[i], &base);
            for (double ctx = seqs[i] * 17; ctx < seqs[i] * 300000; ctx = ctx * 3 + seqs[i]) {
                st_shape_t s = {.decode_seqs = seqs[i], .decode_ctx_tokens = ctx};
                st_time_t a, b;
                st_step(sm, &s, &a);
                st_decode_step(sm, &base, ctx, &b);
                ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "%s, %g decodes, %g tokens: %.17g s vs %.17g s",
                              cases[c].model, seqs[i], ctx, a.time_s, b.time_s);
            }
        }
        st_model_destroy(sm);
    }
}
END_TEST

/* The decode-run table: a run resumed after an early stop takes the earlier run's later steps instead of
 * computing them, and every step, computed or taken, is st_step and pw_gpu_cap on its shape (under a power
 * cap that binds, so the cap's bisection is part of what is kept). */
START_TEST(decode_run_table_reuses_exact_steps)
{
    hw_pod_t hw = load_hw("dgx-h100");
    llm_t m = load_model("llama-3.1-70b");
    char err[256];
    st_deploy_t dep = {{8, 1, 1}, LLM_DT_FP8, LLM_DT_FP8, LLM_DT_FP8};
    st_model_t *sm = st_model_create(&hw.gpu, &m, &dep, NULL, err, sizeof err);
    ck_assert_msg(sm != NULL, "%s", err);
    hw.gpu.power_cap_w = hw.gpu.idle_w + 0.3 * (hw.gpu.tdp_w - hw.gpu.idle_w);
    st_run_t run;
    st_run_init(&run, sm, &hw.gpu);
    struct {
        double seqs, ctx0;
        uint32_t n;
        uint64_t reused; /* steps the call should take from the table */
    } calls[] = {
        {32, 40000, 100, 0},             /* a fresh run */
        {32, 40000 + 37 * 32, 200, 63},  /* stopped after 37 steps, resumed: steps 38..100 are kept */
        {32, 40000 + 50 * 32, 20, 20},   /* stopped again after 13: a shorter run, all kept */
        {33, 40000 + 50 * 32, 20, 0},    /* one more request: another batch */
        {33, 40000 + 50 * 32 + 5, 9, 0}, /* a context that is no step of the held run */
    };
    uint64_t reused = 0, computed = 0;
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        const st_time_t *steps = st_run_steps(&run, calls[c].seqs, calls[c].ctx0, calls[c].n);
        ck_assert_msg(run.reused - reused == calls[c].reused, "call %zu reused %llu steps, expected %llu", c,
                      (unsigned long long)(run.reused - reused), (unsigned long long)calls[c].reused);
        ck_assert_uint_eq(run.computed - computed, calls[c].n - calls[c].reused);
        reused = run.reused;
        computed = run.computed;
        bool capped = false;
        for (uint32_t j = 1; j <= calls[c].n; j++) {
            st_shape_t s = {.decode_seqs = calls[c].seqs, .decode_ctx_tokens = calls[c].ctx0 + (j - 1) * calls[c].seqs};
            st_time_t t;
            st_step(sm, &s, &t);
            pw_gpu_cap(&hw.gpu, &t);
            capped |= t.cap_stretch > 1;
            ck_assert_msg(memcmp(&t, &steps[j - 1], sizeof t) == 0, "call %zu step %u differs", c, j);
        }
        ck_assert_msg(capped, "the power cap never bound: the test would not see a lost stretch");
    }
    st_run_free(&run);
    st_model_destroy(sm);
}
END_TEST

static Suite *models_suite(void)
{
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("llm");
    tcase_add_test(tc, kv_bytes_match_reference_table);
    tcase_add_test(tc, kv_bytes_sliding_window_caps_local_layers);
    tcase_add_test(tc, kv_bytes_mla_latent);
    tcase_add_test(tc, params_from_architecture);
    tcase_add_test(tc, parallel_split_errors_are_clear);
    tcase_add_test(tc, published_parameter_counts_match_architecture);
    tcase_add_test(tc, bad_model_values_rejected_with_path);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("steptime");
    tcase_add_test(st, step_decode_is_memory_bound_at_batch_one);
    tcase_add_test(st, step_prefill_is_compute_bound_for_long_prompts);
    tcase_add_test(st, step_empty_and_overheads);
    tcase_add_test(st, step_tensor_parallel_speeds_up_and_costs_comm);
    tcase_add_test(st, kv_budget_and_capacity);
    tcase_add_test(st, create_rejects_bad_deployments);
    tcase_add_test(st, moe_reads_only_touched_experts);
    tcase_add_test(st, mla_latent_is_replicated_across_tp);
    tcase_add_test(st, expert_parallel_uses_all_to_all);
    tcase_add_test(st, sliding_window_layers_read_less_kv);
    tcase_add_test(st, steady_state_and_static_batch);
    tcase_add_test(st, step_is_cheap);
    tcase_add_test(st, decode_step_matches_st_step_bit_for_bit);
    tcase_add_test(st, decode_run_table_reuses_exact_steps);
    suite_add_tcase(s, st);
    return s;
}

int main(void)
{
    return tu_run_suite(models_suite());
}
