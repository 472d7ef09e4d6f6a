/* LFU with dynamic aging (LFU-DA, Arlitt et al. 2000): evicts the block with the smallest
 *
 *   key = frequency + aging * L,   L = key of the last block evicted
 *
 * Without aging (aging = 0) a block popular long ago stays forever; with aging = 1 a new block starts at
 * the level of the last eviction, so old popularity decays. Equal keys leave least recent first.
 * Pinned blocks leave the order; on release they come back with their key recomputed (a release is a use).
 * The order is a key-grouped queue (gheap.h): keys are small integers shared by many blocks, so every
 * operation is O(1) but for the O(log g) of a new or emptied key among the g distinct ones (a binary heap of
 * every block was O(log n) per pin, release and eviction: the same victims, at about half the instructions).
 * 16 bytes per entry plus 12 bytes of queue links per slot. */
#include <stdlib.h>

#include "sim/kv/gheap.h"
#include "sim/kv/policy.h"

typedef struct lfu_params {
    double aging; /* weight of the eviction level L in the key */
} lfu_params_t;

static const lfu_params_t lfu_defaults = {1.0};

static const jb_field_t lfu_fields[] = {
    JB_DBL(lfu_params_t, aging, 0, 1, NULL, "weight of dynamic aging (0: plain LFU, 1: LFU-DA)"),
    JB_END,
};
static const jb_spec_t lfu_spec = {"lfu", lfu_fields, NULL};

typedef struct lfu_meta {
    uint32_t freq; /* uses while cached here */
    double key;
} lfu_meta_t;

typedef struct lfu_state {
    kv_gheap_t heap;
    double level; /* L */
} lfu_state_t;

static int lfu_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    lfu_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_gheap_init(&st->heap, p->store);
    p->state = st;
    return 0;
}

static void lfu_fini(kv_pol_t *p)
{
    lfu_state_t *st = p->state;
    kv_gheap_fini(&st->heap);
    free(st);
    p->state = NULL;
}

static void lfu_rekey(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    const lfu_params_t *pa = p->params;
    lfu_state_t *st = p->state;
    lfu_meta_t *mt = kv_store_meta(p->store, slot);
    mt->key = (double)mt->freq + pa->aging * st->level;
    if (!kv_store_pinned(p->store, slot))
        kv_gheap_set(&st->heap, slot, mt->key, c->seq);
}

static void lfu_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    lfu_meta_t *mt = kv_store_meta(p->store, slot);
    mt->freq = 1;
    lfu_rekey(p, slot, c);
}

static void lfu_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    lfu_meta_t *mt = kv_store_meta(p->store, slot);
    if (mt->freq < UINT32_MAX)
        mt->freq++;
    lfu_rekey(p, slot, c);
}

static void lfu_remove(kv_pol_t *p, uint32_t slot)
{
    lfu_state_t *st = p->state;
    kv_gheap_remove(&st->heap, slot);
}

static void lfu_pin(kv_pol_t *p, uint32_t slot)
{
    lfu_state_t *st = p->state;
    kv_gheap_remove(&st->heap, slot);
}

static uint32_t lfu_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    lfu_state_t *st = p->state;
    uint32_t v = kv_gheap_top(&st->heap);
    if (v != KV_NO_SLOT)
        st->level = kv_gheap_top_key(&st->heap);
    return v;
}

static size_t lfu_mem(const kv_pol_t *p)
{
    const lfu_state_t *st = p->state;
    return sizeof *st + kv_gheap_mem_bytes(&st->heap);
}

const kv_policy_ops_t kv_policy_lfu = {
    .base =
        {
            .name = "lfu",
            .summary = "least frequently used, with dynamic aging (LFU-DA)",
            .params = &lfu_spec,
            .params_size = sizeof(lfu_params_t),
            .params_default = &lfu_defaults,
        },
    .meta_bytes = sizeof(lfu_meta_t),
    .init = lfu_init,
    .fini = lfu_fini,
    .insert = lfu_insert,
    .hit = lfu_hit,
    .remove = lfu_remove,
    .pin = lfu_pin,
    .unpin = lfu_rekey,
    .victim = lfu_victim,
    .mem_bytes = lfu_mem,
};
