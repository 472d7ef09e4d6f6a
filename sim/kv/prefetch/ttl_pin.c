/* Tool-call TTL pinning, in the spirit of Continuum (Li et al., "Continuum: Efficient and Robust Multi-Turn
 * LLM Agent Scheduling with KV Cache Time-to-Live", arXiv 2511.02230): when a turn completes, the session's
 * blocks in the target tier (G1 by default; G2 possible) are held there for a TTL, so that the next turn -
 * after a tool call or the user's think time - finds them instead of reloading or recomputing them.
 *
 *   TTL  = min(max_ttl_s, multiplier x the `quantile` of the gaps learned online (ttl_init_s until
 *          min_samples gaps)): long enough that most sessions come back within it;
 *   pin  only if reloading the context would cost at least min_reload_s (the cheaper of loading it from the
 *        next enabled tier below and recomputing it: Continuum pins when the reload is dear), and only while
 *        the tier's pinned blocks stay under max_share of its capacity (so that pins never starve admission).
 * The hold is released at the TTL, at the session's next completion (which pins the longer context anew),
 * or at the session's end. Continuum also weighs queueing delay when picking the TTL; this model uses the gap
 * distribution and the reload cost only. G1 pins help only when the next turn runs on the same instance; G2
 * holds keep only what G2 already has at the turn's end (under write-back, blocks reach G2 when G1 evicts
 * them, so a G2 hold takes effect with write-through, which copies them at commit). */
#include "sim/kv/prefetch/pf_common.h"

typedef struct ttl_params {
    int tier;
    double quantile;
    double multiplier;
    double ttl_init_s;
    double max_ttl_s;
    uint32_t min_samples;
    double min_reload_s;
    double max_share;
} ttl_params_t;

static const ttl_params_t ttl_defaults = {KV_G1, 0.9, 1.0, 30.0, 600.0, 8, 0.01, 0.5};

static const jb_field_t ttl_fields[] = {
    JB_CHOICEF(ttl_params_t, tier, pf_tier_names, "the tier whose blocks are held (g1 or g2)"),
    JB_DBL(ttl_params_t, quantile, 0, 1, NULL, "quantile of the learned gaps the TTL covers"),
    JB_DBL_POS(ttl_params_t, multiplier, 1e3, NULL, "TTL = multiplier x that quantile"),
    JB_DBL(ttl_params_t, ttl_init_s, 0, 1e9, "s", "TTL until min_samples gaps are observed"),
    JB_DBL(ttl_params_t, max_ttl_s, 0, 1e9, "s", "longest hold"),
    JB_UINTF(ttl_params_t, min_samples, 1, 1e9, NULL, "gaps to observe before trusting the learned TTL"),
    JB_DBL(ttl_params_t, min_reload_s, 0, 1e6, "s", "pin only contexts whose reload costs at least this"),
    JB_DBL(ttl_params_t, max_share, 0, 1, "fraction", "pinned blocks kept under this share of the tier"),
    JB_END,
};
static const jb_spec_t ttl_spec = {"ttl-pin", ttl_fields, NULL};

typedef struct ttl_state {
    pf_sessions_t sess;
    pf_gaps_t gaps;
} ttl_state_t;

static int ttl_check(const void *params, const bool en[KV_NTIERS], char *msg, size_t len)
{
    int tier = ((const ttl_params_t *)params)->tier;
    if (tier != KV_G1 && tier != KV_G2) {
        snprintf(msg, len, "ttl-pin holds blocks in g1 or g2, not %s", pf_tier_names[tier]);
        return -1;
    }
    return pf_check_tier(tier, en, msg, len);
}

static int ttl_init(kv_prefetcher_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    ttl_state_t *s = kvt_malloc(sizeof *s);
    memset(s, 0, sizeof *s);
    u64map_init(&s->sess.map);
    p->state = s;
    return 0;
}

static void ttl_fini(kv_prefetcher_t *p)
{
    ttl_state_t *s = p->state;
    pf_sessions_free(&s->sess);
    free(s);
    p->state = NULL;
}

static void ttl_release(const kv_pf_ctx_t *c, pf_sess_t *e)
{
    if (e->held)
        c->hold(c->core, e->inst, e->ids, e->held, e->held_tier, false);
    e->held = 0;
    e->due_s = NAN;
}

/* Seconds to get the context back if it leaves the tier: load from the next tier below, or recompute. */
static double ttl_reload_s(const kv_pf_ctx_t *c, const pf_sess_t *e, int tier)
{
    double best = e->access.recompute_s_per_block > 0 ? e->n * e->access.recompute_s_per_block : (double)INFINITY;
    for (int t = tier + 1; t < KV_NTIERS; t++) {
        double s = c->xfer_s(c->core, e->inst, e->n, t, tier);
        if (isfinite(s)) {
            if (s < best)
                best = s;
            break;
        }
    }
    return best;
}

static void ttl_turn_done(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r)
{
    const ttl_params_t *pa = p->params;
    ttl_state_t *s = p->state;
    if (r->access.session_id == UINT64_MAX)
        return;
    pf_sess_t *old = pf_sess_get(&s->sess, r->access.session_id);
    if (old)
        ttl_release(c, old); /* before the record takes the new context's ids */
    pf_sess_t *e = pf_sess_turn(&s->sess, &s->gaps, c, r);
    if (r->turns_left == 0 || e->n == 0)
        return;
    double ttl = pa->multiplier * pf_gaps_quantile(&s->gaps, pa->quantile, pa->min_samples, pa->ttl_init_s);
    if (ttl > pa->max_ttl_s)
        ttl = pa->max_ttl_s;
    if (!(ttl > 0) || ttl_reload_s(c, e, pa->tier) < pa->min_reload_s)
        return;
    kv_tier_stats_t st;
    if (!c->tier_stats(c->core, pa->tier, e->inst, &st))
        return;
    if ((double)(st.pinned_blocks + e->n) > pa->max_share * (double)st.capacity_blocks)
        return;
    e->held = c->hold(c->core, e->inst, e->ids, e->n, pa->tier, true);
    e->held_tier = pa->tier;
    if (!e->held)
        return;
    e->due_s = c->now_s + ttl;
    c->timer(c->core, e->due_s, e->session);
}

static void ttl_timer(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t key)
{
    pf_sess_t *e = pf_sess_get(&((ttl_state_t *)p->state)->sess, key);
    if (pf_due(e, c->now_s))
        ttl_release(c, e);
}

static void ttl_session_end(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t session)
{
    ttl_state_t *s = p->state;
    pf_sess_t *e = pf_sess_get(&s->sess, session);
    if (e)
        ttl_release(c, e);
    pf_sess_drop(&s->sess, session);
}

const kv_prefetch_ops_t kv_prefetch_ttl_pin = {
    .base =
        {
            .name = "ttl-pin",
            .summary = "hold a session's G1 (or G2) blocks between turns for a TTL from the learned gaps, when "
                       "reloading them is dear (Continuum)",
            .params = &ttl_spec,
            .params_default = &ttl_defaults,
            .params_size = sizeof ttl_defaults,
        },
    .check = ttl_check,
    .init = ttl_init,
    .fini = ttl_fini,
    .turn_done = ttl_turn_done,
    .timer = ttl_timer,
    .session_end = ttl_session_end,
};
