/* Fetch or recompute: whether loading a cached prefix into G1 beats recomputing it (Mooncake FAST'25,
 * section 4 and Eq. 2). Pure functions of the step-time model and the paths' bandwidths; no simulation
 * state. Units: bytes, bytes per second, seconds, tokens.
 *
 * Loading the blocks a request reuses takes, per source tier, latency + bytes / available bandwidth, the
 * tiers' hops running in parallel (the slowest one counts). Recomputing takes the step-time model's prefill
 * time. The decision picks the number of leading cached blocks u (0..prefix, tried at every change of
 * source tier and at the end) minimising load(u) + prefill(input - reused(u) | reused(u) cached); reused
 * tokens are capped at input - 1 because the last prompt token is always computed (its logits start the
 * output). The break-even bandwidth is the one at which loading a prefix takes as long as recomputing it.
 *
 * The decision the engine takes is a plug-in (kv.fetch): `cost` runs kv_fetch_decide, `always` reuses the
 * whole cached prefix, `never` reuses only its leading run in G1. A policy sees the request's prefix and
 * asks the core for the path of each source tier as it is now (kv_fetch_ctx_t.hop); it decides, the core
 * loads. A new policy is one file in sim/kv/fetch/ plus one line in sim/kv/fetch_registry.c. */
#ifndef KVTWIN_KV_FETCH_H
#define KVTWIN_KV_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "models/llm.h"
#include "models/steptime.h"
#include "sim/base/plugin.h"
#include "sim/kv/kv.h"

/* The path from one tier to the G1 of the requesting instance, as the core sees it now. */
typedef struct kv_fetch_hop {
    double bandwidth_byte_s; /* available to this load (share of the bottleneck); <= 0: unusable */
    double latency_s;        /* one-way latency of the path, per transfer */
} kv_fetch_hop_t;

typedef struct kv_fetch_plan {
    uint32_t use;          /* leading cached blocks to reuse (load what is not in G1) */
    double reused_tokens;  /* tokens of KV reused: min(use x block_tokens, input - 1) */
    double load_s;         /* time to bring the reused blocks into G1 */
    double recompute_s;    /* prefill of the remaining tokens */
    double total_s;        /* load_s + recompute_s (serial: prefill waits for the loads) */
    double full_prefill_s; /* prefill of the whole prompt, nothing reused */
} kv_fetch_plan_t;

/* Load time of bytes[t] from every tier t >= G2 over its hop, hops in parallel; 0 if nothing moves.
 * INFINITY if bytes must cross an unusable hop. */
double kv_fetch_load_s(const double bytes[KV_NTIERS], const kv_fetch_hop_t hop[KV_NTIERS]);

/* The decision for one request: tier_of[0..prefix) is the fastest tier holding each leading block
 * (kv_lookup_tiers), block_bytes the KV bytes of one block on the instance. Returns plan->use. */
uint32_t kv_fetch_decide(const st_model_t *st, const uint8_t *tier_of, uint32_t prefix, double input_tokens,
                         uint32_t block_tokens, double block_bytes, const kv_fetch_hop_t hop[KV_NTIERS],
                         kv_fetch_plan_t *plan);

/* Bandwidth above which loading ctx cached tokens (kv_bytes_per_token each, after latency_s) is faster than
 * recomputing them with the step-time model: bytes / (prefill(ctx) - latency). INFINITY if the latency
 * alone exceeds the prefill. */
double kv_fetch_break_even_byte_s(const st_model_t *st, double ctx_tokens, double kv_bytes_per_token, double latency_s);

/* The same from Mooncake's Eq. 2: prefill FLOPs = layers x (a n^2 d + b n d^2) at the GPUs' peak FLOP/s
 * (the paper uses a = 4, b = 22 for LLaMA3-70B); no efficiency, no latency. */
double kv_fetch_break_even_eq2_byte_s(const llm_t *m, double ctx_tokens, double kv_bytes_per_token, double a, double b,
                                      double gpus, double peak_flop_s_per_gpu);

/* --- fetch-or-recompute policies --- */

/* One decision: a request about to be admitted, its cached prefix and how to reach its sources. */
typedef struct kv_fetch_ctx {
    const st_model_t *st;      /* the step-time model of the instance (recompute times) */
    const uint8_t *tier_of;    /* fastest tier holding each block of the prefix (kv_lookup_tiers) */
    uint32_t prefix;           /* leading cached blocks */
    const uint64_t *block_ids; /* the request's block ids (at least prefix of them) */
    double input_tokens;       /* prompt tokens */
    uint32_t block_tokens;
    double block_bytes; /* KV bytes of one block on the instance */
    /* The path from tier (the copy serving block_id) to the instance's G1 as the core sees it now. */
    void (*hop)(void *core, int tier, uint64_t block_id, kv_fetch_hop_t *out);
    void *core;
} kv_fetch_ctx_t;

typedef struct kv_fetcher kv_fetcher_t;

typedef struct kv_fetch_ops {
    plugin_t base;                                          /* name, summary, parameters */
    int (*init)(kv_fetcher_t *f, char *err, size_t errlen); /* optional: allocates f->state; 0 or -1 */
    void (*fini)(kv_fetcher_t *f);                          /* optional */
    /* Leading cached blocks to reuse: at most c->prefix (blocks not in G1 are loaded, the rest recomputed). */
    uint32_t (*decide)(kv_fetcher_t *f, const kv_fetch_ctx_t *c);
} kv_fetch_ops_t;

/* A fetch policy instance (one per run). */
struct kv_fetcher {
    const kv_fetch_ops_t *ops;
    const void *params; /* bound parameters (plugin_params) */
    void *state;
};

/* The registry (sim/kv/fetch_registry.c); the first policy (cost) is the default. */
extern const plugin_axis_t kv_fetch_axis;
/* NULL if no fetch policy has that name. */
const kv_fetch_ops_t *kv_fetch_find(const char *name);
const kv_fetch_ops_t *kv_fetch_at(size_t i);

/* Builds a policy instance (params: bound, or NULL for the defaults); 0, or -1 with a message. */
int kv_fetcher_init(kv_fetcher_t *p, const kv_fetch_ops_t *ops, const void *params, char *err, size_t errlen);
void kv_fetcher_fini(kv_fetcher_t *p);

#endif
