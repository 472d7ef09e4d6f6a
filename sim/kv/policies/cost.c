/* Cost-aware eviction, GDSF-like (Cherkasova 1998, Greedy-Dual-Size-Frequency): evicts the block with the
 * smallest value
 *
 *   H = aging * L + frequency * cost / size,   L = H of the last block evicted
 *
 * where cost is the time recomputing the block would take (kv_access_t.recompute_s_per_block at its last
 * use, carried with the block between tiers) and size its bytes. Every block of a run has the same size, so
 * H ranks blocks by recompute seconds saved per byte: blocks of long contexts (whose attention makes each
 * block dearer to recompute) outlive cheap ones used as often. A block whose cost is unknown counts
 * default_cost_s. Equal values leave least recent first; pinned blocks leave the order until released.
 * The order is a key-grouped queue (gheap.h): a request's blocks released together share L and their cost,
 * so those of equal frequency share a value and form one group; O(1) per operation plus O(log g) among the
 * g distinct values when one appears or empties. 16 bytes per entry plus 12 bytes of queue links per slot
 * and 24 bytes (and a map cell) per distinct value. */
#include <stdlib.h>

#include "sim/kv/gheap.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

typedef struct cost_params {
    double aging;          /* weight of the inflation level L */
    double default_cost_s; /* recompute time assumed when the caller gives none */
} cost_params_t;

static const cost_params_t cost_defaults = {1.0, 1e-3};

static const jb_field_t cost_fields[] = {
    JB_DBL(cost_params_t, aging, 0, 1, NULL, "weight of the inflation level (0: no aging, 1: GDSF)"),
    JB_DBL_POS(cost_params_t, default_cost_s, 1e6, "s", "recompute time per block when the caller gives none"),
    JB_END,
};
static const jb_spec_t cost_spec = {"cost", cost_fields, NULL};

typedef struct cost_meta {
    uint32_t freq;
    double value;
} cost_meta_t;

typedef struct cost_state {
    kv_gheap_t heap;
    double level;
} cost_state_t;

static int cost_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    cost_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_gheap_init(&st->heap, p->store);
    p->state = st;
    return 0;
}

static void cost_fini(kv_pol_t *p)
{
    cost_state_t *st = p->state;
    kv_gheap_fini(&st->heap);
    free(st);
    p->state = NULL;
}

static void cost_rekey(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    const cost_params_t *pa = p->params;
    cost_state_t *st = p->state;
    cost_meta_t *mt = kv_store_meta(p->store, slot);
    double cost = kv_store_entry(p->store, slot)->cost_s;
    if (!(cost > 0))
        cost = pa->default_cost_s;
    /* Size is one block for every entry: value per byte and per block rank alike. */
    mt->value = pa->aging * st->level + (double)mt->freq * cost;
    if (!kv_store_pinned(p->store, slot))
        kv_gheap_set(&st->heap, slot, mt->value, c->seq);
}

static void cost_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    cost_meta_t *mt = kv_store_meta(p->store, slot);
    mt->freq = 1;
    cost_rekey(p, slot, c);
}

static void cost_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    cost_meta_t *mt = kv_store_meta(p->store, slot);
    if (mt->freq < UINT32_MAX)
        mt->freq++;
    cost_rekey(p, slot, c);
}

static void cost_remove(kv_pol_t *p, uint32_t slot)
{
    cost_state_t *st = p->state;
    kv_gheap_remove(&st->heap, slot);
}

static void cost_pin(kv_pol_t *p, uint32_t slot)
{
    cost_state_t *st = p->state;
    kv_gheap_remove(&st->heap, slot);
}

static uint32_t cost_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    cost_state_t *st = p->state;
    uint32_t v = kv_gheap_top(&st->heap);
    if (v != KV_NO_SLOT)
        st->level = kv_gheap_top_key(&st->heap);
    return v;
}

static size_t cost_mem(const kv_pol_t *p)
{
    const cost_state_t *st = p->state;
    return sizeof *st + kv_gheap_mem_bytes(&st->heap);
}

const kv_policy_ops_t kv_policy_cost = {
    .base =
        {
            .name = "cost",
            .summary = "cost-aware (GDSF-like): keeps the blocks that save the most recompute time per byte",
            .params = &cost_spec,
            .params_size = sizeof(cost_params_t),
            .params_default = &cost_defaults,
        },
    .meta_bytes = sizeof(cost_meta_t),
    .init = cost_init,
    .fini = cost_fini,
    .insert = cost_insert,
    .hit = cost_hit,
    .remove = cost_remove,
    .pin = cost_pin,
    .unpin = cost_rekey,
    .victim = cost_victim,
    .mem_bytes = cost_mem,
};
