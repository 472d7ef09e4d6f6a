/* Step-time model: how long one engine iteration takes on one instance (TP x PP [x EP] GPUs).
 * An iteration is a set of prefill chunks and a batch of decoding requests. The model counts FLOPs and
 * bytes moved (weights, KV reads and writes, activations), applies a roofline with efficiency factors per
 * GPU and precision, and adds tensor/pipeline/expert-parallel collectives on NVLink. Efficiency factors are
 * fitted from measured points (kvtwin fit). No simulation state: a pure function of its inputs. */
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
    double prefill_tokens;       /* tokens computed in prefill chunks */
    double prefill_attn_pairs;   /* sum over chunks of chunk x (context before + (chunk + 1) / 2) */
    double prefill_seqs;         /* requests with a prefill chunk */
    double decode_seqs;          /* requests decoding one token each */
    double decode_ctx_tokens;    /* sum of their context lengths */
} st_shape_t;

typedef struct st_time {
    double time_s;               /* the iteration's duration */
    double compute_s;            /* roofline compute part */
    double memory_s;             /* roofline memory part */
    double comm_s;               /* collectives not hidden by compute */
    double overhead_s;
    double flops;                /* whole instance */
    double hbm_bytes;            /* whole instance */
    double compute_bound_fraction; /* share of the iteration that is compute-bound, for the power model */
} st_time_t;

typedef struct st_model st_model_t;

/* Builds the model for a GPU, an LLM and a deployment; NULL with a one-line reason on a bad combination. */
st_model_t *st_model_create(const hw_gpu_t *gpu, const llm_t *llm, const st_deploy_t *dep, const st_calib_t *cal,
                            char *err, size_t errlen);
void st_model_destroy(st_model_t *m);

void st_step(const st_model_t *m, const st_shape_t *shape, st_time_t *out);

/* Time to prefill `tokens` new tokens after `ctx_before` cached tokens as one chunk (recompute cost). */
double st_prefill_time_s(const st_model_t *m, double tokens, double ctx_before);

/* Bytes of HBM per GPU left for KV after weights and the activation reserve. */
double st_kv_budget_bytes_per_gpu(const st_model_t *m, double activation_reserve_fraction);

#endif
