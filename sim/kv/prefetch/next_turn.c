/* Next-turn prestage: when a turn completes, the session's context is staged into the target tier so that it
 * is there when the next turn arrives. The time comes from the think/tool gaps learned online (the gap from a
 * turn's completion to the session's next arrival, over every session): the stage starts at completion +
 * the `quantile` of the gaps - `lead` x the time the stage would take from the slowest enabled tier below the
 * target. A low quantile stages early (the blocks then wait, taking capacity, and may be evicted again: a
 * wrong guess costs bandwidth and space and shows in the prefetch bytes). Blocks already in the target or a
 * faster tier stay; a session's last turn stages nothing. Until min_samples gaps are seen, gap_init_s stands
 * for the quantile. G1 staging helps only if the next turn runs on the same instance (session-affinity). */
#include "sim/kv/prefetch/pf_common.h"

typedef struct nt_params {
    int tier;
    double quantile;
    double lead;
    uint32_t min_samples;
    double gap_init_s;
} nt_params_t;

static const nt_params_t nt_defaults = {KV_G1, 0.25, 1.5, 8, 5.0};

static const jb_field_t nt_fields[] = {
    JB_CHOICEF(nt_params_t, tier, pf_tier_names, "the tier staged into"),
    JB_DBL(nt_params_t, quantile, 0, 1, NULL, "quantile of the learned gaps the stage is timed for"),
    JB_DBL(nt_params_t, lead, 0, 100, NULL, "the stage starts this many times its worst transfer time early"),
    JB_UINTF(nt_params_t, min_samples, 1, 1e9, NULL, "gaps to observe before trusting the learned quantile"),
    JB_DBL(nt_params_t, gap_init_s, 0, 1e9, "s", "the gap assumed until min_samples are observed"),
    JB_END,
};
static const jb_spec_t nt_spec = {"next_turn", nt_fields, NULL};

typedef struct nt_state {
    pf_sessions_t sess;
    pf_gaps_t gaps;
} nt_state_t;

static int nt_check(const void *params, const bool en[KV_NTIERS], char *msg, size_t len)
{
    return pf_check_tier(((const nt_params_t *)params)->tier, en, msg, len);
}

static int nt_init(kv_prefetcher_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    nt_state_t *s = kvt_malloc(sizeof *s);
    memset(s, 0, sizeof *s);
    u64map_init(&s->sess.map);
    p->state = s;
    return 0;
}

static void nt_fini(kv_prefetcher_t *p)
{
    nt_state_t *s = p->state;
    pf_sessions_free(&s->sess);
    free(s);
    p->state = NULL;
}

static void nt_turn_done(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r)
{
    const nt_params_t *pa = p->params;
    nt_state_t *s = p->state;
    if (r->access.session_id == UINT64_MAX || r->turns_left == 0)
        return;
    pf_sess_t *e = pf_sess_turn(&s->sess, &s->gaps, c, r);
    double gap = pf_gaps_quantile(&s->gaps, pa->quantile, pa->min_samples, pa->gap_init_s);
    double at = c->now_s + gap - pa->lead * pf_worst_stage_s(c, e, pa->tier);
    e->due_s = at > c->now_s ? at : c->now_s;
    c->timer(c->core, e->due_s, e->session);
}

static void nt_timer(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t key)
{
    const nt_params_t *pa = p->params;
    nt_state_t *s = p->state;
    pf_sess_t *e = pf_sess_get(&s->sess, key);
    if (!pf_due(e, c->now_s))
        return;
    e->due_s = NAN;
    pf_stage(c, e, pa->tier);
}

static void nt_session_end(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t session)
{
    (void)c;
    pf_sess_drop(&((nt_state_t *)p->state)->sess, session);
}

const kv_prefetch_ops_t kv_prefetch_next_turn = {
    .base =
        {
            .name = "next-turn",
            .summary = "stage a session's context into the target tier when its next turn is expected (think/tool "
                       "gaps learned online)",
            .params = &nt_spec,
            .params_default = &nt_defaults,
            .params_size = sizeof nt_defaults,
        },
    .check = nt_check,
    .init = nt_init,
    .fini = nt_fini,
    .turn_done = nt_turn_done,
    .timer = nt_timer,
    .session_end = nt_session_end,
};
