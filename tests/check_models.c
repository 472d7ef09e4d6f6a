/* LLM architecture formulas (KV bytes per token for GQA, MLA and sliding-window layers; parameter
 * counts; parallel splits) and the step-time model (roofline regimes, parallelism, MoE, budgets). The
 * reference KV figures are those of ../shared/reference/parameters.md section 8. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/hw.h"
#include "models/llm.h"
#include "models/steptime.h"
#include "sim/config_models.h"
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

static st_calib_t ideal = {1.0, 1.0, 1.0, 0.0, 0.0, 0.0};

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
    ck_assert_msg(t.time_s > t_weights && t.time_s < 1.1 * t_weights + 0.001, "decode %g s vs weights %g s",
                  t.time_s, t_weights);
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

static Suite *models_suite(void)
{
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("llm");
    tcase_add_test(tc, kv_bytes_match_reference_table);
    tcase_add_test(tc, kv_bytes_sliding_window_caps_local_layers);
    tcase_add_test(tc, kv_bytes_mla_latent);
    tcase_add_test(tc, params_from_architecture);
    tcase_add_test(tc, parallel_split_errors_are_clear);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("steptime");
    tcase_add_test(st, step_decode_is_memory_bound_at_batch_one);
    tcase_add_test(st, step_prefill_is_compute_bound_for_long_prompts);
    tcase_add_test(st, step_empty_and_overheads);
    tcase_add_test(st, step_tensor_parallel_speeds_up_and_costs_comm);
    tcase_add_test(st, kv_budget_and_capacity);
    tcase_add_test(st, create_rejects_bad_deployments);
    suite_add_tcase(s, st);
    return s;
}

int main(void)
{
    return tu_run_suite(models_suite());
}
