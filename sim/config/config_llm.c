/* Binding table of the model section (models/llm.h) and loading of model presets
 * (configs/models/NAME.json). GQA needs kv_heads and head_dim; MLA needs its latent widths; MoE fields
 * only for MoE models; llm_check enforces that after binding and reports the key at fault. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "models/llm.h"
#include "sim/base/jsonbind.h"
#include "sim/config/config.h"
#include "sim/config/config_models.h"
#include "sim/config/scenario.h"

#define LLM_DIM(m, lo, req, unit, help)                                                                                \
    {                                                                                                                  \
#m, JB_UINT, offsetof(llm_t, m), JB_MEMBER_SIZE(llm_t, m), lo, 16777216.0, (req) ? JB_REQUIRED : 0, NULL,      \
            NULL, unit, help                                                                                           \
    }
#define LLM_PARAMS(m, help)                                                                                            \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(llm_t, m), sizeof(double), 0, 1e14, 0, NULL, NULL, "parameters", help                  \
    }
#define LLM_BOOL(m, help)                                                                                              \
    {                                                                                                                  \
#m, JB_BOOL, offsetof(llm_t, m), JB_MEMBER_SIZE(llm_t, m), 0, 1, 0, NULL, NULL, NULL, help                     \
    }

static const jb_field_t llm_fields[] = {
    /* Hidden for the same reason as the hardware's (sim/config_hw.c). */
    {"preset", JB_STRING, offsetof(llm_t, preset), JB_MEMBER_SIZE(llm_t, preset), 0, 0, JB_HIDDEN, NULL, NULL, NULL,
     "preset file this came from"},
    {"name", JB_STRING, offsetof(llm_t, name), JB_MEMBER_SIZE(llm_t, name), 0, 0, JB_REQUIRED, NULL, NULL, NULL,
     "model name"},
    LLM_DIM(layers, 1, 1, "layers", "decoder layers"),
    LLM_DIM(hidden, 1, 1, "elements", "hidden size"),
    LLM_DIM(heads, 1, 1, "heads", "attention (query) heads"),
    LLM_DIM(kv_heads, 0, 0, "heads", "GQA key/value heads"),
    LLM_DIM(head_dim, 0, 0, "elements", "GQA per-head width"),
    {"attention", JB_CHOICE, offsetof(llm_t, attention), sizeof(int), 0, 0, JB_REQUIRED, llm_attention_names, NULL,
     NULL, "gqa (MHA/GQA/MQA) or mla (multi-head latent attention)"},
    LLM_DIM(kv_lora_rank, 0, 0, "elements", "MLA compressed KV latent width"),
    LLM_DIM(qk_rope_head_dim, 0, 0, "elements", "MLA decoupled RoPE key width"),
    LLM_DIM(q_lora_rank, 0, 0, "elements", "MLA compressed query width (0 = full rank)"),
    LLM_DIM(qk_nope_head_dim, 0, 0, "elements", "MLA per-head key width without RoPE"),
    LLM_DIM(v_head_dim, 0, 0, "elements", "MLA per-head value width"),
    LLM_DIM(sliding_window_tokens, 0, 0, "tokens", "local-attention window (0 = none)"),
    LLM_DIM(sliding_window_layers, 0, 0, "layers", "layers with local attention"),
    LLM_DIM(intermediate, 1, 1, "elements", "FFN width (per expert for MoE)"),
    LLM_DIM(experts, 0, 0, "experts", "routed experts (0 = dense)"),
    LLM_DIM(experts_active, 0, 0, "experts", "routed experts per token"),
    LLM_DIM(shared_experts, 0, 0, "experts", "always-active experts"),
    LLM_DIM(dense_layers, 0, 0, "layers", "MoE models: leading layers with a dense FFN"),
    LLM_DIM(dense_intermediate, 0, 0, "elements", "their FFN width (0 = intermediate)"),
    LLM_BOOL(ungated_ffn, "plain 2-matrix FFN (GELU) instead of the gated 3-matrix SwiGLU (default false)"),
    LLM_BOOL(tied_embeddings, "output head shares the input embedding"),
    LLM_DIM(vocab, 1, 1, "tokens", "vocabulary size"),
    LLM_PARAMS(params_total, "published total parameters (cross-check, 0 = none)"),
    LLM_PARAMS(params_active, "published active parameters per token (cross-check, 0 = none)"),
    LLM_DIM(max_context_tokens, 1, 1, "tokens", "longest supported context"),
    JB_END,
};

static int llm_spec_check(void *dst, jb_error_t *err)
{
    return llm_check((const llm_t *)dst, err->path, sizeof err->path, err->msg, sizeof err->msg);
}

const jb_spec_t cfg_llm_spec = {"model", llm_fields, llm_spec_check};

int cfg_llm_load(const char *name_or_path, const char *const *sets, int nsets, llm_t *out, char *err, size_t errlen)
{
    cfg_doc_t d;
    if (cfg_load_preset_doc("models", name_or_path, sets, nsets, &d, err, errlen))
        return -1;
    llm_defaults(out);
    int rc = cfg_bind_located(&cfg_llm_spec, &d, d.root, "", out, err, errlen);
    if (rc == 0 && !out->preset[0] && !strchr(name_or_path, '/'))
        snprintf(out->preset, sizeof out->preset, "%s", name_or_path);
    cfg_doc_free(&d);
    return rc;
}

int cfg_dtype_option(const char *option, const char *all_option, const char *value, int *weight, int *kv, int *compute)
{
    int d = -1;
    for (int i = 0; llm_dtype_names[i]; i++)
        if (strcmp(value, llm_dtype_names[i]) == 0)
            d = i;
    if (d < 0)
        return -1;
    if (strcmp(option, all_option) == 0)
        *weight = *kv = *compute = d;
    else if (strcmp(option, "--weight-dtype") == 0)
        *weight = d;
    else if (strcmp(option, "--kv-dtype") == 0)
        *kv = d;
    else
        *compute = d;
    return 0;
}
