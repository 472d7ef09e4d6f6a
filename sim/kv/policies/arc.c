/* ARC (Megiddo and Modha, FAST'03): balances recency and frequency with a learned target p.
 * T1 holds blocks seen once recently, T2 blocks seen at least twice; B1 and B2 remember the ids evicted
 * from T1 and T2 (ghosts). c = capacity.
 *
 *   hit(x in T1 or T2): move x to the MRU end of T2
 *   a block x about to enter: x in B1 -> p = min(c, p + max(|B2|/|B1|, 1)); x in B2 -> p = max(0, p - max(|B1|/|B2|, 1))
 *   victim (REPLACE): if |T1| > p, or x in B2 and |T1| = p, evict T1's LRU (to B1); else T2's LRU (to B2)
 *   insert(x): ghost hit -> MRU of T2; else MRU of T1, keeping |T1| + |B1| <= c and all four lists <= 2c
 *
 * The adaptation happens when the manager asks for room for x (victim knows the incoming id), once per
 * block; if no room was needed it happens at insert. Pinned blocks leave their list (still counted in
 * |T1| or |T2|) and return at its MRU end. 8 + 1 bytes per entry plus the ghosts. */
#include <math.h>
#include <stdlib.h>

#include "sim/kv/dlist.h"
#include "sim/kv/ghost.h"
#include "sim/kv/policy.h"

static const jb_field_t arc_fields[] = {JB_END};
static const jb_spec_t arc_spec = {"arc", arc_fields, NULL};

enum { ARC_T1 = 0, ARC_T2 = 1 };

typedef struct arc_meta {
    kv_dlink_t link;
    uint8_t list;
} arc_meta_t;

typedef struct arc_state {
    kv_dlist_t t[2];  /* unpinned members, LRU at head */
    uint64_t size[2]; /* members, pinned included */
    kv_ghost_t b;     /* B1 (list 0) and B2 (list 1), c ids in all */
    double p;         /* target size of T1 */
    double c;
    uint64_t adapted_for; /* id whose ghost hit already moved p (KV_NO_ID: none) */
    uint32_t evicting;
} arc_state_t;

static int arc_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    arc_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_dl_init(&st->t[0], 0);
    kv_dl_init(&st->t[1], 0);
    kv_ghost_init(&st->b, p->capacity);
    st->c = (double)p->capacity;
    st->adapted_for = KV_NO_ID;
    st->evicting = KV_NO_SLOT;
    p->state = st;
    return 0;
}

static void arc_fini(kv_pol_t *p)
{
    arc_state_t *st = p->state;
    kv_ghost_fini(&st->b);
    free(st);
    p->state = NULL;
}

static arc_meta_t *arc_meta(const kv_pol_t *p, uint32_t slot)
{
    return kv_store_meta(p->store, slot);
}

/* Moves p on a ghost hit of id; returns the ghost list it was in (-1: none). */
static int arc_adapt(arc_state_t *st, uint64_t id)
{
    double n1 = (double)st->b.n[0], n2 = (double)st->b.n[1];
    int g = kv_ghost_which(&st->b, id);
    if (g >= 0 && st->adapted_for != id) {
        if (g == 0)
            st->p = fmin(st->c, st->p + fmax(n2 / n1, 1.0));
        else
            st->p = fmax(0.0, st->p - fmax(n1 / n2, 1.0));
    }
    if (g >= 0)
        st->adapted_for = id;
    return g;
}

static void arc_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    arc_state_t *st = p->state;
    uint64_t id = kv_store_entry(p->store, slot)->id;
    int g = arc_adapt(st, id);
    st->adapted_for = KV_NO_ID;
    arc_meta_t *mt = arc_meta(p, slot);
    if (g >= 0) {
        kv_ghost_del(&st->b, id);
        mt->list = ARC_T2;
    } else {
        mt->list = ARC_T1;
        /* Directory bounds: |T1| + |B1| <= c, |T1| + |T2| + |B1| + |B2| <= 2c. */
        if ((double)(st->size[0] + 1 + st->b.n[0]) > st->c && st->b.n[0] > 0)
            kv_ghost_drop_oldest(&st->b, 0);
        else if ((double)(st->size[0] + st->size[1] + 1 + st->b.n[0] + st->b.n[1]) > 2 * st->c)
            kv_ghost_drop_oldest(&st->b, 1);
    }
    st->size[mt->list]++;
    if (!kv_store_pinned(p->store, slot))
        kv_dl_push_tail(p->store, &st->t[mt->list], slot);
}

static void arc_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    arc_state_t *st = p->state;
    arc_meta_t *mt = arc_meta(p, slot);
    bool pinned = kv_store_pinned(p->store, slot);
    if (!pinned)
        kv_dl_unlink(p->store, &st->t[mt->list], slot);
    st->size[mt->list]--;
    mt->list = ARC_T2;
    st->size[ARC_T2]++;
    if (!pinned)
        kv_dl_push_tail(p->store, &st->t[ARC_T2], slot);
}

static void arc_remove(kv_pol_t *p, uint32_t slot)
{
    arc_state_t *st = p->state;
    arc_meta_t *mt = arc_meta(p, slot);
    if (!kv_store_pinned(p->store, slot))
        kv_dl_unlink(p->store, &st->t[mt->list], slot);
    st->size[mt->list]--;
    if (slot == st->evicting)
        kv_ghost_add(&st->b, mt->list, kv_store_entry(p->store, slot)->id);
    st->evicting = KV_NO_SLOT;
}

static void arc_pin(kv_pol_t *p, uint32_t slot)
{
    arc_state_t *st = p->state;
    kv_dl_unlink(p->store, &st->t[arc_meta(p, slot)->list], slot);
}

static void arc_unpin(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    arc_state_t *st = p->state;
    kv_dl_push_tail(p->store, &st->t[arc_meta(p, slot)->list], slot);
}

static uint32_t arc_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)c;
    arc_state_t *st = p->state;
    bool in_b2 = false;
    if (incoming != KV_NO_ID)
        in_b2 = arc_adapt(st, incoming) == 1;
    double t1 = (double)st->size[ARC_T1];
    bool from_t1 = st->t[ARC_T1].n > 0 && (t1 > st->p || (in_b2 && t1 == floor(st->p)) || st->t[ARC_T2].n == 0);
    uint32_t v = from_t1 ? st->t[ARC_T1].head : st->t[ARC_T2].head;
    st->evicting = v;
    return v;
}

static size_t arc_mem(const kv_pol_t *p)
{
    const arc_state_t *st = p->state;
    return sizeof *st + kv_ghost_mem_bytes(&st->b);
}

const kv_policy_ops_t kv_policy_arc = {
    .base = {
        .name = "arc",
        .summary = "ARC: recency and frequency lists with ghost lists and an adaptive target",
        .params = &arc_spec,
    },
    .meta_bytes = sizeof(arc_meta_t),
    .init = arc_init,
    .fini = arc_fini,
    .insert = arc_insert,
    .hit = arc_hit,
    .remove = arc_remove,
    .pin = arc_pin,
    .unpin = arc_unpin,
    .victim = arc_victim,
    .mem_bytes = arc_mem,
};
