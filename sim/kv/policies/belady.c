/* Belady's MIN / OPT (offline): evicts the block whose next reference lies furthest in the future; blocks
 * never referenced again go first. It needs the future: kv_access_t.next_use, filled by an oracle pass over
 * the whole trace (sim/kv/oracle.h, linear in trace length). It is the upper bound every other policy is
 * compared with. With prefix-chained blocks a parent is referenced whenever its child is, so its next use is
 * never later than the child's: the optimum breaks prefixes from the leaf by itself.
 * Equal next uses (both "never") leave least recent first. Pinned blocks leave the heap until released.
 * O(log n); no per-entry state, a 24-byte heap node and 4 bytes of heap position per slot. */
#include <stdlib.h>

#include "sim/kv/heap.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

static const jb_field_t belady_fields[] = {JB_END};
static const jb_spec_t belady_spec = {"belady", belady_fields, NULL};

static int belady_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    kv_heap_t *h = malloc(sizeof *h);
    if (!h)
        return -1;
    kv_heap_init(h, p->store);
    p->state = h;
    return 0;
}

static void belady_fini(kv_pol_t *p)
{
    kv_heap_fini(p->state);
    free(p->state);
    p->state = NULL;
}

static void belady_rekey(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    if (kv_store_pinned(p->store, slot))
        return;
    /* A min-heap of negated next uses puts the furthest first . */
    double next = (double)kv_store_entry(p->store, slot)->next_use; /* KV_NEVER: the furthest of all */
    kv_heap_set(p->state, slot, -next, c->seq);
}

static void belady_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    belady_rekey(p, slot, c);
}

static void belady_remove(kv_pol_t *p, uint32_t slot)
{
    kv_heap_remove(p->state, slot);
}

static uint32_t belady_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    return kv_heap_top(p->state);
}

static size_t belady_mem(const kv_pol_t *p)
{
    return sizeof(kv_heap_t) + kv_heap_mem_bytes(p->state);
}

const kv_policy_ops_t kv_policy_belady = {
    .base =
        {
            .name = "belady",
            .summary = "Belady/OPT: evicts the block referenced furthest in the future (offline upper bound)",
            .note = "offline: needs the future",
            .params = &belady_spec,
        },
    .meta_bytes = 0,
    .needs_next_use = true,
    .init = belady_init,
    .fini = belady_fini,
    .insert = belady_insert,
    .hit = belady_rekey,
    .remove = belady_remove,
    .pin = belady_remove,
    .unpin = belady_rekey,
    .victim = belady_victim,
    .mem_bytes = belady_mem,
};
