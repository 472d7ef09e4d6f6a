/* Step-time model: how long one engine iteration takes on one instance (TP x PP [x EP] GPUs).
 * An iteration is a set of prefill chunks and a batch of decoding requests. The model counts FLOPs and
 * bytes moved (weights, KV reads and writes, activations), applies a roofline with efficiency factors per
 * GPU and precision, and adds tensor/pipeline/expert-parallel collectives on NVLink. Efficiency factors are
 * fitted from measured points (kvtwin fit). No simulation state: a pure function of its inputs.
 *
 * Assumptions (docs/parameters.md, "Step-time model"):
 *  - the roofline is applied per operation class (weight GEMMs, prefill attention, decode attention), each
 *    taking the larger of its compute and memory time; the classes run one after the other;
 *  - collectives are not overlapped with compute (as in vLLM and TensorRT-LLM without overlap kernels);
 *  - pipeline parallelism holds one batch in flight: it adds capacity, not throughput, and the step time
 *    is the sum of the stages plus the activation sends between them;
 *  - MoE routing is uniform: a step of T tokens touches E(1 - (1 - k/E)^T) of the E experts, whose weights
 *    are read once; expert FLOPs follow the k active experts per token;
 *  - attention runs at BF16 tensor-core rate unless both the compute and the KV cache are FP8. */
#ifndef KVTWIN_STEPTIME_H
#define KVTWIN_STEPTIME_H

#include <stddef.h>

#include "models/hw.h"
#include "models/llm.h"

typedef struct st_deploy {
    llm_parallel_t par;
    int weight_dtype;  /* llm_dtype_t */
    int kv_dtype;      /* llm_dtype_t */
    int compute_dtype; /* llm_dtype_t: tensor-core precision of the matmuls */
} st_deploy_t;

/* The shape of one iteration, as sums over its requests. */
typedef struct st_shape {
    double prefill_tokens;     /* tokens computed in prefill chunks */
    double prefill_attn_pairs; /* sum over chunks of chunk x (context before + (chunk + 1) / 2) */
    double prefill_seqs;       /* requests with a prefill chunk */
    double decode_seqs;        /* requests decoding one token each */
    double decode_ctx_tokens;  /* sum of their context lengths */
} st_shape_t;

/* Adds one prefill chunk of `chunk` tokens after `ctx_before` cached tokens to a shape. */
void st_shape_add_prefill(st_shape_t *s, double chunk, double ctx_before);
/* Adds one decoding request whose context (cached tokens) is ctx. */
void st_shape_add_decode(st_shape_t *s, double ctx);

typedef struct st_time {
    double time_s;    /* the iteration's duration */
    double compute_s; /* roofline compute part */
    double memory_s;  /* roofline memory part */
    double comm_s;    /* collectives not hidden by compute */
    double overhead_s;
    double flops;                  /* whole instance */
    double hbm_bytes;              /* whole instance */
    double compute_bound_fraction; /* share of the iteration that is compute-bound, for the power model */
    double nvlink_bytes;           /* bytes each GPU sent over NVLink (energy) */
    double cap_stretch;            /* compute_s already stretched by this under a power cap (0 or 1 = none) */
} st_time_t;

typedef struct st_model st_model_t;

/* Builds the model for a GPU, an LLM and a deployment; NULL with a one-line reason on a bad combination
 * (parallelism that does not split the model, a precision the GPU lacks, an instance larger than the
 * NVLink domain, weights that do not fit in HBM). cal may be NULL: the GPU's calibration for the
 * deployment's compute precision is used (hw_gpu_calib). */
st_model_t *st_model_create(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_calib_t *cal,
                            char *err, size_t errlen);
void st_model_destroy(st_model_t *m);

/* Fills out for one iteration; cheap (no allocation, no loop over layers). An empty shape takes 0 s. */
void st_step(const st_model_t *m, const st_shape_t *shape, st_time_t *out);

/* A decode-only iteration of `seqs` requests, split into what stays the same while the batch does (weight
 * GEMMs, collectives, overheads) and the attention over the growing context: st_decode_step(base, C) gives
 * the same doubles as st_step on {decode_seqs = seqs, decode_ctx_tokens = C}, at a fraction of the cost,
 * for the engine's fast-forwarded decode runs. */
typedef struct st_decode_base {
    double seqs;
    double t, cb, mb, flops, bytes; /* after the weight GEMMs */
    double comm, over;
} st_decode_base_t;
void st_decode_base(const st_model_t *m, double decode_seqs, st_decode_base_t *b);
void st_decode_step(const st_model_t *m, const st_decode_base_t *b, double ctx_tokens, st_time_t *out);

/* Time to prefill `tokens` new tokens after `ctx_before` cached tokens as one chunk (recompute cost). */
double st_prefill_time_s(const st_model_t *m, double tokens, double ctx_before);

/* Bytes of HBM per GPU left for KV after weights and the activation reserve (0 if none is left). */
double st_kv_budget_bytes_per_gpu(const st_model_t *m, double activation_reserve_fraction);

/* KV bytes per token of context held by one GPU of the instance (its stage's layers, its KV heads;
 * replicated heads and MLA latents counted on every GPU that holds them). Sliding-window layers are left
 * out, as in llm_kv_bytes_per_token. */
double st_kv_bytes_per_token_per_gpu(const st_model_t *m);

/* Tokens of context the instance's HBM holds after weights and the reserve. */
double st_kv_capacity_tokens(const st_model_t *m, double activation_reserve_fraction);

/* Weight bytes per GPU. */
double st_weight_bytes_per_gpu(const st_model_t *m);

/* GPUs of the instance (tp x pp). */
unsigned st_gpus(const st_model_t *m);

/* The calibration and deployment the model was built with. */
const st_calib_t *st_calib(const st_model_t *m);
const st_deploy_t *st_deploy(const st_model_t *m);

/* Steady-state throughput of a continuously batched instance at a fixed concurrency: every iteration
 * decodes `batch` requests (mean context isl + osl / 2) and prefills batch x isl / osl new tokens in
 * chunks of isl, so prompts enter as fast as answers leave (MLPerf Offline at full batch). */
typedef struct st_steady {
    double batch;        /* concurrent requests used (capped by the KV capacity) */
    double step_s;       /* one iteration */
    double output_tok_s; /* instance output tokens per second */
    double compute_bound_fraction;
    double hbm_bytes_per_s;    /* instance HBM traffic */
    double nvlink_bytes_per_s; /* per GPU */
    st_time_t step;            /* the iteration itself (for pw_gpu_step_w) */
} st_steady_t;

/* Returns -1 if not even one request fits in the KV budget. max_batch caps the concurrency (0 = KV only). */
int st_steady_state(const st_model_t *m, double isl, double osl, double max_batch, double activation_reserve_fraction,
                    st_steady_t *out);

/* Time of a static batch run (all requests prefilled together, then osl decode steps), as in
 * TensorRT-LLM's gptSessionBenchmark and Splitwise's measurements: total seconds. */
double st_static_batch_time_s(const st_model_t *m, double batch, double isl, double osl);
/* One iteration prefilling `batch` prompts of isl tokens each, nothing cached. */
double st_prefill_batch_time_s(const st_model_t *m, double batch, double isl);

#endif
