/* Oracle prestage (the upper bound of the prestage axis): it knows when each session's next turn arrives -
 * closed loop: the source schedules it when the turn completes (completion + think/tool time), and for a
 * sub-agent's last turn the parent's resumption; open loop: the recorded time - and stages the session's
 * context into the target tier so that it arrives just before: at next arrival - guard x the time the stage
 * would take from the slowest enabled tier below the target - margin_s (never before the completion). It
 * needs the future, so a workload without sessions (a request log) is refused. */
#include "sim/kv/prefetch/pf_common.h"

typedef struct or_params {
    int tier;
    double guard;
    double margin_s;
} or_params_t;

static const or_params_t or_defaults = {KV_G1, 1.5, 0.0};

static const jb_field_t or_fields[] = {
    JB_CHOICEF(or_params_t, tier, pf_tier_names, "the tier staged into"),
    JB_DBL(or_params_t, guard, 0, 100, NULL, "the stage starts this many times its worst transfer time early"),
    JB_DBL(or_params_t, margin_s, 0, 1e6, "s", "and this much earlier still"),
    JB_END,
};
static const jb_spec_t or_spec = {"oracle", or_fields, NULL};

typedef struct or_state {
    pf_sessions_t sess;
} or_state_t;

static int or_check(const void *params, const bool en[KV_NTIERS], char *msg, size_t len)
{
    return pf_check_tier(((const or_params_t *)params)->tier, en, msg, len);
}

static int or_init(kv_prefetcher_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    or_state_t *s = kvt_malloc(sizeof *s);
    memset(s, 0, sizeof *s);
    u64map_init(&s->sess.map);
    p->state = s;
    return 0;
}

static void or_fini(kv_prefetcher_t *p)
{
    or_state_t *s = p->state;
    pf_sessions_free(&s->sess);
    free(s);
    p->state = NULL;
}

static void or_turn_done(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r)
{
    const or_params_t *pa = p->params;
    or_state_t *s = p->state;
    if (r->access.session_id == UINT64_MAX)
        return;
    pf_sess_turn(&s->sess, NULL, c, r);
    if (!isfinite(r->next_arrival_s))
        return;
    pf_sess_t *e = pf_sess_get(&s->sess, r->next_session); /* a parent resuming: its own, older context */
    if (!e)
        return;
    double at = r->next_arrival_s - pa->guard * pf_worst_stage_s(c, e, pa->tier) - pa->margin_s;
    e->due_s = at > c->now_s ? at : c->now_s;
    c->timer(c->core, e->due_s, e->session);
}

static void or_timer(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t key)
{
    const or_params_t *pa = p->params;
    pf_sess_t *e = pf_sess_get(&((or_state_t *)p->state)->sess, key);
    if (!pf_due(e, c->now_s))
        return;
    e->due_s = NAN;
    pf_stage(c, e, pa->tier);
}

static void or_session_end(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t session)
{
    (void)c;
    pf_sess_drop(&((or_state_t *)p->state)->sess, session);
}

const kv_prefetch_ops_t kv_prefetch_oracle = {
    .base =
        {
            .name = "oracle",
            .summary = "stage a session's context just before its next turn arrives, known from the workload (upper "
                       "bound)",
            .note = "offline: needs the future",
            .params = &or_spec,
            .params_default = &or_defaults,
            .params_size = sizeof or_defaults,
        },
    .check = or_check,
    .init = or_init,
    .fini = or_fini,
    .turn_done = or_turn_done,
    .timer = or_timer,
    .session_end = or_session_end,
    .needs_future = true,
};
