/* Continuation-probability eviction in the spirit of LPC (Yang, Li, Li and Lloyd, "Learned Prefix Caching for
 * Efficient LLM Inference", NeurIPS 2025). LPC predicts, for each conversation, the probability that it will
 * continue, and combines it with the last access time: a conversation likely to come back keeps its prefix
 * longer than LRU would keep it. LPC's predictor reads the conversation's text, which traces do not carry;
 * this one learns the probability online from what the cache sees - how many turns the block's session has
 * had - as the survival ratio
 *
 *   p(k) = (sessions that reached turn k + 1 + prior x prior_weight) / (sessions that reached turn k + prior_weight)
 *
 * (turns are uses of the session separated by more than min_gap_s; a session still running counts as not yet
 * continued, so p is a little low early on). A block's key is
 *
 *   key = last_use_s + p(turns of its session) x horizon_s
 *
 * and the lowest key is evicted: a block of a conversation that surely continues counts as horizon_s more
 * recent than one that surely ends. Blocks without a session get p = prior. Keys are fixed between uses
 * (a key-grouped queue, gheap.h: the blocks of one request share their key, so they form one group;
 * O(1) per operation plus O(log g) among the g distinct keys). 8 bytes per entry, 12 bytes of queue links
 * per slot, 24 bytes and a map cell per distinct key, and 24 bytes per session record (at most
 * max_sessions: the least recently seen ones are forgotten first when the table is full, which only
 * restarts their turn count). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"
#include "sim/kv/gheap.h"
#include "sim/kv/policy.h"
#include "sim/kv/store.h"

typedef struct lpc_params {
    double horizon_s;    /* recency a certain continuation is worth */
    double prior;        /* continuation probability before any is learned, and for blocks without a session */
    double prior_weight; /* pseudo-sessions of the prior in each turn bin */
    double min_gap_s;    /* shorter intervals belong to one turn */
    uint32_t max_sessions;
} lpc_params_t;

static const lpc_params_t lpc_defaults = {300.0, 0.5, 4.0, 1.0, 1u << 20};

static const jb_field_t lpc_fields[] = {
    JB_DBL_POS(lpc_params_t, horizon_s, 1e9, "s", "recency a certain continuation is worth"),
    JB_DBL(lpc_params_t, prior, 0, 1, NULL, "continuation probability before learning and without a session"),
    JB_DBL(lpc_params_t, prior_weight, 0, 1e9, "sessions", "weight of the prior in each turn bin"),
    JB_DBL(lpc_params_t, min_gap_s, 0, 1e6, "s", "shorter intervals belong to one turn"),
    JB_UINTF(lpc_params_t, max_sessions, 1, 4e9, NULL, "session records kept"),
    JB_END,
};
static const jb_spec_t lpc_spec = {"lpc", lpc_fields, NULL};

#define LPC_BINS 64 /* turn counts; the last bin holds every longer session */

typedef struct lpc_meta {
    double key;
} lpc_meta_t;

typedef struct lpc_sess {
    double last_s;
    uint32_t turns;
} lpc_sess_t;

typedef struct lpc_state {
    kv_gheap_t heap;
    u64map_t sess; /* session -> index into recs */
    lpc_sess_t *recs;
    uint64_t *rec_id; /* the session of each record, for forgetting */
    uint32_t nrec, cap, hand;
    double reached[LPC_BINS + 1]; /* sessions that reached turn k (k >= 1) */
} lpc_state_t;

static int lpc_init(kv_pol_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    lpc_state_t *st = calloc(1, sizeof *st);
    if (!st)
        return -1;
    kv_gheap_init(&st->heap, p->store);
    u64map_init(&st->sess);
    p->state = st;
    return 0;
}

static void lpc_fini(kv_pol_t *p)
{
    lpc_state_t *st = p->state;
    kv_gheap_fini(&st->heap);
    u64map_free(&st->sess);
    free(st->recs);
    free(st->rec_id);
    free(st);
    p->state = NULL;
}

static uint32_t lpc_bin(uint32_t turns)
{
    return turns < LPC_BINS ? turns : LPC_BINS;
}

