/* Intrusive doubly linked lists of store slots (internal to sim/kv): the links live in a policy's per-entry
 * meta area at a fixed offset, so a list costs 8 bytes per entry and no allocation. A list runs from head
 * (oldest, the eviction end) to tail (newest). Several lists may share one link pair when an entry is on
 * at most one of them at a time (S3-FIFO's small and main queues, ARC's T1 and T2). */
#ifndef KVTWIN_KV_DLIST_H
#define KVTWIN_KV_DLIST_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/kv/store.h"

typedef struct kv_dlink {
    uint32_t prev, next;
} kv_dlink_t;

typedef struct kv_dlist {
    uint32_t head, tail; /* KV_NO_SLOT when empty */
    uint64_t n;
    size_t off; /* offset of the kv_dlink_t inside the meta area */
} kv_dlist_t;

static inline void kv_dl_init(kv_dlist_t *l, size_t off)
{
    l->head = l->tail = KV_NO_SLOT;
    l->n = 0;
    l->off = off;
}

static inline kv_dlink_t *kv_dl_link(const kv_store_t *s, const kv_dlist_t *l, uint32_t slot)
{
    return (kv_dlink_t *)((char *)kv_store_meta(s, slot) + l->off);
}

static inline void kv_dl_push_tail(const kv_store_t *s, kv_dlist_t *l, uint32_t slot)
{
    kv_dlink_t *k = kv_dl_link(s, l, slot);
    k->prev = l->tail;
    k->next = KV_NO_SLOT;
    if (l->tail != KV_NO_SLOT)
        kv_dl_link(s, l, l->tail)->next = slot;
    else
        l->head = slot;
    l->tail = slot;
    l->n++;
}

static inline void kv_dl_push_head(const kv_store_t *s, kv_dlist_t *l, uint32_t slot)
{
    kv_dlink_t *k = kv_dl_link(s, l, slot);
    k->next = l->head;
    k->prev = KV_NO_SLOT;
    if (l->head != KV_NO_SLOT)
        kv_dl_link(s, l, l->head)->prev = slot;
    else
        l->tail = slot;
    l->head = slot;
    l->n++;
}

static inline void kv_dl_unlink(const kv_store_t *s, kv_dlist_t *l, uint32_t slot)
{
    kv_dlink_t *k = kv_dl_link(s, l, slot);
    assert(l->n > 0);
    if (k->prev != KV_NO_SLOT)
        kv_dl_link(s, l, k->prev)->next = k->next;
    else
        l->head = k->next;
    if (k->next != KV_NO_SLOT)
        kv_dl_link(s, l, k->next)->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = KV_NO_SLOT;
    l->n--;
}

static inline void kv_dl_move_tail(const kv_store_t *s, kv_dlist_t *l, uint32_t slot)
{
    if (l->tail == slot)
        return;
    kv_dl_unlink(s, l, slot);
    kv_dl_push_tail(s, l, slot);
}

/* The first slot from the head that is not pinned (policies that keep pinned entries in place). */
static inline uint32_t kv_dl_first_unpinned(const kv_store_t *s, const kv_dlist_t *l)
{
    uint32_t slot = l->head;
    while (slot != KV_NO_SLOT && kv_store_pinned(s, slot))
        slot = kv_dl_link(s, l, slot)->next;
    return slot;
}

#endif
