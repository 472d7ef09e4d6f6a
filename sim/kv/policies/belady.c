/* Belady's MIN / OPT (offline): evicts the block whose next reference lies furthest in the future; blocks
 * never referenced again go first. It needs the future: kv_access_t.next_use, filled by an oracle pass over
 * the whole trace (sim/kv/oracle.h, linear in trace length). It is the upper bound every other policy is
 * compared with. With prefix-chained blocks a parent is referenced whenever its child is, so its next use is
 * never later than the child's: the optimum breaks prefixes from the leaf by itself.
 * Equal next uses (both "never") leave least recent first. Pinned blocks leave the order until released.
 *
 * The order is split in two, exactly as one heap of (-next use, sequence number) would order it: blocks
 * never used again (most of them, in a trace where most blocks are used once) carry the smallest key of all
 * and among themselves leave in sequence order, so they sit in a FIFO list, O(1), and are the victims while
 * any exists; the others are in a 4-ary heap, O(log n) (a heap of everything paid a sift of every level on
 * each eviction). 12 bytes per entry (list link, flag), a 24-byte heap node and 4 bytes of heap position
 * per slot. */
#include <stdlib.h>

#include "sim/kv/dlist.h"
#include "sim/kv/heap.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

static const jb_field_t belady_fields[] = {JB_END};
static const jb_spec_t belady_spec = {"belady", belady_fields, NULL};

typedef struct belady_meta {
    kv_dlink_t link;   /* in the never list */
    uint32_t in_never; /* 1 while in the never list */
} belady_meta_t;

typedef struct belady_state {
    kv_heap_t heap;   /* blocks used again, by (-next use, sequence) */
    kv_dlist_t never; /* blocks never used again, oldest sequence first */
} belady_state_t;

static int belady_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    belady_state_t *st = malloc(sizeof *st);
    if (!st)
        return -1;
    kv_heap_init(&st->heap, p->store);
    kv_dl_init(&st->never, offsetof(belady_meta_t, link));
    p->state = st;
    return 0;
}

static void belady_fini(kv_pol_t *p)
{
    belady_state_t *st = p->state;
    kv_heap_fini(&st->heap);
    free(st);
    p->state = NULL;
}

static void belady_remove(kv_pol_t *p, uint32_t slot)
{
    belady_state_t *st = p->state;
    belady_meta_t *mt = kv_store_meta(p->store, slot);
    if (mt->in_never) {
        kv_dl_unlink(p->store, &st->never, slot);
        mt->in_never = 0;
    } else {
        kv_heap_remove(&st->heap, slot);
    }
}

static void belady_rekey(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    if (kv_store_pinned(p->store, slot))
        return;
    belady_state_t *st = p->state;
    uint32_t next = kv_store_entry(p->store, slot)->next_use;
    belady_remove(p, slot); /* re-keyed: its sequence number is now the largest */
    if (next == KV_NEVER) {
        kv_dl_push_tail(p->store, &st->never, slot);
        ((belady_meta_t *)kv_store_meta(p->store, slot))->in_never = 1;
        return;
    }
    /* A min-heap of negated next uses puts the furthest first. */
    kv_heap_set(&st->heap, slot, -(double)next, c->seq);
}

static void belady_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    belady_rekey(p, slot, c);
}

static uint32_t belady_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    const belady_state_t *st = p->state;
    return st->never.head != KV_NO_SLOT ? st->never.head : kv_heap_top(&st->heap);
}

static size_t belady_mem(const kv_pol_t *p)
{
    const belady_state_t *st = p->state;
    return sizeof *st + kv_heap_mem_bytes(&st->heap);
}

const kv_policy_ops_t kv_policy_belady = {
    .base =
        {
            .name = "belady",
            .summary = "Belady/OPT: evicts the block referenced furthest in the future (offline upper bound)",
            .note = "offline: needs the future",
            .params = &belady_spec,
        },
    .meta_bytes = sizeof(belady_meta_t),
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
