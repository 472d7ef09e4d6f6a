/* Session-aware TTL: protects the blocks of sessions that are between turns.
 *
 * Each block belongs to the session of its last use (kv_entry_t.session). A session is live while
 * now - last activity <= TTL; its blocks are protected. The TTL is learned from the gaps observed between
 * a session's uses (its think/tool times): TTL = multiplier x the `quantile` of the gaps seen so far
 * (ttl_init_s until min_samples gaps), so a session idle longer than most sessions ever pause is taken
 * for finished.
 *
 *   victim: the least recent unprotected block: blocks without a session (LRU among them) and blocks of
 *           expired sessions (least recently active session first, its least recent block first);
 *           if every block is protected, the least recently active session's least recent block
 *
 * Sessions are kept in order of last activity, each with the list of its unpinned blocks, so a victim costs
 * O(1) plus the sessions whose blocks are all pinned. Gaps shorter than min_gap_s are the events of one
 * turn (admission, commit, release), not pauses. Session records outlive their blocks (for gap learning)
 * up to max_sessions. 24 bytes per entry plus about 80 bytes per session. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"
#include "sim/kv/dlist.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

typedef struct sttl_params {
    double ttl_init_s;     /* TTL before enough gaps are seen */
    double quantile;       /* of the observed gaps */
    double multiplier;     /* TTL = multiplier x quantile */
    uint32_t min_samples;  /* gaps needed before the learned TTL is used */
    double min_gap_s;      /* shorter intervals are within one turn */
    uint32_t max_sessions; /* session records kept (live ones are never dropped) */
} sttl_params_t;

static const sttl_params_t sttl_defaults = {60.0, 0.9, 1.0, 16, 1.0, 1u << 20};

static const jb_field_t sttl_fields[] = {
    JB_DBL_POS(sttl_params_t, ttl_init_s, 1e9, "s", "TTL until min_samples gaps are observed"),
    JB_DBL_POS(sttl_params_t, quantile, 1, NULL, "quantile of the observed inter-turn gaps"),
    JB_DBL_POS(sttl_params_t, multiplier, 1e3, NULL, "TTL = multiplier x that quantile"),
    JB_UINTF(sttl_params_t, min_samples, 1, 1e9, NULL, "gaps to observe before trusting the learned TTL"),
    JB_DBL(sttl_params_t, min_gap_s, 0, 1e6, "s", "shorter intervals belong to one turn"),
    JB_UINTF(sttl_params_t, max_sessions, 1, 4e9, NULL, "session records remembered for learning"),
    JB_END,
};
static const jb_spec_t sttl_spec = {"session_ttl", sttl_fields, NULL};

#define STTL_NONE UINT32_MAX
#define STTL_BINS 80 /* 10 per decade from 10 ms to 1e6 s */
#define STTL_LO_S 1e-2

typedef struct sttl_meta {
    kv_dlink_t link; /* in its session's list of unpinned blocks */
    uint32_t group;
    uint32_t pad;
    double last_s;
} sttl_meta_t;

typedef struct sttl_group {
    uint64_t session;
    double last_s;       /* last activity; -1 before the first */
    uint32_t prev, next; /* activity order (non-empty groups) or the empty FIFO */
    uint64_t members;    /* resident blocks, pinned included */
    kv_dlist_t blocks;   /* unpinned blocks, least recent first */
    uint8_t in_order;    /* 1: in the activity order; 0: in the empty FIFO (or free) */
} sttl_group_t;

typedef struct sttl_list {
    uint32_t head, tail;
    uint64_t n;
} sttl_list_t;

typedef struct sttl_state {
    sttl_group_t *g;
    uint32_t ng, capg, free_g;
    u64map_t index;    /* session -> group */
    sttl_list_t order; /* least recently active first */
    sttl_list_t empty; /* groups without blocks, oldest first */
    uint64_t hist[STTL_BINS];
    uint64_t samples;
    double ttl_s;
} sttl_state_t;

static sttl_meta_t *sttl_m(const kv_pol_t *p, uint32_t slot)
{
    return kv_store_meta(p->store, slot);
}

