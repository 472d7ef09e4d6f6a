/* What the session-following prefetch policies share (next_turn, ttl_pin, subagent, oracle): the session
 * records (the context of each session's last turn: its instance and block ids), the gaps between a turn's
 * completion and the session's next arrival learned online (a log-binned histogram, 10 bins per decade from
 * 10 ms: the quantile is exact to about 12 %), and the target-tier parameter. Header-only: each policy file
 * includes it; everything is static inline. Units: seconds, blocks. */
#ifndef KVTWIN_KV_PREFETCH_COMMON_H
#define KVTWIN_KV_PREFETCH_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/alloc.h"
#include "sim/base/u64map.h"
#include "sim/kv/prefetch.h"

/* Target tiers, in kv_tier_id_t order (a JB_CHOICEF value is the tier id). */
static const char *const pf_tier_names[] = {"g1", "g2", "g3", "g35", "g4", NULL};

/* A prestage target must be enabled and faster than the slowest tier, or it would never receive a block. */
static inline int pf_check_tier(int tier, const bool en[KV_NTIERS], char *msg, size_t len)
{
    if (tier < 0 || tier >= KV_NTIERS || !en[tier]) {
        snprintf(msg, len, "prestages into %s: enable kv.%s", tier >= 0 && tier < KV_NTIERS ? kv_tier_name(tier) : "?",
                 tier >= 0 && tier < KV_NTIERS ? pf_tier_names[tier] : "?");
        return -1;
    }
    return 0;
}

#define PF_GAP_BINS 80
#define PF_GAP_LO_S 1e-2

typedef struct pf_gaps {
    uint64_t bin[PF_GAP_BINS];
    uint64_t n;
} pf_gaps_t;

static inline void pf_gaps_add(pf_gaps_t *g, double gap_s)
{
    int b = gap_s <= PF_GAP_LO_S ? 0 : (int)floor(10.0 * log10(gap_s / PF_GAP_LO_S));
    if (b >= PF_GAP_BINS)
        b = PF_GAP_BINS - 1;
    g->bin[b]++;
    g->n++;
}

/* The q-quantile of the gaps seen (the lower edge of its bin, so a stage timed from it is early rather than
 * late), or fallback when fewer than min_samples were seen. */
static inline double pf_gaps_quantile(const pf_gaps_t *g, double q, uint64_t min_samples, double fallback)
{
    if (g->n < min_samples || g->n == 0)
        return fallback;
    uint64_t want = (uint64_t)ceil(q * (double)g->n);
    if (want < 1)
        want = 1;
    uint64_t acc = 0;
    for (int b = 0; b < PF_GAP_BINS; b++) {
        acc += g->bin[b];
        if (acc >= want)
            return b == 0 ? 0 : PF_GAP_LO_S * pow(10.0, b / 10.0);
    }
    return PF_GAP_LO_S * pow(10.0, PF_GAP_BINS / 10.0);
}

/* A session's record: the context of its last completed turn, and what the policy keeps for it. */
typedef struct pf_sess {
    uint64_t session;
    uint32_t inst;
    uint32_t n;
    uint64_t *ids;
    kv_access_t access;
    double done_s; /* completion of its last turn */
    double due_s;  /* the time the pending timer was set for (NAN: none) */
    uint32_t held; /* blocks held (ttl_pin) */
    int held_tier;
    uint32_t children;    /* subagent: sub-agents of its pending fork */
    uint32_t n_child;     /* of those, seen so far (their first turn completed) */
    uint64_t *child_id;   /* their sessions */
    uint32_t *child_left; /* turns each still has (0: finished) */
    bool staged;
    bool have_done; /* done_s is set */
} pf_sess_t;

typedef struct pf_sessions {
    u64map_t map; /* session id -> pf_sess_t * */
} pf_sessions_t;

static inline pf_sess_t *pf_sess_get(pf_sessions_t *s, uint64_t session)
{
    return u64map_get_ptr(&s->map, session);
}

static inline pf_sess_t *pf_sess_touch(pf_sessions_t *s, uint64_t session)
{
    pf_sess_t *r = pf_sess_get(s, session);
    if (!r) {
        r = kvt_malloc(sizeof *r);
        memset(r, 0, sizeof *r);
        r->session = session;
        r->due_s = NAN;
        u64map_put_ptr(&s->map, session, r);
    }
    return r;
}

/* Remembers the request's context as the session's last. */
static inline void pf_sess_set_ctx(pf_sess_t *r, const kv_pf_req_t *q)
{
    if (q->n_blocks > r->n || !r->ids)
        r->ids = kvt_realloc(r->ids, (size_t)(q->n_blocks ? q->n_blocks : 1), sizeof *r->ids);
    if (q->n_blocks)
        memcpy(r->ids, q->ids, (size_t)q->n_blocks * sizeof *r->ids);
    r->n = q->n_blocks;
    r->inst = q->inst;
    r->access = q->access;
    r->access.next_use = NULL; /* the request's oracle array does not outlive it */
}

static inline void pf_sess_drop(pf_sessions_t *s, uint64_t session)
{
    pf_sess_t *r = pf_sess_get(s, session);
    if (!r)
        return;
    u64map_del(&s->map, session);
    free(r->ids);
    free(r->child_id);
    free(r->child_left);
    free(r);
}

static inline void pf_sessions_free(pf_sessions_t *s)
{
    size_t pos = 0;
    uint64_t k, v;
    while (u64map_next(&s->map, &pos, &k, &v)) {
        pf_sess_t *r = (pf_sess_t *)(uintptr_t)v;
        free(r->ids);
        free(r->child_id);
        free(r->child_left);
        free(r);
    }
    u64map_free(&s->map);
}

/* At a turn's end: learns the gap from the session's previous completion to this turn's arrival (its think
 * and tool time, in closed loop) and marks the completion. Returns the record. */
static inline pf_sess_t *pf_sess_turn(pf_sessions_t *s, pf_gaps_t *g, const kv_pf_ctx_t *c, const kv_pf_req_t *q)
{
    pf_sess_t *r = pf_sess_touch(s, q->access.session_id);
    if (r->have_done && g && q->arrival_s > r->done_s)
        pf_gaps_add(g, q->arrival_s - r->done_s);
    r->done_s = c->now_s;
    r->have_done = true;
    pf_sess_set_ctx(r, q);
    return r;
}

/* True if a timer firing now is the session's pending one (later turns supersede earlier timers). */
static inline bool pf_due(const pf_sess_t *r, double now_s)
{
    return r && isfinite(r->due_s) && fabs(r->due_s - now_s) <= 1e-6 + 1e-9 * fabs(now_s);
}

/* Stages the session's remembered context into tier now; returns the blocks staged. */
static inline uint64_t pf_stage(const kv_pf_ctx_t *c, const pf_sess_t *r, int tier)
{
    kv_pf_prop_t prop = {.inst = r->inst, .ids = r->ids, .n = r->n, .dst_tier = tier, .access = r->access};
    prop.access.now_s = c->now_s;
    return c->propose(c->core, &prop);
}

/* The longest a stage of the session's context into tier could take now: every block from the slowest
 * enabled tier below it (what the context may have fallen to by the time it is needed). */
static inline double pf_worst_stage_s(const kv_pf_ctx_t *c, const pf_sess_t *r, int tier)
{
    double worst = 0;
    for (int t = tier + 1; t < KV_NTIERS; t++) {
        double s = c->xfer_s(c->core, r->inst, r->n, t, tier);
        if (isfinite(s) && s > worst)
            worst = s;
    }
    return worst;
}

#endif
