/* Leaf-first LRU, radix-tree style (as SGLang's RadixAttention evicts): a block whose longer prefix (a
 * child block) is still cached here is never evicted; among leaves, the least recently used goes first.
 * The cached set of the store therefore stays closed under prefixes: evicting never strands a child whose
 * parent is gone.
 *
 *   children(x) = cached blocks whose parent is x     leaves = blocks with children(x) = 0
 *   victim: the least recent unpinned leaf
 *
 * Parents are known from the block's `parent` id (kv_entry_t). A child may arrive before its parent (lower
 * tiers receive demoted leaves first); its count waits in a side table keyed by the parent id until the
 * parent arrives. Should every unpinned block have a cached child (all leaves pinned), the least recent
 * unpinned block is taken by a scan, so the manager always gets a victim.
 *
 * The leaves are kept in two orders that together are the one order of `last`: a leaf offered at a use
 * (insert, hit, release) carries the newest sequence number of all and goes to the tail of a list, O(1); a
 * parent that becomes a leaf again when its last child leaves keeps its older number and goes to a 4-ary
 * heap, O(log n). The victim is the older of the list's head and the heap's top. (One heap of every leaf
 * paid O(log n) at every pin and release.) 24 bytes per entry, plus a 24-byte heap node and 4 bytes of heap
 * position per slot. */
#include <stdbool.h>
#include <stdlib.h>

#include "sim/base/u64map.h"
#include "sim/kv/dlist.h"
#include "sim/kv/heap.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

static const jb_field_t leaf_fields[] = {JB_END};
static const jb_spec_t leaf_spec = {"leaf_lru", leaf_fields, NULL};

typedef struct leaf_meta {
    uint32_t children; /* cached children */
    uint32_t in_list;  /* 1 while in the list of fresh leaves */
    uint64_t last;     /* sequence number of the last use */
    kv_dlink_t link;   /* in the list */
} leaf_meta_t;

typedef struct leaf_state {
    kv_heap_t heap;   /* leaves offered with an older sequence number (re-leafed parents) */
    kv_dlist_t fresh; /* leaves offered at a use, oldest first */
    u64map_t pending; /* parent id -> cached children that arrived before it */
} leaf_state_t;

static int leaf_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    leaf_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_heap_init(&st->heap, p->store);
    kv_dl_init(&st->fresh, offsetof(leaf_meta_t, link));
    u64map_init(&st->pending);
    p->state = st;
    return 0;
}

static void leaf_fini(kv_pol_t *p)
{
    leaf_state_t *st = p->state;
    kv_heap_fini(&st->heap);
    u64map_free(&st->pending);
    free(st);
    p->state = NULL;
}

static leaf_meta_t *leaf_m(const kv_pol_t *p, uint32_t slot)
{
    return kv_store_meta(p->store, slot);
}

/* Takes slot out of the leaf order (wherever it is; nothing if it is in neither). */
static void leaf_unoffer(kv_pol_t *p, uint32_t slot)
{
    leaf_state_t *st = p->state;
    leaf_meta_t *mt = leaf_m(p, slot);
    if (mt->in_list) {
        kv_dl_unlink(p->store, &st->fresh, slot);
        mt->in_list = 0;
    } else {
        kv_heap_remove(&st->heap, slot);
    }
}

/* Files slot among the leaves if it is an unpinned leaf. fresh: its `last` was just set from the current
 * sequence number, the newest there is, so the tail of the list is its place. */
static void leaf_offer(kv_pol_t *p, uint32_t slot, bool fresh)
{
    leaf_state_t *st = p->state;
    leaf_meta_t *mt = leaf_m(p, slot);
    if (mt->children != 0 || kv_store_pinned(p->store, slot))
        return;
    if (fresh) {
        leaf_unoffer(p, slot);
        kv_dl_push_tail(p->store, &st->fresh, slot);
        mt->in_list = 1;
    } else if (mt->in_list) {
        kv_dl_unlink(p->store, &st->fresh, slot);
        mt->in_list = 0;
        kv_heap_set(&st->heap, slot, (double)mt->last, mt->last);
    } else {
        kv_heap_set(&st->heap, slot, (double)mt->last, mt->last);
    }
}