static void gl_unlink(sttl_state_t *st, sttl_list_t *l, uint32_t k)
{
    sttl_group_t *x = &st->g[k];
    if (x->prev != STTL_NONE)
        st->g[x->prev].next = x->next;
    else
        l->head = x->next;
    if (x->next != STTL_NONE)
        st->g[x->next].prev = x->prev;
    else
        l->tail = x->prev;
    x->prev = x->next = STTL_NONE;
    l->n--;
}

static void gl_push(sttl_state_t *st, sttl_list_t *l, uint32_t k)
{
    sttl_group_t *x = &st->g[k];
    x->prev = l->tail;
    x->next = STTL_NONE;
    if (l->tail != STTL_NONE)
        st->g[l->tail].next = k;
    else
        l->head = k;
    l->tail = k;
    l->n++;
}

static int sttl_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    const sttl_params_t *pa = p->params;
    sttl_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    u64map_init(&st->index);
    st->order.head = st->order.tail = STTL_NONE;
    st->empty.head = st->empty.tail = STTL_NONE;
    st->free_g = STTL_NONE;
    st->ttl_s = pa->ttl_init_s;
    /* Group 0: blocks without a session, never protected and never in the activity order. */
    st->capg = 16;
    st->g = calloc(st->capg, sizeof *st->g);
    if (!st->g) {
        free(st);
        return -1;
    }
    st->ng = 1;
    st->g[0].session = UINT64_MAX;
    st->g[0].prev = st->g[0].next = STTL_NONE;
    kv_dl_init(&st->g[0].blocks, 0);
    p->state = st;
    return 0;
}

static void sttl_fini(kv_pol_t *p)
{
    sttl_state_t *st = p->state;
    u64map_free(&st->index);
    free(st->g);
    free(st);
    p->state = NULL;
}

static void sttl_learn(kv_pol_t *p, double gap_s)
{
    const sttl_params_t *pa = p->params;
    sttl_state_t *st = p->state;
    int b = gap_s <= STTL_LO_S ? 0 : (int)floor(10.0 * log10(gap_s / STTL_LO_S));
    if (b >= STTL_BINS)
        b = STTL_BINS - 1;
    st->hist[b]++;
    st->samples++;
    if (st->samples < pa->min_samples)
        return;
    uint64_t want = (uint64_t)ceil(pa->quantile * (double)st->samples), acc = 0;
    for (int k = 0; k < STTL_BINS; k++) {
        acc += st->hist[k];
        if (acc >= want) {
            st->ttl_s = pa->multiplier * STTL_LO_S * pow(10.0, (k + 1) / 10.0); /* upper edge of the bin */
            return;
        }
    }
}

/* The group of a session, created (or revived from the empty FIFO) if needed. */
static uint32_t sttl_group_of(kv_pol_t *p, uint64_t session)
{
    const sttl_params_t *pa = p->params;
    sttl_state_t *st = p->state;
    if (session == UINT64_MAX)
        return 0;
    uint64_t found;
    if (u64map_get(&st->index, session, &found))
        return (uint32_t)found;
    uint32_t k;
    if (st->empty.n >= pa->max_sessions && st->empty.head != STTL_NONE) {
        uint32_t old = st->empty.head;
        gl_unlink(st, &st->empty, old);
        u64map_del(&st->index, st->g[old].session);
        st->g[old].next = st->free_g;
        st->free_g = old;
    }
    if (st->free_g != STTL_NONE) {
        k = st->free_g;
        st->free_g = st->g[k].next;
    } else {
        if (st->ng == st->capg) {
            st->capg *= 2;
            st->g = kvt_realloc(st->g, (size_t)st->capg, sizeof *st->g);
        }
        k = st->ng++;
    }
    sttl_group_t *x = &st->g[k];
    memset(x, 0, sizeof *x);
    x->session = session;
    x->last_s = -1;
    kv_dl_init(&x->blocks, 0);
    x->in_order = 0;
    gl_push(st, &st->empty, k);
    u64map_put(&st->index, session, k);
    return k;
}

