/* LRU: evicts the block used least recently.
 *
 *   hit or unpin(x): move x to the tail (most recent)     victim: the head
 *
 * Pinned blocks leave the list and come back at the tail when their last user releases them, so "recent"
 * means recently used or released, as in vLLM's free-block queue. The manager releases a request's blocks
 * from its last block to its first, so within one request the deepest block is the least recent and is
 * evicted first (a cached prefix is not broken from its root). O(1) per operation; 8 bytes per entry. */
#include <stdlib.h>

#include "sim/kv/dlist.h"
#include "sim/kv/policy.h"

typedef struct lru_state {
    kv_dlist_t list; /* unpinned entries, least recent first */
} lru_state_t;

static const jb_field_t lru_fields[] = {JB_END};
static const jb_spec_t lru_spec = {"lru", lru_fields, NULL};

static int lru_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    lru_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_dl_init(&st->list, 0);
    p->state = st;
    return 0;
}

static void lru_fini(kv_pol_t *p)
{
    free(p->state);
    p->state = NULL;
}

static void lru_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    lru_state_t *st = p->state;
    if (!kv_store_pinned(p->store, slot))
        kv_dl_push_tail(p->store, &st->list, slot);
}

static void lru_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    lru_state_t *st = p->state;
    if (!kv_store_pinned(p->store, slot))
        kv_dl_move_tail(p->store, &st->list, slot);
}

static void lru_remove(kv_pol_t *p, uint32_t slot)
{
    lru_state_t *st = p->state;
    if (!kv_store_pinned(p->store, slot))
        kv_dl_unlink(p->store, &st->list, slot);
}

static void lru_pin(kv_pol_t *p, uint32_t slot)
{
    lru_state_t *st = p->state;
    kv_dl_unlink(p->store, &st->list, slot);
}

static void lru_unpin(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    lru_state_t *st = p->state;
    kv_dl_push_tail(p->store, &st->list, slot);
}

static uint32_t lru_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    const lru_state_t *st = p->state;
    return st->list.head;
}

const kv_policy_ops_t kv_policy_lru = {
    .base =
        {
            .name = "lru",
            .summary = "least recently used (released) block first",
            .params = &lru_spec,
            .params_size = 0,
            .params_default = NULL,
        },
    .meta_bytes = sizeof(kv_dlink_t),
    .init = lru_init,
    .fini = lru_fini,
    .insert = lru_insert,
    .hit = lru_hit,
    .remove = lru_remove,
    .pin = lru_pin,
    .unpin = lru_unpin,
    .victim = lru_victim,
};
