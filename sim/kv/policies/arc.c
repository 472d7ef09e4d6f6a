/* ARC (Megiddo and Modha, FAST'03, Fig. 4): balances recency and frequency with a learned target p.
 * T1 holds blocks seen once recently, T2 blocks seen at least twice; B1 and B2 remember the ids evicted
 * from T1 and T2 (ghosts). c = capacity, p real-valued, starting at 0.
 *
 *   I   x in T1 or T2 (hit): move x to the MRU end of T2
 *   II  x in B1: p = min(c, p + max(|B2|/|B1|, 1)); REPLACE(x); move x from B1 to the MRU end of T2
 *   III x in B2: p = max(0, p - max(|B1|/|B2|, 1)); REPLACE(x); move x from B2 to the MRU end of T2
 *   IV  x in no list: if |T1| + |B1| = c: |T1| < c ? (drop B1's LRU id; REPLACE(x)) : evict T1's LRU (no ghost)
 *                     elif the four lists hold >= c: (drop B2's LRU id if they hold 2c); REPLACE(x)
 *                     then x goes to the MRU end of T1
 *   REPLACE(x): T1 not empty and (|T1| > p or (x in B2 and |T1| = p)) ? T1's LRU -> MRU of B1
 *                                                                      : T2's LRU -> MRU of B2
 *
 * The manager asks for room for x before inserting it (victim knows the incoming id): victim runs the case
 * of x (adaptation, the trimming of case IV, REPLACE) and remove puts the evicted id on its ghost list;
 * insert then files x. If no room was needed (the cache not full) insert runs the case without REPLACE. A
 * request that needs room for several blocks at once asks victim again for the same incoming id: later
 * calls only REPLACE. The ghosts are one pool of at most 2c ids; the directory bounds (|T1| + |B1| <= c,
 * all four <= 2c) hold by the cases above on one-block accesses and are enforced after every change
 * otherwise (oldest of B1, then of B2), so the trimming never drops the incoming id's own ghost. |T1| = p
 * compares the real p (REPLACE's tie only arises when p is a whole number). libCacheSim's ARC.c moves p by
 * whole steps (integer division of the ghost sizes); kvtwin follows the paper. Checked against a reference
 * implementation of the paper's pseudo-code in tests/check_policies_reference.c.
 *
 * Pinned blocks leave their list (still counted in |T1| or |T2|) and return at its MRU end; REPLACE takes
 * the LRU unpinned block of the list it chose, or of the other list if that one has none.
 * 8 + 1 bytes per entry plus the ghosts. */
#include <math.h>
#include <stdbool.h>
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
    kv_ghost_t b;     /* B1 (list 0) and B2 (list 1), at most 2c ids in all */
    double p;         /* target size of T1 */
    double c;
    uint64_t pending;  /* incoming id whose case victim already ran (KV_NO_ID: none) */
    int pending_ghost; /* the ghost list it was in then (-1: none) */
    uint32_t evicting; /* slot victim returned */
    int evict_to;      /* ghost list its id goes to on removal (-1: none, case IV with |T1| = c) */
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
    kv_ghost_init(&st->b, 2 * p->capacity);
    st->c = (double)p->capacity;
    st->pending = KV_NO_ID;
    st->pending_ghost = -1;
    st->evicting = KV_NO_SLOT;
    st->evict_to = -1;
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

static uint64_t arc_dir(const arc_state_t *st)
{
    return st->size[0] + st->size[1] + st->b.n[0] + st->b.n[1];
}

/* Cases II and III: moves p for an id found in ghost list g. */
static void arc_adapt(arc_state_t *st, int g)
{
    double n1 = (double)st->b.n[0], n2 = (double)st->b.n[1];
    if (g == 0)
        st->p = fmin(st->c, st->p + (n1 >= n2 ? 1.0 : n2 / n1));
    else if (g == 1)
        st->p = fmax(0.0, st->p - (n2 >= n1 ? 1.0 : n1 / n2));
}

