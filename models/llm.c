/* KV and weight sizes of an LLM; see llm.h.
 * GQA: 2 (K and V) x layers x kv_heads x head_dim elements per token. MLA keeps one compressed latent plus
 * the decoupled RoPE key per layer: (kv_lora_rank + qk_rope_head_dim) elements. Sliding-window layers stop
 * growing at their window, so they are left out of the per-token figure and capped in llm_kv_bytes. */
#include "models/llm.h"

#include <stdio.h>

double llm_dtype_bytes(int dtype)
{
    switch (dtype) {
    case LLM_DT_FP8:
        return 1.0;
    case LLM_DT_FP4:
        return 0.5;
    default:
        return 2.0;
    }
}

/* Elements of KV per token per layer. */
static double llm_kv_elems_per_layer(const llm_t *m)
{
    if (m->attention == LLM_ATTN_MLA)
        return (double)m->kv_lora_rank + (double)m->qk_rope_head_dim;
    return 2.0 * (double)m->kv_heads * (double)m->head_dim;
}

double llm_kv_bytes_per_token(const llm_t *m, int kv_dtype)
{
    double global_layers = (double)m->layers - (double)m->sliding_window_layers;
    return global_layers * llm_kv_elems_per_layer(m) * llm_dtype_bytes(kv_dtype);
}

double llm_kv_bytes(const llm_t *m, int kv_dtype, double ctx_tokens)
{
    double per_layer_token = llm_kv_elems_per_layer(m) * llm_dtype_bytes(kv_dtype);
    double local_ctx = ctx_tokens;
    if (m->sliding_window_tokens && local_ctx > m->sliding_window_tokens)
        local_ctx = m->sliding_window_tokens;
    return llm_kv_bytes_per_token(m, kv_dtype) * ctx_tokens +
           (double)m->sliding_window_layers * per_layer_token * local_ctx;
}

double llm_weight_bytes(const llm_t *m, int weight_dtype)
{
    return m->params_total * llm_dtype_bytes(weight_dtype);
}

int llm_check_parallel(const llm_t *m, const llm_parallel_t *par, char *err, size_t errlen)
{
    if (par->tp == 0 || par->pp == 0 || par->ep == 0) {
        snprintf(err, errlen, "parallel degrees must be at least 1 (tp %u, pp %u, ep %u)", par->tp, par->pp, par->ep);
        return -1;
    }
    if (m->attention == LLM_ATTN_GQA && m->kv_heads % par->tp != 0 && par->tp % m->kv_heads != 0) {
        snprintf(err, errlen,
                 "tensor parallelism %u does not divide the %u KV heads of %s (nor is it a multiple of them)",
                 par->tp, m->kv_heads, m->name);
        return -1;
    }
    if (m->heads % par->tp != 0) {
        snprintf(err, errlen, "tensor parallelism %u does not divide the %u attention heads of %s", par->tp,
                 m->heads, m->name);
        return -1;
    }
    if (m->layers % par->pp != 0) {
        snprintf(err, errlen, "pipeline parallelism %u does not divide the %u layers of %s", par->pp, m->layers,
                 m->name);
        return -1;
    }
    if (par->ep > 1 && (m->experts == 0 || m->experts % par->ep != 0)) {
        snprintf(err, errlen, "expert parallelism %u needs a MoE model whose %u experts it divides", par->ep,
                 m->experts);
        return -1;
    }
    return 0;
}