/* A use of group k at now: learn the gap and move it to the most recently active end. */
static void sttl_touch(kv_pol_t *p, uint32_t k, double now_s)
{
    const sttl_params_t *pa = p->params;
    sttl_state_t *st = p->state;
    if (k == 0)
        return;
    sttl_group_t *x = &st->g[k];
    if (x->last_s >= 0 && now_s - x->last_s >= pa->min_gap_s)
        sttl_learn(p, now_s - x->last_s);
    if (now_s > x->last_s)
        x->last_s = now_s;
    gl_unlink(st, x->in_order ? &st->order : &st->empty, k);
    x->in_order = 1;
    gl_push(st, &st->order, k);
}

static void sttl_leave(kv_pol_t *p, uint32_t slot)
{
    sttl_state_t *st = p->state;
    sttl_meta_t *mt = sttl_m(p, slot);
    sttl_group_t *x = &st->g[mt->group];
    if (!kv_store_pinned(p->store, slot))
        kv_dl_unlink(p->store, &x->blocks, slot);
    x->members--;
    if (x->members == 0 && mt->group != 0 && x->in_order) {
        gl_unlink(st, &st->order, mt->group);
        x->in_order = 0;
        gl_push(st, &st->empty, mt->group);
    }
}

static void sttl_join(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    sttl_state_t *st = p->state;
    sttl_meta_t *mt = sttl_m(p, slot);
    uint32_t k = sttl_group_of(p, kv_store_entry(p->store, slot)->session);
    mt->group = k;
    mt->last_s = c->now_s;
    st->g[k].members++;
    sttl_touch(p, k, c->now_s);
    if (!kv_store_pinned(p->store, slot))
        kv_dl_push_tail(p->store, &st->g[k].blocks, slot);
}

static void sttl_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    sttl_join(p, slot, c);
}

static void sttl_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    sttl_leave(p, slot);
    sttl_join(p, slot, c);
}

static void sttl_remove(kv_pol_t *p, uint32_t slot)
{
    sttl_leave(p, slot);
}

static void sttl_pin(kv_pol_t *p, uint32_t slot)
{
    sttl_state_t *st = p->state;
    kv_dl_unlink(p->store, &st->g[sttl_m(p, slot)->group].blocks, slot);
}

static void sttl_unpin(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    sttl_state_t *st = p->state;
    sttl_meta_t *mt = sttl_m(p, slot);
    mt->last_s = c->now_s;
    sttl_touch(p, mt->group, c->now_s);
    kv_dl_push_tail(p->store, &st->g[mt->group].blocks, slot);
}

static uint32_t sttl_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    sttl_state_t *st = p->state;
    uint32_t anon = st->g[0].blocks.head;
    uint32_t k = st->order.head;
    while (k != STTL_NONE && st->g[k].blocks.head == KV_NO_SLOT)
        k = st->g[k].next;
    if (k == STTL_NONE)
        return anon;
    uint32_t sess = st->g[k].blocks.head;
    bool expired = c->now_s - st->g[k].last_s > st->ttl_s;
    if (anon == KV_NO_SLOT)
        return sess;
    if (!expired)
        return anon;
    return sttl_m(p, anon)->last_s <= sttl_m(p, sess)->last_s ? anon : sess;
}

static size_t sttl_mem(const kv_pol_t *p)
{
    const sttl_state_t *st = p->state;
    return sizeof *st + (size_t)st->capg * sizeof *st->g + u64map_mem_bytes(&st->index);
}

const kv_policy_ops_t kv_policy_session_ttl = {
    .base =
        {
            .name = "session_ttl",
            .summary = "session-aware TTL: protects sessions between turns, TTL learned from observed gaps",
            .params = &sttl_spec,
            .params_size = sizeof(sttl_params_t),
            .params_default = &sttl_defaults,
        },
    .meta_bytes = sizeof(sttl_meta_t),
    .init = sttl_init,
    .fini = sttl_fini,
    .insert = sttl_insert,
    .hit = sttl_hit,
    .remove = sttl_remove,
    .pin = sttl_pin,
    .unpin = sttl_unpin,
    .victim = sttl_victim,
    .mem_bytes = sttl_mem,
};
