/* Miss-ratio curves of the cache-only replay (kvtwin cache --mrc).
 *
 * LRU, exact, in one pass (Mattson et al.'s stack distances, counted with a Fenwick tree over access
 * times: O(log n) per reference). The LRU stack orders every block seen by its last use; a block at depth
 * d (0 = most recent) is cached by an LRU cache of C blocks iff d < C, for every C at once.
 *  - blocks counting (kv_count_t): each reference is an access in trace order; it hits at C iff its depth
 *    d < C. Exact for every capacity: it is what the manager does with one-block requests.
 *  - prefix counting: the depths d_0..d_{n-1} of a request's blocks are read before the request; block i
 *    hits at C iff every block up to it does, i.e. iff m_i = max(d_0..d_i) < C; the request then makes all
 *    its blocks recent, its first block the most recent (the manager releases a request from its last
 *    block to its first). This is the manager's LRU exactly when (a) the request fits G1 (n <= C: a larger
 *    request is looked up but caches nothing, and its hits are not made recent), and (b) no block of a
 *    request is cached after one that is not (d_i < m_{i-1} never happens): the manager reserves room for
 *    every block after the prefix and would evict more than the stack model. Prefix-chained ids give (b)
 *    (a parent is always more recent than its child); the pass counts the references where it fails
 *    (`stack_violations`) and the largest request, so the caller knows where the curve is exact.
 *
 * Other policies: spatial sampling (SHARDS, Waldspurger et al., FAST'15): the references whose id hashes
 * below rate x 2^24 (the same blocks everywhere, so reuse is kept), replayed by the ordinary replay at
 * capacity rate x C; hit ratios of the sample estimate those of the trace (kv_shards_t below: the heaviest
 * blocks kept whole). Only with blocks counting: under
 * prefix counting a sampled block that follows an unsampled miss would count as a hit. The estimate is
 * unbiased but its variance is set by the heaviest blocks: Mooncake's block 0, in every request (4 % of
 * the references, most of the hits below 1e6 tokens), is in or out of the sample as a whole
 * (docs/performance.md measures the error). */
#ifndef KVTWIN_KV_MRC_H
#define KVTWIN_KV_MRC_H

#include <stddef.h>
#include <stdint.h>

#include "sim/kv/replay.h"

typedef struct kv_mrc {
    int count;          /* kv_count_t */
    uint64_t nd;        /* depths 0..nd-1 (nd = distinct blocks + 1) */
    double *cum_blocks; /* nd + 1 entries: hits of depth < C, for C = 0..nd */
    double *cum_tokens;
    double *cum_req;      /* sum over requests of hit tokens / input tokens */
    uint64_t *req_larger; /* requests with more than C blocks is req_larger[min(C, max_blocks)] */
    uint32_t max_blocks;  /* blocks of the largest request */
    uint64_t requests, block_refs, input_tokens;
    uint64_t stack_violations; /* prefix: references cached below a missed block at some capacity */
    double wall_s;
} kv_mrc_t;

/* The exact LRU curve of the trace in the counting mode. */
void kv_mrc_lru(const kv_trace_t *t, int count, kv_mrc_t *out);
void kv_mrc_free(kv_mrc_t *m);
/* The figures of an LRU cache of cap blocks (cap >= 1), in the replay's result struct (G1 only; per-tier
 * counters, memory and evictions are not known and left 0). */
void kv_mrc_at(const kv_mrc_t *m, uint64_t cap, kv_replay_result_t *out);

/* The spatially sampled trace: each request keeps its sampled blocks, in order, with their tokens; requests
 * left with none are dropped. *covered_tokens_ratio = (tokens of the trace's blocks) / (input tokens), to
 * turn the sample's hit ratio over block tokens into one over input tokens. rate in (0, 1]. */
void kv_trace_sample(const kv_trace_t *t, double rate, kv_trace_t *out, double *covered_tokens_ratio);

/* SHARDS with its heaviest blocks kept whole, for blocks counting: a block with at least hot_share of all
 * references is always in the sample at weight 1, the others are sampled at rate with weight 1 / rate; the
 * sample replays at capacity rate x (C - hot) + hot (the hot blocks hold their own slots). The weights go
 * through the tokens of one-block requests: `tok` weighs each sampled reference by its tokens (token-weighted
 * estimate), `blk` by 1 (block-level estimate). Without it one block in every request (Mooncake's block 0,
 * 4 % of the references) is wholly in or out of the sample and the estimate misses by up to 0.26. */
typedef struct kv_shards {
    kv_trace_t tok, blk;
    uint64_t hot;   /* blocks kept whole */
    double covered; /* block tokens / input tokens of the trace */
    double rate;
} kv_shards_t;

#define KV_SHARDS_HOT_SHARE 1e-3

void kv_shards_build(const kv_trace_t *t, double rate, double hot_share, kv_shards_t *s);
void kv_shards_free(kv_shards_t *s);
/* The sample's capacity for a cache of cap blocks. */
uint64_t kv_shards_capacity(const kv_shards_t *s, uint64_t cap);

#endif
