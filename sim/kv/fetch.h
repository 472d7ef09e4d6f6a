/* Fetch or recompute: whether loading a cached prefix into G1 beats recomputing it (Mooncake FAST'25,
 * section 4 and Eq. 2). Pure functions of the step-time model and the paths' bandwidths; no simulation
 * state. Units: bytes, bytes per second, seconds, tokens.
 *
 * Loading the blocks a request reuses takes, per source tier, latency + bytes / available bandwidth, the
 * tiers' hops running in parallel (the slowest one counts). Recomputing takes the step-time model's prefill
 * time. The decision picks the number of leading cached blocks u (0..prefix, tried at every change of
 * source tier and at the end) minimising load(u) + prefill(input - reused(u) | reused(u) cached); reused
 * tokens are capped at input - 1 because the last prompt token is always computed (its logits start the
 * output). The break-even bandwidth is the one at which loading a prefix takes as long as recomputing it. */
#ifndef KVTWIN_KV_FETCH_H
#define KVTWIN_KV_FETCH_H

#include <stdint.h>

#include "models/llm.h"
#include "models/steptime.h"
#include "sim/kv/kv.h"

/* The path from one tier to the G1 of the requesting instance, as the core sees it now. */
typedef struct kv_fetch_hop {
    double bandwidth_byte_s; /* available to this load (share of the bottleneck); <= 0: unusable */
    double latency_s;        /* one-way latency of the path, per transfer */
} kv_fetch_hop_t;

typedef struct kv_fetch_plan {
    uint32_t use;            /* leading cached blocks to reuse (load what is not in G1) */
    double reused_tokens;    /* tokens of KV reused: min(use x block_tokens, input - 1) */
    double load_s;           /* time to bring the reused blocks into G1 */
    double recompute_s;      /* prefill of the remaining tokens */
    double total_s;          /* load_s + recompute_s (serial: prefill waits for the loads) */
    double full_prefill_s;   /* prefill of the whole prompt, nothing reused */
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
double kv_fetch_break_even_byte_s(const st_model_t *st, double ctx_tokens, double kv_bytes_per_token,
                                  double latency_s);

/* The same from Mooncake's Eq. 2: prefill FLOPs = layers x (a n^2 d + b n d^2) at the GPUs' peak FLOP/s
 * (the paper uses a = 4, b = 22 for LLaMA3-70B); no efficiency, no latency. */
double kv_fetch_break_even_eq2_byte_s(const llm_t *m, double ctx_tokens, double kv_bytes_per_token, double a,
                                      double b, double gpus, double peak_flop_s_per_gpu);

#endif
