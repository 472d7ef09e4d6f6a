/* FLOP-aware eviction in the spirit of Marconi (Pan et al., "Marconi: Prefix Caching for the Era of Hybrid
 * LLMs", MLSys 2025, arXiv 2411.19379). Marconi scores each evictable prefix by
 *
 *   utility = recency + alpha x FLOP efficiency   (FLOPs its reuse saves per byte it occupies)
 *
 * and evicts the lowest: a long context's blocks, dear to recompute (attention grows with position), outlive
 * short ones used as recently. Here the recency term is the block's last use in seconds and the efficiency
 * term is its recompute time (kv_entry_t.cost_s: the FLOPs of recomputing it at the speed of the instance
 * that last used it; every block has the same size, so per block is per byte) relative to the running mean
 * of the costs this tier has seen, expressed in seconds of recency through window_s:
 *
 *   key = last_use_s + alpha x window_s x cost / mean_cost
 *
 * so a block of average cost counts as used window_s x alpha later than it was. Marconi normalises both terms
 * over the candidates at each eviction and tunes alpha online; this keeps the key fixed between uses (a heap,
 * O(log n)) and alpha a parameter. Marconi's admission rule (cache only states likely to be reused) is not
 * modelled: every block is admitted. A block whose cost is unknown counts default_cost_s. 8 bytes per entry
 * plus a 24-byte heap node and 4 bytes of heap position per slot. */
#include <stdlib.h>

#include "sim/kv/heap.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

typedef struct marconi_params {
    double alpha;          /* weight of the FLOP-efficiency term */
    double window_s;       /* seconds of recency one mean-cost unit of efficiency is worth */
    double default_cost_s; /* recompute time assumed when the caller gives none */
} marconi_params_t;

static const marconi_params_t marconi_defaults = {1.0, 60.0, 1e-3};

static const jb_field_t marconi_fields[] = {
    JB_DBL(marconi_params_t, alpha, 0, 1e6, NULL, "weight of FLOPs saved per byte against recency (0: LRU)"),
    JB_DBL_POS(marconi_params_t, window_s, 1e9, "s", "recency worth one mean-cost unit of FLOP efficiency"),
    JB_DBL_POS(marconi_params_t, default_cost_s, 1e6, "s", "recompute time per block when the caller gives none"),
    JB_END,
};
static const jb_spec_t marconi_spec = {"marconi", marconi_fields, NULL};

typedef struct marconi_meta {
    double key;
} marconi_meta_t;

typedef struct marconi_state {
    kv_heap_t heap;
    double cost_sum; /* of every insert and hit: the running mean's numerator */
    double cost_n;
} marconi_state_t;

static int marconi_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    marconi_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_heap_init(&st->heap, p->store);
    p->state = st;
    return 0;
}

static void marconi_fini(kv_pol_t *p)
{
    marconi_state_t *st = p->state;
    kv_heap_fini(&st->heap);
    free(st);
    p->state = NULL;
}

/* A use at c->now_s: the key from this use's time and the block's cost. */
static void marconi_use(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    const marconi_params_t *pa = p->params;
    marconi_state_t *st = p->state;
    marconi_meta_t *mt = kv_store_meta(p->store, slot);
    double cost = kv_store_entry(p->store, slot)->cost_s;
    if (!(cost > 0))
        cost = pa->default_cost_s;
    st->cost_sum += cost;
    st->cost_n += 1;
    double mean = st->cost_sum / st->cost_n;
    mt->key = c->now_s + pa->alpha * pa->window_s * cost / mean;
    if (!kv_store_pinned(p->store, slot))
        kv_heap_set(&st->heap, slot, mt->key, c->seq);
}

static void marconi_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    marconi_use(p, slot, c);
}

/* Released by its last request: back in the order with the key of its last use (a release is a use). */
static void marconi_unpin(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    marconi_use(p, slot, c);
}

static void marconi_remove(kv_pol_t *p, uint32_t slot)
{
    marconi_state_t *st = p->state;
    kv_heap_remove(&st->heap, slot);
}

static uint32_t marconi_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    marconi_state_t *st = p->state;
    return kv_heap_top(&st->heap);
}

static size_t marconi_mem(const kv_pol_t *p)
{
    const marconi_state_t *st = p->state;
    return sizeof *st + kv_heap_mem_bytes(&st->heap);
}

const kv_policy_ops_t kv_policy_marconi = {
    .base =
        {
            .name = "marconi",
            .summary = "recency plus FLOPs saved per byte (Marconi): long, dear contexts outlive cheap ones",
            .params = &marconi_spec,
            .params_size = sizeof(marconi_params_t),
            .params_default = &marconi_defaults,
        },
    .meta_bytes = sizeof(marconi_meta_t),
    .init = marconi_init,
    .fini = marconi_fini,
    .insert = marconi_insert,
    .hit = marconi_use,
    .remove = marconi_remove,
    .pin = marconi_remove,
    .unpin = marconi_unpin,
    .victim = marconi_victim,
    .mem_bytes = marconi_mem,
};
