/* S3-FIFO (Yang et al., SOSP'23): a small FIFO S for new blocks, a main FIFO M, and a ghost FIFO G of ids
 * recently evicted from S. Most blocks are used once; S filters them out quickly.
 *
 *   hit(x): x.freq = min(x.freq + 1, 3)
 *   insert(x): x in G ? (drop from G, append to M) : append to S
 *   victim: if |S| >= small_ratio * capacity (or M has nothing evictable): evictS, the paper's loop:
 *               t = oldest of S; t.freq >= move_to_main_threshold ? (move t to M with t.freq = 0, repeat)
 *                                                               : evict t, t -> G
 *           and if S ran out of blocks without evicting one, or |S| was below its share: evictM:
 *               t = oldest of M; t.freq > 0 ? (t.freq -= 1, reinsert t in M, repeat) : evict t
 *
 * The queue is chosen once per eviction: evictS keeps going in S after a promotion (re-choosing after each
 * one, as kvtwin first did, evicted from M whenever a promotion took S below its share), and a promoted
 * block counts its hits in M from 0 (libCacheSim, the authors' simulator, re-inserts it as a new object).
 * M has no bound of its own: S and M share the capacity, so Algorithm 1's "if M is full then evictM" within
 * evictS never fires (as in libCacheSim's S3FIFO.c, which evicts from M first when M exceeds its share).
 * Blocks enter S even before the cache first fills (the paper; libCacheSim's S3FIFO.c sends them to M once
 * S is full, its S3FIFOv0.c does not). Checked against a reference in tests/check_policies_reference.c.
 *
 * Pinned blocks keep their place and are stepped over. The ghost holds ghost_ratio * capacity ids.
 * 8 + 2 bytes per entry, plus the ghost (about 40 bytes per remembered id). */
#include <stdbool.h>
#include <stdlib.h>

#include "sim/kv/dlist.h"
#include "sim/kv/ghost.h"
#include "sim/kv/policy.h"

typedef struct s3fifo_params {
    double small_ratio;              /* share of the capacity for S */
    double ghost_ratio;              /* ids remembered in G, as a share of the capacity */
    uint32_t move_to_main_threshold; /* hits in S needed to move to M instead of leaving */
} s3fifo_params_t;

static const s3fifo_params_t s3fifo_defaults = {0.10, 0.90, 1};

static const jb_field_t s3fifo_fields[] = {
    JB_DBL_POS(s3fifo_params_t, small_ratio, 1, NULL, "share of the capacity given to the small FIFO"),
    JB_DBL(s3fifo_params_t, ghost_ratio, 0, 4, NULL, "ghost ids remembered, as a share of the capacity"),
    JB_UINTF(s3fifo_params_t, move_to_main_threshold, 1, 3, NULL, "hits in the small FIFO that earn the main FIFO"),
    JB_END,
};
static const jb_spec_t s3fifo_spec = {"s3fifo", s3fifo_fields, NULL};

enum { S3_SMALL = 0, S3_MAIN = 1 };

typedef struct s3fifo_meta {
    kv_dlink_t link;
    uint8_t freq;
    uint8_t queue;
} s3fifo_meta_t;

typedef struct s3fifo_state {
    kv_dlist_t q[2];
    kv_ghost_t ghost;
    uint64_t small_target;
    uint32_t evicting; /* slot returned by victim(): its removal sends S blocks to the ghost */
} s3fifo_state_t;

static int s3fifo_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    const s3fifo_params_t *pa = p->params;
    s3fifo_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_dl_init(&st->q[S3_SMALL], 0);
    kv_dl_init(&st->q[S3_MAIN], 0);
    kv_ghost_init(&st->ghost, (uint64_t)(pa->ghost_ratio * (double)p->capacity));
    st->small_target = (uint64_t)(pa->small_ratio * (double)p->capacity);
    if (st->small_target < 1)
        st->small_target = 1;
    st->evicting = KV_NO_SLOT;
    p->state = st;
    return 0;
}

static void s3fifo_fini(kv_pol_t *p)
{
    s3fifo_state_t *st = p->state;
    kv_ghost_fini(&st->ghost);
    free(st);
    p->state = NULL;
}