/* The directory bounds, for what the cases do not cover (several blocks admitted at once, removals that
 * are not evictions): |T1| + |B1| <= c, all four lists <= 2c. */
static void arc_bound(arc_state_t *st)
{
    uint64_t c = (uint64_t)st->c;
    while (st->size[0] + st->b.n[0] > c && kv_ghost_drop_oldest(&st->b, 0))
        ;
    while (arc_dir(st) > 2 * c && (kv_ghost_drop_oldest(&st->b, 1) || kv_ghost_drop_oldest(&st->b, 0)))
        ;
}

static void arc_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    arc_state_t *st = p->state;
    uint64_t id = kv_store_entry(p->store, slot)->id;
    int g;
    if (id == st->pending) {
        g = st->pending_ghost; /* victim ran its case */
    } else {
        /* No room was needed: the case without REPLACE. */
        g = kv_ghost_which(&st->b, id);
        if (g >= 0) {
            arc_adapt(st, g);
        } else if ((double)(st->size[0] + st->b.n[0]) >= st->c) {
            kv_ghost_drop_oldest(&st->b, 0);
        } else if ((double)arc_dir(st) >= 2 * st->c) {
            kv_ghost_drop_oldest(&st->b, 1);
        }
    }
    st->pending = KV_NO_ID;
    st->pending_ghost = -1;
    arc_meta_t *mt = arc_meta(p, slot);
    if (g >= 0)
        kv_ghost_del(&st->b, id);
    mt->list = g >= 0 ? ARC_T2 : ARC_T1;
    st->size[mt->list]++;
    if (!kv_store_pinned(p->store, slot))
        kv_dl_push_tail(p->store, &st->t[mt->list], slot);
    arc_bound(st);
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
    if (slot == st->evicting && st->evict_to >= 0) {
        kv_ghost_add(&st->b, st->evict_to, kv_store_entry(p->store, slot)->id);
        arc_bound(st);
    }
    st->evicting = KV_NO_SLOT;
    st->evict_to = -1;
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

/* REPLACE(x, p): the LRU unpinned block of T1 or T2, its id bound for B1 or B2. */
static uint32_t arc_replace(arc_state_t *st, bool in_b2)
{
    double t1 = (double)st->size[ARC_T1];
    bool from_t1 = st->t[ARC_T1].n > 0 && (t1 > st->p || (in_b2 && t1 == st->p) || st->t[ARC_T2].n == 0);
    st->evict_to = from_t1 ? 0 : 1;
    return st->evicting = from_t1 ? st->t[ARC_T1].head : st->t[ARC_T2].head;
}

static uint32_t arc_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)c;
    arc_state_t *st = p->state;
    if (incoming == KV_NO_ID || incoming == st->pending)
        return arc_replace(st, st->pending_ghost == 1 && incoming != KV_NO_ID);
    int g = kv_ghost_which(&st->b, incoming);
    st->pending = incoming;
    st->pending_ghost = g;
    if (g >= 0) { /* cases II and III */
        arc_adapt(st, g);
        return arc_replace(st, g == 1);
    }
    /* case IV */
    if ((double)(st->size[ARC_T1] + st->b.n[0]) >= st->c) {
        if ((double)st->size[ARC_T1] < st->c) {
            kv_ghost_drop_oldest(&st->b, 0);
            return arc_replace(st, false);
        }
        st->evict_to = -1; /* |T1| = c: T1's LRU leaves without a ghost */
        return st->evicting = st->t[ARC_T1].head;
    }
    if ((double)arc_dir(st) >= 2 * st->c)
        kv_ghost_drop_oldest(&st->b, 1);
    return arc_replace(st, false);
}

static size_t arc_mem(const kv_pol_t *p)
{
    const arc_state_t *st = p->state;
    return sizeof *st + kv_ghost_mem_bytes(&st->b);
}

const kv_policy_ops_t kv_policy_arc = {
    .base =
        {
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
