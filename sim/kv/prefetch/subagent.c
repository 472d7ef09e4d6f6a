/* Sub-agent aware prestage, in the spirit of KVFlow (Pan et al., "KVFlow: Efficient Prefix Caching for
 * Accelerating LLM-Based Multi-Agent Workflows", NeurIPS'25, arXiv 2507.07400): an agent that forks
 * sub-agents waits for them, and its context - evicted meanwhile by theirs - is needed again when the last
 * one finishes. KVFlow orders agents by steps-to-execution on the workflow graph and prefetches those about
 * to run; here the parent's steps-to-execution is the most turns any of its sub-agents still has to run
 * (they run in parallel; each completion of a sub-agent's turn updates it), and the parent's context is
 * staged into the target tier once it is at most `lookahead` (0: when the last sub-agent finishes, 1: when
 * the last ones start their final turns). A sub-agent not seen yet counts as far from done. Sessions that do
 * not fork are left alone. */
#include "sim/kv/prefetch/pf_common.h"

typedef struct sa_params {
    int tier;
    uint32_t lookahead;
} sa_params_t;

static const sa_params_t sa_defaults = {KV_G1, 1};

static const jb_field_t sa_fields[] = {
    JB_CHOICEF(sa_params_t, tier, pf_tier_names, "the tier staged into"),
    JB_UINTF(sa_params_t, lookahead, 0, 1e6, "turns", "stage when the sub-agents have at most this many turns left"),
    JB_END,
};
static const jb_spec_t sa_spec = {"subagent", sa_fields, NULL};

typedef struct sa_state {
    pf_sessions_t sess;
} sa_state_t;

static int sa_check(const void *params, const bool en[KV_NTIERS], char *msg, size_t len)
{
    return pf_check_tier(((const sa_params_t *)params)->tier, en, msg, len);
}

static int sa_init(kv_prefetcher_t *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    sa_state_t *s = kvt_malloc(sizeof *s);
    memset(s, 0, sizeof *s);
    u64map_init(&s->sess.map);
    p->state = s;
    return 0;
}

static void sa_fini(kv_prefetcher_t *p)
{
    sa_state_t *s = p->state;
    pf_sessions_free(&s->sess);
    free(s);
    p->state = NULL;
}

/* The parent's steps-to-execution: the most turns any of its sub-agents has left (UINT32_MAX: one unseen). */
static uint32_t sa_steps(const pf_sess_t *e)
{
    if (e->n_child < e->children)
        return UINT32_MAX;
    uint32_t m = 0;
    for (uint32_t i = 0; i < e->n_child; i++)
        if (e->child_left[i] > m)
            m = e->child_left[i];
    return m;
}

static void sa_child_done(const sa_params_t *pa, sa_state_t *s, const kv_pf_ctx_t *c, const kv_pf_req_t *r)
{
    pf_sess_t *e = pf_sess_get(&s->sess, r->parent_session);
    if (!e || e->children == 0)
        return;
    uint32_t i = 0;
    while (i < e->n_child && e->child_id[i] != r->access.session_id)
        i++;
    if (i == e->n_child) {
        if (e->n_child == e->children)
            return; /* a sub-agent of an earlier fork */
        e->child_id = kvt_realloc(e->child_id, (size_t)e->n_child + 1, sizeof *e->child_id);
        e->child_left = kvt_realloc(e->child_left, (size_t)e->n_child + 1, sizeof *e->child_left);
        e->child_id[i] = r->access.session_id;
        e->n_child++;
    }
    e->child_left[i] = r->turns_left == UINT32_MAX ? UINT32_MAX - 1 : r->turns_left;
    if (!e->staged && sa_steps(e) <= pa->lookahead) {
        e->staged = true;
        pf_stage(c, e, pa->tier);
    }
}

static void sa_turn_done(kv_prefetcher_t *p, const kv_pf_ctx_t *c, const kv_pf_req_t *r)
{
    const sa_params_t *pa = p->params;
    sa_state_t *s = p->state;
    if (r->access.session_id == UINT64_MAX)
        return;
    if (r->parent_session != UINT64_MAX)
        sa_child_done(pa, s, c, r);
    if (r->fork > 0) {
        pf_sess_t *e = pf_sess_turn(&s->sess, NULL, c, r);
        e->children = r->fork;
        e->n_child = 0;
        e->staged = false;
    } else if (pf_sess_get(&s->sess, r->access.session_id) && r->parent_session == UINT64_MAX) {
        /* The parent resumed and ran a turn: its fork is over. */
        pf_sess_drop(&s->sess, r->access.session_id);
    }
}

static void sa_session_end(kv_prefetcher_t *p, const kv_pf_ctx_t *c, uint64_t session)
{
    (void)c;
    pf_sess_drop(&((sa_state_t *)p->state)->sess, session);
}

const kv_prefetch_ops_t kv_prefetch_subagent = {
    .base =
        {
            .name = "subagent",
            .summary = "stage a forking agent's context when its sub-agents are about to finish (KVFlow's "
                       "steps-to-execution)",
            .params = &sa_spec,
            .params_default = &sa_defaults,
            .params_size = sizeof sa_defaults,
        },
    .check = sa_check,
    .init = sa_init,
    .fini = sa_fini,
    .turn_done = sa_turn_done,
    .session_end = sa_session_end,
};
