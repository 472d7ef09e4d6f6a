/* Prefill/decode disaggregation; see disagg.h. Units: tokens, bytes, seconds. */
#include "sim/core/disagg.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/core/dispatch.h"
#include "sim/core/xfer.h"
#include "sim/out/metrics.h"

static bool disagg_on(const pod_t *p)
{
    return p->sc->deploy.disagg.enabled;
}

static bool disagg_is_prefill(const pod_t *p, uint32_t inst)
{
    return disagg_on(p) && inst < p->pf.n_prefill;
}

/* True while inst is changing pool (the planner's switch cost): it takes no new work of either pool. */
static bool disagg_switching(const pod_t *p, uint32_t inst)
{
    return p->dg && p->dg->switching && p->dg->switch_inst == inst && sgb_now() < p->dg->switch_until;
}

uint32_t disagg_route_count(const pod_t *p)
{
    if (!disagg_on(p))
        return p->pf.n_inst;
    /* A decode instance joining the prefill pool is its last member: routed to once its switch is over. */
    uint32_t n = p->pf.n_prefill;
    return n > 1 && disagg_switching(p, n - 1) ? n - 1 : n;
}

void disagg_note_done(pod_t *p, const sim_req_t *r, int outcome)
{
    if (!p->dg || outcome != RQ_COMPLETED || r->t_first <= 0)
        return;
    p->dg->ttft_sum += r->t_first - r->w.arrival_s;
    if (r->w.output_tokens > 1)
        p->dg->tpot_sum += (r->t_done - r->t_first) / (r->w.output_tokens - 1);
    p->dg->n_done++;
}

uint32_t disagg_max_seqs(const pod_t *p, uint32_t inst)
{
    const sc_deploy_t *d = &p->sc->deploy;
    uint32_t v = !disagg_on(p)            ? 0
                 : inst < p->pf.n_prefill ? d->disagg.prefill_max_batch_seqs
                                          : d->disagg.decode_max_batch_seqs;
    return v ? v : d->max_batch_seqs;
}

uint32_t disagg_max_tokens(const pod_t *p, uint32_t inst)
{
    const sc_deploy_t *d = &p->sc->deploy;
    uint32_t v = !disagg_on(p)            ? 0
                 : inst < p->pf.n_prefill ? d->disagg.prefill_max_batch_tokens
                                          : d->disagg.decode_max_batch_tokens;
    return v ? v : d->max_batch_tokens;
}

/* The decode instance for a request prefilled on src: the least outstanding work; among equals one in src's
 * NVLink domain (its KV then moves over NVLink), then the lowest index. */
static uint32_t disagg_pick_decode(const pod_t *p, uint32_t src)
{
    uint32_t best = p->pf.n_inst;
    double best_load = 0;
    bool best_near = false;
    for (uint32_t i = p->pf.n_prefill; i < p->pf.n_inst; i++) {
        if (disagg_switching(p, i))
            continue; /* joining the decode pool: not yet */
        double l = engine_load(&p->eng[i]);
        bool near = pf_same_nvlink(&p->pf, src, i);
        if (best == p->pf.n_inst || l < best_load || (l == best_load && near && !best_near)) {
            best = i;
            best_load = l;
            best_near = near;
        }
    }
    /* The decode pool has a member that is not switching: the planner leaves one at least. */
    assert(best < p->pf.n_inst);
    return best;
}

uint32_t disagg_dispatch(pod_t *p, sim_req_t *r, uint32_t inst)
{
    const sc_disagg_t *dg = &p->sc->deploy.disagg;
    if (!disagg_on(p) || !dg->conditional)
        return inst;
    /* Dynamo's conditional disaggregation: the decode worker prefills itself when the part of the prompt it
     * does not hold is short, or when the prefill queue is long. */
    uint32_t d = disagg_pick_decode(p, inst);
    kv_hits_t h;
    kv_lookup(p->kv, d, r->w.block_ids, r->n_blocks, &h);
    uint64_t cached = (uint64_t)h.prefix * p->block_tokens;
    uint64_t uncached = cached >= r->w.input_tokens ? 0 : r->w.input_tokens - cached;
    double waiting = 0;
    for (uint32_t i = 0; i < p->pf.n_prefill; i++)
        waiting += p->eng[i].n_waiting;
    if (uncached <= dg->max_local_prefill_tokens || waiting / p->pf.n_prefill > dg->max_prefill_queue) {
        p->dg->local_prefills++;
        return d;
    }
    return inst;
}

bool disagg_handoff(engine_t *e, sim_req_t *r)
{
    pod_t *p = e->pod;
    /* A one-token answer is done with its prefill: nothing to decode elsewhere. */
    if (!disagg_is_prefill(p, e->id) || r->decoded + 1 >= r->w.output_tokens)
        return false;
    kv_access_t ctx = {sgb_now(), r->w.id, r->w.session_id, r->recompute_s_per_block, NULL};
    kv_release(p->kv, e->id, r->w.block_ids, r->n_blocks, r->reserved_blocks, &ctx);
    e->g1_full = false;
    engine_issue_moves(e, NULL);
    e->backlog -= (double)(r->w.output_tokens - r->decoded); /* the decode pool does the rest */
    r->kv_from = e->id + 1;
    r->t_handoff = sgb_now();
    /* DistServe's prefill instance returns the first token itself; the token still counts towards the
     * throughput when decoding starts, on the decode instance. */
    if (p->sc->deploy.disagg.first_token == SC_FIRST_TOKEN_PREFILL && r->t_first == 0)
        r->t_first = r->t_handoff;
    r->reserved_blocks = 0;
    r->committed = 0;
    p->dg->handoffs++;
    engine_t *d = &p->eng[disagg_pick_decode(p, e->id)];
    engine_enqueue(d, r);
    d->backlog -= (double)r->w.input_tokens; /* queued as decode work only: its prompt is done */
    return true;
}