/* Parent of the entry in slot, or KV_NO_ID (a first block, or a malformed self-reference). */
static uint64_t leaf_parent(const kv_pol_t *p, uint32_t slot)
{
    const kv_entry_t *e = kv_store_entry(p->store, slot);
    return e->parent == e->id ? KV_NO_ID : e->parent;
}

static void leaf_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    leaf_state_t *st = p->state;
    leaf_meta_t *mt = leaf_m(p, slot);
    mt->last = c->seq;
    mt->children = 0;
    uint64_t waiting;
    if (u64map_get(&st->pending, kv_store_entry(p->store, slot)->id, &waiting)) {
        mt->children = waiting;
        u64map_del(&st->pending, kv_store_entry(p->store, slot)->id);
    }
    uint64_t parent = leaf_parent(p, slot);
    if (parent != KV_NO_ID) {
        uint32_t ps = kv_store_find(p->store, parent);
        if (ps != KV_NO_SLOT) {
            if (leaf_m(p, ps)->children++ == 0)
                leaf_unoffer(p, ps);
        } else {
            uint64_t n = 0;
            u64map_get(&st->pending, parent, &n);
            u64map_put(&st->pending, parent, n + 1);
        }
    }
    leaf_offer(p, slot, true);
}

static void leaf_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    leaf_m(p, slot)->last = c->seq;
    leaf_offer(p, slot, true);
}

static void leaf_remove(kv_pol_t *p, uint32_t slot)
{
    leaf_state_t *st = p->state;
    leaf_meta_t *mt = leaf_m(p, slot);
    leaf_unoffer(p, slot);
    /* Children left behind (a block moved up from an exclusive tier) wait for it to come back. */
    if (mt->children)
        u64map_put(&st->pending, kv_store_entry(p->store, slot)->id, mt->children);
    uint64_t parent = leaf_parent(p, slot);
    if (parent == KV_NO_ID)
        return;
    uint32_t ps = kv_store_find(p->store, parent);
    if (ps != KV_NO_SLOT) {
        if (--leaf_m(p, ps)->children == 0)
            leaf_offer(p, ps, false);
    } else {
        uint64_t n = 0;
        if (u64map_get(&st->pending, parent, &n) && n > 1)
            u64map_put(&st->pending, parent, n - 1);
        else
            u64map_del(&st->pending, parent);
    }
}

static void leaf_pin(kv_pol_t *p, uint32_t slot)
{
    leaf_unoffer(p, slot);
}

static void leaf_unpin(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    leaf_m(p, slot)->last = c->seq;
    leaf_offer(p, slot, true);
}

static uint32_t leaf_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    leaf_state_t *st = p->state;
    uint32_t v = kv_heap_top(&st->heap), f = st->fresh.head;
    if (f != KV_NO_SLOT && (v == KV_NO_SLOT || leaf_m(p, f)->last < leaf_m(p, v)->last))
        v = f;
    if (v != KV_NO_SLOT)
        return v;
    /* Every unpinned block has a cached child (whose leaves are pinned): take the least recent one. */
    const kv_store_t *s = p->store;
    uint64_t best = UINT64_MAX;
    for (uint32_t slot = 0; slot < s->nfresh; slot++) {
        const kv_entry_t *e = kv_store_entry(s, slot);
        if ((e->flags & KV_E_LIVE) && !e->pins && leaf_m(p, slot)->last < best) {
            best = leaf_m(p, slot)->last;
            v = slot;
        }
    }
    return v;
}

static size_t leaf_mem(const kv_pol_t *p)
{
    const leaf_state_t *st = p->state;
    return sizeof *st + kv_heap_mem_bytes(&st->heap) + u64map_mem_bytes(&st->pending);
}

const kv_policy_ops_t kv_policy_leaf_lru = {
    .base =
        {
            .name = "leaf_lru",
            .summary = "leaf-first LRU (radix style): never evicts a block whose longer prefix is cached",
            .params = &leaf_spec,
        },
    .meta_bytes = sizeof(leaf_meta_t),
    .init = leaf_init,
    .fini = leaf_fini,
    .insert = leaf_insert,
    .hit = leaf_hit,
    .remove = leaf_remove,
    .pin = leaf_pin,
    .unpin = leaf_unpin,
    .victim = leaf_victim,
    .mem_bytes = leaf_mem,
};
