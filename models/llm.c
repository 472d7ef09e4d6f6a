/* KV and weight sizes of an LLM; see llm.h.
 * GQA: 2 (K and V) x layers x kv_heads x head_dim elements per token. MLA keeps one compressed latent plus
 * the decoupled RoPE key per layer: (kv_lora_rank + qk_rope_head_dim) elements. Sliding-window layers stop
 * growing at their window, so they are left out of the per-token figure and capped in llm_kv_bytes.
 * Parameter counts follow the standard decoder layout (biases and norms ignored: < 0.1 % of the total). */
#include "models/llm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const llm_dtype_names[] = {"bf16", "fp8", "fp4", NULL};
const char *const llm_attention_names[] = {"gqa", "mla", NULL};

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

const char *llm_dtype_name(int dtype)
{
    if (dtype < LLM_DT_BF16 || dtype > LLM_DT_FP4)
        return "?";
    return llm_dtype_names[dtype];
}

void llm_defaults(llm_t *m)
{
    /* Every field's default is zero (false), so a zeroed struct is a valid starting point too. */
    memset(m, 0, sizeof *m);
}

/* Elements of KV per token per layer. */
static double llm_kv_elems_per_layer(const llm_t *m)
{
    if (m->attention == LLM_ATTN_MLA)
        return (double)m->kv_lora_rank + (double)m->qk_rope_head_dim;
    return 2.0 * (double)m->kv_heads * (double)m->head_dim;
}