static s3fifo_meta_t *s3_meta(const kv_pol_t *p, uint32_t slot)
{
    return kv_store_meta(p->store, slot);
}

static void s3fifo_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    s3fifo_state_t *st = p->state;
    s3fifo_meta_t *mt = s3_meta(p, slot);
    mt->freq = 0;
    mt->queue = kv_ghost_del(&st->ghost, kv_store_entry(p->store, slot)->id) ? S3_MAIN : S3_SMALL;
    kv_dl_push_tail(p->store, &st->q[mt->queue], slot);
}

static void s3fifo_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    (void)c;
    s3fifo_meta_t *mt = s3_meta(p, slot);
    if (mt->freq < 3)
        mt->freq++;
}

static void s3fifo_remove(kv_pol_t *p, uint32_t slot)
{
    s3fifo_state_t *st = p->state;
    s3fifo_meta_t *mt = s3_meta(p, slot);
    kv_dl_unlink(p->store, &st->q[mt->queue], slot);
    if (slot == st->evicting && mt->queue == S3_SMALL)
        kv_ghost_add(&st->ghost, 0, kv_store_entry(p->store, slot)->id);
    st->evicting = KV_NO_SLOT;
}

/* The first unpinned block of M, aged as evictM ages it: each block met with a non-zero counter loses one
 * and goes to the tail. Ends: counters are at most 3 and an unpinned block exists in M. */
static uint32_t s3fifo_evict_main(kv_pol_t *p, s3fifo_state_t *st)
{
    kv_store_t *s = p->store;
    for (;;) {
        uint32_t tm = kv_dl_first_unpinned(s, &st->q[S3_MAIN]);
        if (tm == KV_NO_SLOT)
            return KV_NO_SLOT;
        s3fifo_meta_t *mt = s3_meta(p, tm);
        if (mt->freq == 0)
            return tm;
        mt->freq--;
        kv_dl_move_tail(s, &st->q[S3_MAIN], tm);
    }
}

static uint32_t s3fifo_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    const s3fifo_params_t *pa = p->params;
    s3fifo_state_t *st = p->state;
    kv_store_t *s = p->store;
    uint32_t v = KV_NO_SLOT;
    uint32_t ts = kv_dl_first_unpinned(s, &st->q[S3_SMALL]);
    /* M is searched for an unpinned block only when S is under its share (its head is a likely miss). */
    if (ts != KV_NO_SLOT &&
        (st->q[S3_SMALL].n >= st->small_target || kv_dl_first_unpinned(s, &st->q[S3_MAIN]) == KV_NO_SLOT)) {
        /* evictS: until a block leaves S; the ones it passes with enough hits go to M, counting again from 0 */
        while (ts != KV_NO_SLOT) {
            s3fifo_meta_t *mt = s3_meta(p, ts);
            if (mt->freq < pa->move_to_main_threshold) {
                v = ts;
                break;
            }
            kv_dl_unlink(s, &st->q[S3_SMALL], ts);
            mt->queue = S3_MAIN;
            mt->freq = 0;
            kv_dl_push_tail(s, &st->q[S3_MAIN], ts);
            ts = kv_dl_first_unpinned(s, &st->q[S3_SMALL]);
        }
    }
    if (v == KV_NO_SLOT) /* evictM, also when every unpinned block of S went to M */
        v = s3fifo_evict_main(p, st);
    st->evicting = v;
    return v;
}

static size_t s3fifo_mem(const kv_pol_t *p)
{
    const s3fifo_state_t *st = p->state;
    return sizeof *st + kv_ghost_mem_bytes(&st->ghost);
}

const kv_policy_ops_t kv_policy_s3fifo = {
    .base =
        {
            .name = "s3fifo",
            .summary = "S3-FIFO: small probationary FIFO, main FIFO with reinsertion, ghost FIFO",
            .params = &s3fifo_spec,
            .params_size = sizeof(s3fifo_params_t),
            .params_default = &s3fifo_defaults,
        },
    .meta_bytes = sizeof(s3fifo_meta_t),
    .init = s3fifo_init,
    .fini = s3fifo_fini,
    .insert = s3fifo_insert,
    .hit = s3fifo_hit,
    .remove = s3fifo_remove,
    .victim = s3fifo_victim,
    .mem_bytes = s3fifo_mem,
};