/* The session's record, made (or recycled: the clock hand forgets the oldest slot) if new. */
static lpc_sess_t *lpc_sess(const lpc_params_t *pa, lpc_state_t *st, uint64_t session)
{
    uint64_t k;
    if (u64map_get(&st->sess, session, &k))
        return &st->recs[k];
    if (st->nrec < pa->max_sessions) {
        if (st->nrec == st->cap) {
            st->cap = st->cap ? st->cap * 2 : 16;
            st->recs = kvt_realloc(st->recs, st->cap, sizeof *st->recs);
            st->rec_id = kvt_realloc(st->rec_id, st->cap, sizeof *st->rec_id);
        }
        k = st->nrec++;
    } else {
        k = st->hand;
        st->hand = (st->hand + 1) % st->nrec;
        u64map_del(&st->sess, st->rec_id[k]);
    }
    st->recs[k] = (lpc_sess_t){-INFINITY, 0};
    st->rec_id[k] = session;
    u64map_put(&st->sess, session, k);
    return &st->recs[k];
}

/* The learned probability that a session with `turns` turns has another. */
static double lpc_p(const lpc_params_t *pa, const lpc_state_t *st, uint32_t turns)
{
    if (turns == 0)
        return pa->prior;
    uint32_t b = lpc_bin(turns);
    double next = b < LPC_BINS ? st->reached[b + 1] : st->reached[b];
    double p = (next + pa->prior * pa->prior_weight) / (st->reached[b] + pa->prior_weight);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* A use at c->now_s; a new turn of the session is counted only on a hit or an insert (a request's
 * admission or commit), never on a release, which can follow a long decode without other events. */
static void lpc_touch(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c, bool may_turn)
{
    const lpc_params_t *pa = p->params;
    lpc_state_t *st = p->state;
    lpc_meta_t *mt = kv_store_meta(p->store, slot);
    uint64_t session = kv_store_entry(p->store, slot)->session;
    double prob = pa->prior;
    if (session != UINT64_MAX) {
        lpc_sess_t *s = lpc_sess(pa, st, session);
        if (may_turn && c->now_s - s->last_s > pa->min_gap_s) {
            /* A new turn: the session reached turn (turns + 1); the last bin counts every longer one. */
            s->turns++;
            if (s->turns <= LPC_BINS)
                st->reached[s->turns] += 1;
        }
        s->last_s = c->now_s;
        prob = lpc_p(pa, st, s->turns);
    }
    mt->key = c->now_s + prob * pa->horizon_s;
    if (!kv_store_pinned(p->store, slot))
        kv_gheap_set(&st->heap, slot, mt->key, c->seq);
}

static void lpc_hit(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    lpc_touch(p, slot, c, true);
}

static void lpc_unpin(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    lpc_touch(p, slot, c, false);
}

static void lpc_insert(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c)
{
    lpc_touch(p, slot, c, true);
}

static void lpc_remove(kv_pol_t *p, uint32_t slot)
{
    lpc_state_t *st = p->state;
    kv_gheap_remove(&st->heap, slot);
}

static uint32_t lpc_victim(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c)
{
    (void)incoming;
    (void)c;
    lpc_state_t *st = p->state;
    return kv_gheap_top(&st->heap);
}

static size_t lpc_mem(const kv_pol_t *p)
{
    const lpc_state_t *st = p->state;
    return sizeof *st + kv_gheap_mem_bytes(&st->heap) + (size_t)st->cap * (sizeof *st->recs + sizeof *st->rec_id) +
           (size_t)st->nrec * 16;
}

const kv_policy_ops_t kv_policy_lpc = {
    .base =
        {
            .name = "lpc",
            .summary = "recency plus the learned probability that the block's conversation continues (LPC)",
            .params = &lpc_spec,
            .params_size = sizeof(lpc_params_t),
            .params_default = &lpc_defaults,
        },
    .meta_bytes = sizeof(lpc_meta_t),
    .init = lpc_init,
    .fini = lpc_fini,
    .insert = lpc_insert,
    .hit = lpc_hit,
    .remove = lpc_remove,
    .pin = lpc_remove,
    .unpin = lpc_unpin,
    .victim = lpc_victim,
    .mem_bytes = lpc_mem,
};