double llm_kv_bytes_per_token_layer(const llm_t *m, int kv_dtype)
{
    return llm_kv_elems_per_layer(m) * llm_dtype_bytes(kv_dtype);
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

void llm_params(const llm_t *m, llm_params_t *out)
{
    memset(out, 0, sizeof *out);
    double h = m->hidden;
    if (m->attention == LLM_ATTN_MLA) {
        double qk_head = (double)m->qk_nope_head_dim + (double)m->qk_rope_head_dim;
        double q =
            m->q_lora_rank ? h * m->q_lora_rank + (double)m->q_lora_rank * m->heads * qk_head : h * m->heads * qk_head;
        double kv_down = h * ((double)m->kv_lora_rank + m->qk_rope_head_dim);
        double kv_up = (double)m->kv_lora_rank * m->heads * ((double)m->qk_nope_head_dim + m->v_head_dim);
        double o = (double)m->heads * m->v_head_dim * h;
        out->attn_per_layer = q + kv_down + kv_up + o;
    } else {
        double q = h * m->heads * m->head_dim;
        double kv = 2.0 * h * m->kv_heads * m->head_dim;
        double o = (double)m->heads * m->head_dim * h;
        out->attn_per_layer = q + kv + o;
    }
    double mats = m->ungated_ffn ? 2.0 : 3.0;
    out->expert = mats * h * m->intermediate;
    if (m->experts) {
        uint32_t dense = m->dense_layers < m->layers ? m->dense_layers : m->layers;
        out->dense_ffn_layers = dense;
        out->moe_layers = m->layers - dense;
        out->dense_ffn_per_layer = mats * h * (m->dense_intermediate ? m->dense_intermediate : m->intermediate);
        out->router_per_layer = h * m->experts;
    } else {
        out->dense_ffn_layers = m->layers;
        out->moe_layers = 0;
        out->dense_ffn_per_layer = out->expert;
    }
    out->embedding = (double)m->vocab * h;
    out->lm_head = (double)m->vocab * h;
    double layers_common = m->layers * out->attn_per_layer + out->dense_ffn_layers * out->dense_ffn_per_layer;
    double moe_total =
        out->moe_layers * (out->router_per_layer + ((double)m->experts + m->shared_experts) * out->expert);
    double moe_active =
        out->moe_layers * (out->router_per_layer + ((double)m->experts_active + m->shared_experts) * out->expert);
    out->total = layers_common + moe_total + out->embedding + (m->tied_embeddings ? 0.0 : out->lm_head);
    out->active = layers_common + moe_active + out->lm_head;
}

double llm_weight_bytes(const llm_t *m, int weight_dtype)
{
    llm_params_t p;
    llm_params(m, &p);
    return p.total * llm_dtype_bytes(weight_dtype);
}

static int llm_fail(char *path, size_t pathlen, char *msg, size_t msglen, const char *key, const char *text)
{
    snprintf(path, pathlen, "%s", key);
    snprintf(msg, msglen, "%s", text);
    return -1;
}

int llm_check(const llm_t *m, char *path, size_t pathlen, char *msg, size_t msglen)
{
    char buf[256];
    if (m->attention == LLM_ATTN_GQA) {
        if (m->kv_heads == 0 || m->head_dim == 0)
            return llm_fail(path, pathlen, msg, msglen, m->kv_heads ? "head_dim" : "kv_heads",
                            "GQA attention needs kv_heads and head_dim > 0");
        if (m->heads % m->kv_heads != 0) {
            snprintf(buf, sizeof buf, "the %u attention heads are not a multiple of the %u KV heads", m->heads,
                     m->kv_heads);
            return llm_fail(path, pathlen, msg, msglen, "kv_heads", buf);
        }
    } else {
        if (m->kv_lora_rank == 0)
            return llm_fail(path, pathlen, msg, msglen, "kv_lora_rank", "MLA attention needs kv_lora_rank > 0");
        if (m->qk_rope_head_dim == 0 || m->qk_nope_head_dim == 0 || m->v_head_dim == 0)
            return llm_fail(path, pathlen, msg, msglen,
                            m->qk_rope_head_dim == 0   ? "qk_rope_head_dim"
                            : m->qk_nope_head_dim == 0 ? "qk_nope_head_dim"
                                                       : "v_head_dim",
                            "MLA attention needs qk_rope_head_dim, qk_nope_head_dim and v_head_dim > 0");
    }
    if (m->sliding_window_layers > m->layers)
        return llm_fail(path, pathlen, msg, msglen, "sliding_window_layers", "more sliding-window layers than layers");
    if (m->sliding_window_layers && !m->sliding_window_tokens)
        return llm_fail(path, pathlen, msg, msglen, "sliding_window_tokens",
                        "sliding_window_layers is set but sliding_window_tokens is 0");
    if (m->sliding_window_layers == m->layers)
        return llm_fail(path, pathlen, msg, msglen, "sliding_window_layers",
                        "at least one layer must attend to the whole context");
    if (m->experts) {
        if (m->experts_active == 0 || m->experts_active > m->experts) {
            snprintf(buf, sizeof buf, "experts_active must be in 1..%u for a MoE model", m->experts);
            return llm_fail(path, pathlen, msg, msglen, "experts_active", buf);
        }
        if (m->dense_layers >= m->layers)
            return llm_fail(path, pathlen, msg, msglen, "dense_layers", "a MoE model needs at least one MoE layer");
    } else if (m->experts_active || m->shared_experts || m->dense_layers) {
        return llm_fail(path, pathlen, msg, msglen,
                        m->experts_active   ? "experts_active"
                        : m->shared_experts ? "shared_experts"
                                            : "dense_layers",
                        "MoE fields are set but experts is 0 (a dense model)");
    }
    llm_params_t p;
    llm_params(m, &p);
    /* Published counts disagreeing with the architecture by > 10 % mean a typo in one of them. */
    if (m->params_total > 0 && fabs(p.total / m->params_total - 1.0) > 0.10) {
        snprintf(buf, sizeof buf, "published %.4g parameters disagree with the %.4g computed from the architecture",
                 m->params_total, p.total);
        return llm_fail(path, pathlen, msg, msglen, "params_total", buf);
    }
    if (m->params_active > 0 && fabs(p.active / m->params_active - 1.0) > 0.10) {
        snprintf(buf, sizeof buf,
                 "published %.4g active parameters disagree with the %.4g computed from the architecture",
                 m->params_active, p.active);
        return llm_fail(path, pathlen, msg, msglen, "params_active", buf);
    }
    return 0;
}

double llm_kv_heads_per_gpu(const llm_t *m, uint32_t tp)
{
    if (m->attention == LLM_ATTN_MLA)
        return 1.0; /* the latent is one "head" replicated on every GPU */
    double h = (double)m->kv_heads / (double)tp;
    return h < 1.0 ? 1.0 : h;
}

int llm_check_parallel(const llm_t *m, const llm_parallel_t *par, char *err, size_t errlen)
{
    if (par->tp == 0 || par->pp == 0 || par->ep == 0) {
        snprintf(err, errlen, "parallel degrees must be at least 1 (tp %u, pp %u, ep %u)", par->tp, par->pp, par->ep);
        return -1;
    }
    if (m->attention == LLM_ATTN_GQA && m->kv_heads % par->tp != 0 && par->tp % m->kv_heads != 0) {
        snprintf(err, errlen,
                 "tensor parallelism %u does not divide the %u KV heads of %s (nor is it a multiple of them)", par->tp,
                 m->kv_heads, m->name);
        return -1;
    }
    if (m->heads % par->tp != 0) {
        snprintf(err, errlen, "tensor parallelism %u does not divide the %u attention heads of %s", par->tp, m->heads,
                 m->name);
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
    /* Experts are spread over the GPUs of a pipeline stage: EP must divide TP. */
    if (par->ep > 1 && par->tp % par->ep != 0) {
        snprintf(err, errlen, "expert parallelism %u must divide tensor parallelism %u (experts live within a stage)",
                 par->ep, par->tp);
        return -1;
    }
    return 0;
}
