/* LLM architectures as the KV cache and the step-time model see them: layers, attention layout (MHA/GQA,
 * MLA latent, sliding-window layers), dense or MoE feed-forward, parameter counts. Plain data filled from
 * configs/models/ (one JSON file per model). KV bytes per token are computed here, never copied from a table. */
#ifndef KVTWIN_LLM_H
#define KVTWIN_LLM_H

#include <stddef.h>
#include <stdint.h>

typedef enum llm_attention { LLM_ATTN_GQA = 0, LLM_ATTN_MLA } llm_attention_t;

typedef enum llm_dtype { LLM_DT_BF16 = 0, LLM_DT_FP8, LLM_DT_FP4 } llm_dtype_t;

/* Bytes per element of a dtype (BF16 2, FP8 1, FP4 0.5). */
double llm_dtype_bytes(int dtype);

typedef struct llm {
    char name[48];
    uint32_t layers;
    uint32_t hidden;
    uint32_t heads;
    uint32_t kv_heads;               /* GQA: key/value heads */
    uint32_t head_dim;
    int attention;                   /* llm_attention_t */
    uint32_t kv_lora_rank;           /* MLA: compressed latent width */
    uint32_t qk_rope_head_dim;       /* MLA: decoupled RoPE key width */
    uint32_t sliding_window_tokens;  /* local-attention window (0 = none) */
    uint32_t sliding_window_layers;  /* layers that use it; their KV stops growing at the window */
    uint32_t intermediate;           /* FFN width (per expert for MoE) */
    uint32_t experts;                /* routed experts (0 = dense) */
    uint32_t experts_active;         /* routed experts per token */
    uint32_t vocab;
    double params_total;             /* parameters */
    double params_active;            /* parameters touched per token (MoE) */
    uint32_t max_context_tokens;
} llm_t;

/* KV bytes per token of context that grows with the context (sliding-window layers excluded), for a KV
 * element of dtype. */
double llm_kv_bytes_per_token(const llm_t *m, int kv_dtype);
/* KV bytes of a whole context of ctx tokens (sliding-window layers capped at their window). */
double llm_kv_bytes(const llm_t *m, int kv_dtype, double ctx_tokens);
/* Bytes of weights for one full replica. */
double llm_weight_bytes(const llm_t *m, int weight_dtype);

typedef struct llm_parallel {
    uint32_t tp; /* tensor parallel */
    uint32_t pp; /* pipeline parallel */
    uint32_t ep; /* expert parallel (MoE), 1 = none */
} llm_parallel_t;

/* 0 if the model can be split this way; -1 with a one-line reason (for example a tensor-parallel degree
 * that does not divide the KV heads). */
int llm_check_parallel(const llm_t *m, const llm_parallel_t *par, char *err, size_t errlen);

#endif