/* The KV has landed on the decode instance: the first token is out, decoding goes on there. */
static void disagg_kv_done(pod_t *p, void *ctx)
{
    sim_req_t *r = ctx;
    assert(r->pending > 0);
    p->dg->transfers_done++;
    p->dg->transfer_s += sgb_now() - r->t_handoff;
    if (--r->pending > 0)
        return;
    engine_t *e = &p->eng[r->inst];
    double now = sgb_now();
    e->n_loading--;
    r->resuming = false;
    r->kv_from = 0;
    r->state = RQ_DECODE;
    if (r->t_first == 0)
        r->t_first = now;
    r->decoded += 1;
    e->backlog -= 1;
    metrics_tokens(p->m, now, 1, 0);
    engine_poke(e);
}

int disagg_admit(engine_t *e, sim_req_t *r, uint64_t keep)
{
    pod_t *p = e->pod;
    uint32_t src = r->kv_from - 1;
    sched_req_t view = dispatch_sched_req(r);
    uint32_t reserve = e->admit.ops->reserve(&e->admit, &view);
    kv_access_t ctx = {sgb_now(), r->w.id, r->w.session_id, r->recompute_s_per_block, NULL};
    if ((uint64_t)r->n_blocks + r->extra_blocks > kv_g1_capacity_blocks(p->kv, e->id))
        return DISAGG_NEVER;
    int rc = kv_admit_keep(p->kv, e->id, r->w.block_ids, r->n_blocks, 0, reserve, keep, &ctx);
    if (rc != KV_OK)
        return rc;
    /* Its blocks hold valid KV once the transfer lands; committed now, as a swap-in's are. */
    kv_commit(p->kv, e->id, r->w.block_ids, 0, r->n_blocks, &ctx);
    r->reserved_blocks = reserve;
    r->grown_blocks = 0;
    r->committed = r->n_blocks;
    r->resuming = true;          /* not a prefill: the layer-wise path leaves it alone */
    engine_issue_moves(e, NULL); /* evictions for its room go in the background: it waits for its KV only */
    xfer_job_t job = {
        .src = pod_tier_endpoint(p, KV_G1, src, 0),
        .dst = pod_tier_endpoint(p, KV_G1, e->id, 0),
        .bytes = (double)r->w.input_tokens * p->kv_bytes_per_token,
        .kind = KV_MOVE_LOAD,
        .src_tier = KV_G1,
        .dst_tier = KV_G1,
        .done = disagg_kv_done,
        .ctx = r,
    };
    r->pending++;
    p->dg->transfers++;
    p->dg->bytes += job.bytes;
    if (pf_same_nvlink(&p->pf, src, e->id))
        p->dg->bytes_nvlink += job.bytes;
    xfer_submit(&p->load_pool[e->id], &job);
    return KV_OK;
}

bool disagg_may_exit(pod_t *p)
{
    if (!p->dg)
        return true;
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        if (p->eng[i].n_run > 0 || p->eng[i].n_waiting > 0)
            return false;
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        engine_poke(&p->eng[i]);
    return true;
}

void disagg_summary(const pod_t *p, cJSON *summary)
{
    if (!p->dg)
        return;
    const disagg_stats_t *s = p->dg;
    cJSON *o = cJSON_AddObjectToObject(summary, "disaggregation");
    cJSON_AddNumberToObject(o, "prefill_instances", p->sc->deploy.disagg.prefill_instances);
    cJSON_AddNumberToObject(o, "decode_instances", p->pf.n_inst - p->sc->deploy.disagg.prefill_instances);
    cJSON_AddNumberToObject(o, "handoffs", s->handoffs);
    cJSON_AddNumberToObject(o, "kv_transfers", s->transfers);
    cJSON_AddNumberToObject(o, "kv_transfers_landed", s->transfers_done);
    cJSON_AddNumberToObject(o, "kv_bytes", s->bytes);
    cJSON_AddNumberToObject(o, "kv_bytes_nvlink", s->bytes_nvlink);
    cJSON_AddNumberToObject(o, "handoff_s_mean", s->transfers_done > 0 ? s->transfer_s / s->transfers_done : 0);
    cJSON_AddNumberToObject(o, "local_prefills", s->local_prefills);
    if (p->sc->deploy.disagg.planner.enabled) {
        cJSON_AddNumberToObject(o, "planner_moves_to_prefill", s->moves_to_prefill);
        cJSON_AddNumberToObject(o, "planner_moves_to_decode", s->moves_to_decode);
        cJSON_AddNumberToObject(o, "prefill_instances_final", p->pf.n_prefill);
    }
}
