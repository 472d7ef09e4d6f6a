/* LLM architectures as the KV cache and the step-time model see them: layers, attention layout (MHA/GQA,
 * MLA latent, sliding-window layers), dense or MoE feed-forward, parameter counts. Plain data filled from
 * configs/models/ (one JSON file per model). KV bytes per token are computed here, never copied from a table.
 * Parameter counts are derived from the architecture too (llm_params); a preset's published
 * params_total / params_active only serve as a cross-check against typos. */
#ifndef KVTWIN_LLM_H
#define KVTWIN_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum llm_attention { LLM_ATTN_GQA = 0, LLM_ATTN_MLA } llm_attention_t;

typedef enum llm_dtype { LLM_DT_BF16 = 0, LLM_DT_FP8, LLM_DT_FP4 } llm_dtype_t;

/* Bytes per element of a dtype (BF16 2, FP8 1, FP4 0.5). */
double llm_dtype_bytes(int dtype);

/* Name of a dtype ("bf16", "fp8", "fp4"), and the NULL-terminated list used by the config binders. */
const char *llm_dtype_name(int dtype);
extern const char *const llm_dtype_names[];
extern const char *const llm_attention_names[];

typedef struct llm {
    char preset[64]; /* preset file it came from ("" if built inline) */
    char name[48];
    uint32_t layers;
    uint32_t hidden;
    uint32_t heads;
    uint32_t kv_heads; /* GQA: key/value heads */
    uint32_t head_dim;
    int attention;                  /* llm_attention_t */
    uint32_t kv_lora_rank;          /* MLA: compressed latent width */
    uint32_t qk_rope_head_dim;      /* MLA: decoupled RoPE key width */
    uint32_t q_lora_rank;           /* MLA: compressed query width (0 = full-rank query projection) */
    uint32_t qk_nope_head_dim;      /* MLA: per-head key width without RoPE */
    uint32_t v_head_dim;            /* MLA: per-head value width */
    uint32_t sliding_window_tokens; /* local-attention window (0 = none) */
    uint32_t sliding_window_layers; /* layers that use it; their KV stops growing at the window */
    uint32_t intermediate;          /* FFN width (per expert for MoE) */
    uint32_t experts;               /* routed experts (0 = dense) */
    uint32_t experts_active;        /* routed experts per token */
    uint32_t shared_experts;        /* always-active experts of intermediate width (MoE) */
    uint32_t dense_layers;          /* MoE models: leading layers with a dense FFN */
    uint32_t dense_intermediate;    /* their FFN width (0 = intermediate) */
    bool ungated_ffn;               /* plain FFN of 2 matrices (BLOOM); default: gated SwiGLU, 3 matrices */
    bool tied_embeddings;           /* output head shares the input embedding */
    uint32_t vocab;
    double params_total;  /* published parameters (cross-check; 0 = not given) */
    double params_active; /* published parameters touched per token (cross-check; 0 = not given) */
    uint32_t max_context_tokens;
} llm_t;

/* Sets the fields a preset may leave out: all zero (a zeroed struct is equivalent). */
void llm_defaults(llm_t *m);

/* Structural checks after binding (head counts divide, MoE fields consistent, MLA widths present,
 * published parameter counts within 10 % of the architecture's). Returns 0, or -1 with the offending
 * key in path and a one-line message. */
int llm_check(const llm_t *m, char *path, size_t pathlen, char *msg, size_t msglen);

/* KV bytes per token of context that grows with the context (sliding-window layers excluded), for a KV
 * element of dtype. */
double llm_kv_bytes_per_token(const llm_t *m, int kv_dtype);
/* KV bytes per token of one layer (both K and V, or the MLA latent plus RoPE key). */
double llm_kv_bytes_per_token_layer(const llm_t *m, int kv_dtype);
/* KV bytes of a whole context of ctx tokens (sliding-window layers capped at their window). */
double llm_kv_bytes(const llm_t *m, int kv_dtype, double ctx_tokens);
/* Bytes of weights for one full replica. */
double llm_weight_bytes(const llm_t *m, int weight_dtype);

/* Parameter counts derived from the architecture, split the way the step-time model needs them. */
typedef struct llm_params {
    double attn_per_layer;      /* Q, K, V, O projections (MLA: its down/up projections) */
    double dense_ffn_per_layer; /* FFN of a dense layer */
    double expert;              /* one routed or shared expert */
    double router_per_layer;    /* MoE gate */
    double embedding;           /* input embedding */
    double lm_head;             /* output projection (0 extra if tied, but still computed per token) */
    uint32_t moe_layers;        /* layers with routed experts */
    uint32_t dense_ffn_layers;  /* layers with a dense FFN */
    double total;               /* all parameters stored */
    double active;              /* parameters used per token (embedding lookup excluded, head included) */
} llm_params_t;

void llm_params(const llm_t *m, llm_params_t *out);

typedef struct llm_parallel {
    uint32_t tp; /* tensor parallel */
    uint32_t pp; /* pipeline parallel */
    uint32_t ep; /* expert parallel (MoE), 1 = none */
} llm_parallel_t;

/* 0 if the model can be split this way; -1 with a one-line reason (for example a tensor-parallel degree
 * that does not divide the KV heads). */
int llm_check_parallel(const llm_t *m, const llm_parallel_t *par, char *err, size_t errlen);

/* KV heads one GPU holds under tensor parallelism tp: kv_heads / tp, or 1 (a replica) when tp exceeds
 * them. MLA's latent is not split by heads: every GPU of the TP group holds all of it. */
double llm_kv_heads_per_gpu(const llm_t *m, uint32_t tp);

#endif
