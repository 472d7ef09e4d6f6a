/* Instance engine: continuous batching with chunked prefill and fast-forwarded decode; see engine.h.
 * Units: seconds, tokens, bytes, joules. A fully cached prompt still computes its last token (the first
 * output needs its logits), so at most input - 1 tokens are reused. The policies it consults (admission,
 * fetch-or-recompute, prefetch) are plug-ins: they decide, the engine turns decisions into KV operations
 * and transfers. */
#include "sim/core/engine.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/power.h"
#include "models/strun.h"
#include "sim/base/alloc.h"
#include "sim/core/disagg.h"
#include "sim/core/dispatch.h"
#include "sim/core/faults.h"
#include "sim/core/peer.h"
#include "sim/core/pstage.h"
#include "sim/core/xfer.h"
#include "sim/kv/fetch.h"
#include "sim/out/metrics.h"

static kv_access_t engine_access(const sim_req_t *r)
{
    kv_access_t a = {
        .now_s = sgb_now(),
        .request_id = r->w.id,
        .session_id = r->w.session_id,
        .recompute_s_per_block = r->recompute_s_per_block,
        .next_use = r->next_use, /* the trace's future order, when an offline policy needs it (future.h) */
    };
    return a;
}

void engine_poke(engine_t *e)
{
    sgb_sem_post(e->wake);
}

/* True if a request joining e's queue could change what e does next: its admission loop has room to take
 * one (engine_admit's guard), a waiting-request prefetch policy would look at it, or e is down. The batch
 * size and g1_full change only in e's own actor, so while e waits they stay as they are now: waking e with
 * neither room nor a prefetch would only cut its decode run at the next step boundary and start it again
 * (two SimGrid activities, issue 16), admitting nothing. */
static bool engine_arrival_matters(const engine_t *e)
{
    return (e->n_run < e->max_seqs && !e->g1_full) || e->pod->prefetch.ops->waiting || e->down;
}

/* Appends r to e's waiting queue, adding backlog tokens to e's backlog, and wakes e if that can matter. */
static void engine_queue_append(engine_t *e, sim_req_t *r, double backlog)
{
    r->inst = e->id;
    r->next = NULL;
    if (e->wait_tail)
        e->wait_tail->next = r;
    else
        e->wait_head = r;
    e->wait_tail = r;
    e->n_waiting++;
    e->backlog += backlog;
    if (engine_arrival_matters(e))
        engine_poke(e);
}

void engine_enqueue(engine_t *e, sim_req_t *r)
{
    r->state = RQ_WAITING;
    r->prefill_target = r->w.input_tokens;
    engine_queue_append(e, r, (double)r->w.input_tokens + r->w.output_tokens);
}

static sim_req_t *engine_pop_waiting(engine_t *e)
{
    sim_req_t *r = e->wait_head;
    e->wait_head = r->next;
    if (!e->wait_head)
        e->wait_tail = NULL;
    r->next = NULL;
    e->n_waiting--;
    return r;
}

static void engine_request_free(sim_req_t *r)
{
    wl_request_free(&r->w);
    free(r);
}

/* Hands the request's record to the metrics as it leaves the system. */
void engine_record(pod_t *p, const sim_req_t *r, int outcome)
{
    /* Zeroed whole, padding included, so run.h5 is byte-identical from run to run. */
    req_record_t rec;
    memset(&rec, 0, sizeof rec);
    rec.id = r->w.id;
    rec.session = r->w.session_id;
    rec.turn = r->w.turn;
    rec.instance = r->inst;
    rec.outcome = outcome;
    rec.input_tokens = r->w.input_tokens;
    rec.output_tokens = r->w.output_tokens;
    rec.decoded_tokens = outcome == RQ_COMPLETED ? r->w.output_tokens : r->decoded;
    rec.found_tokens = r->found_tokens;
    rec.reused_tokens = r->reused_tokens;
    rec.computed_tokens = r->w.input_tokens - r->reused_tokens;
    rec.arrival_s = r->w.arrival_s;
    rec.admit_s = r->t_admit;
    rec.ready_s = r->t_ready;
    rec.first_token_s = r->t_first;
    rec.done_s = r->t_done;
    rec.loaded_bytes = r->loaded_bytes;
    rec.preemptions = r->preemptions;
    rec.recomputed_tokens = r->recomputed_tokens;
    rec.preempted_s = r->preempted_s;
    rec.swap_bytes = r->swap_bytes;
    memcpy(rec.hit_tokens, r->hit_tokens_by_tier, sizeof rec.hit_tokens);
    metrics_request_end(p->m, &rec);
    faults_note_request(p, &rec);
    disagg_note_done(p, r, outcome);
}

static kv_pf_req_t engine_pf_req(const engine_t *e, const sim_req_t *r);

/* The request leaves the system: completion or rejection. Closed-loop sessions go on either way.
 * The caller frees it (completed requests leave the run array first). */
static void engine_finish_request(engine_t *e, sim_req_t *r, int outcome)
{
    pod_t *p = e->pod;
    double now = sgb_now();
    r->t_done = now;
    r->state = RQ_DONE;
    e->backlog -= (double)(r->prefill_target - r->prefilled) + (r->w.output_tokens - r->decoded);
    engine_record(p, r, outcome);
    wl_source_complete(p->src, &r->w, outcome == RQ_COMPLETED ? r->t_first : now, now);
    kv_pf_req_t v = engine_pf_req(e, r);
    pstage_request_done(p, &v, &r->w, outcome == RQ_COMPLETED);
    dispatch_note_completion(p);
}

double engine_load(const engine_t *e)
{
    if (e->ff_steps == 0)
        return e->backlog;
    /* Steps of the fast-forward that ended by now: ff_t is increasing, so bisect. */
    double elapsed = sgb_now() - e->ff_start;
    uint32_t lo = 0, hi = e->ff_steps;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (e->ff_t[mid] <= elapsed)
            lo = mid;
        else
            hi = mid - 1;
    }
    return e->backlog - (double)lo * e->ff_seqs;
}

/* ---- transfers ---------------------------------------------------------------------------------------- */

/* The first time a request's KV is in place (blocking: its loads landed; layer-wise: it joins an iteration):
 * the end of its KV wait, and its reused tokens count as input processed. */
static void engine_ready(pod_t *p, sim_req_t *r, double now)
{
    r->state = RQ_PREFILL;
    if (r->preemptions > 0)
        return; /* readmitted after a recompute preemption: its TTFT parts and reuse are the first admission's */
    r->t_ready = now;
    r->input_credited = r->reused_tokens;
    metrics_tokens(p->m, now, 0, r->reused_tokens);
}

/* A fault destroyed KV r counted on (faults.h): what it had prefilled or loaded is computed again, and a
 * swap-in that failed becomes a recompute of its prompt and the tokens it generated. */
static void engine_lost_kv(engine_t *e, sim_req_t *r)
{
    r->kv_lost = false;
    double before = (double)r->prefill_target - r->prefilled, lost = r->prefilled;
    if (r->resuming) {
        r->resuming = false;
        r->prefill_target = r->w.input_tokens + r->decoded;
        lost = r->prefill_target;
    }
    r->prefilled = 0;
    e->backlog += (double)r->prefill_target - before;
    r->recomputed_tokens += (uint32_t)lost;
    faults_note_recomputed(e->pod, lost);
}

static void engine_load_done(pod_t *p, void *ctx)
{
    sim_req_t *r = ctx;
    assert(r->pending > 0);
    if (--r->pending > 0)
        return;
    engine_t *e = &p->eng[r->inst];
    if (r->kv_lost)
        engine_lost_kv(e, r);
    if (r->state == RQ_LOADING) {
        e->n_loading--;
        if (r->resuming) {
            r->resuming = false;
            r->state = RQ_DECODE; /* swapped back in: it decodes on */
        } else {
            engine_ready(p, r, sgb_now());
        }
        engine_poke(e);
    } else if (r->overlap) {
        r->overlap = false; /* the layer-wise iteration that waits for it may end */
        engine_poke(e);
    }
}

void engine_load_failed(pod_t *p, void *ctx)
{
    ((sim_req_t *)ctx)->kv_lost = true;
    engine_load_done(p, ctx);
}

/* A preempted request's swap-out landed in G2: it may be swapped back in. */
static void engine_swap_out_done(pod_t *p, void *ctx)
{
    sim_req_t *r = ctx;
    engine_t *e = &p->eng[r->inst];
    assert(r->pending > 0 && e->n_swapping_out > 0);
    r->pending--;
    e->n_swapping_out--;
    engine_poke(e);
}

/* A swap of r's context between its G1 and its domain's G2 (out: G1 -> G2, a demotion; in: a load). */
static void engine_swap_job(engine_t *e, sim_req_t *r, bool out)
{
    pod_t *p = e->pod;
    uint32_t dom_loc = pod_tier_loc(p, KV_G2, e->id);
    pf_ep_t g1 = pod_tier_endpoint(p, KV_G1, e->id, 0), g2 = pod_tier_endpoint(p, KV_G2, dom_loc, 0);
    /* The KV of the prompt and of every token generated but the last (not yet fed back). */
    double tokens = (double)r->w.input_tokens + (r->decoded > 0 ? r->decoded - 1 : 0);
    xfer_job_t job = {
        .src = out ? g1 : g2,
        .dst = out ? g2 : g1,
        .bytes = tokens * p->kv_bytes_per_token,
        .kind = out ? KV_MOVE_DEMOTE : KV_MOVE_LOAD,
        .src_tier = out ? KV_G1 : KV_G2,
        .dst_tier = out ? KV_G2 : KV_G1,
        .done = out ? engine_swap_out_done : engine_load_done,
        .ctx = r,
        .fail = out ? NULL : engine_load_failed,
    };
    if (out)
        r->swap_bytes += job.bytes;
    r->pending++;
    xfer_submit(&p->load_pool[e->id], &job);
}

/* Turns the manager's pending moves into transfer jobs. Loads into this instance and the evictions out of
 * its G1 that make room for r are waited for by r; everything else is background write-back. */
void engine_issue_moves(engine_t *e, sim_req_t *r)
{
    pod_t *p = e->pod;
    kv_move_t mv[16];
    size_t n;
    while ((n = kv_drain_moves(p->kv, mv, 16)) > 0) {
        for (size_t i = 0; i < n; i++) {
            const kv_move_t *m = &mv[i];
            xfer_job_t job = {
                .src = pod_tier_endpoint(p, m->src_tier, m->src_loc, m->first_block),
                .dst = pod_tier_endpoint(p, m->dst_tier, m->dst_loc, m->first_block),
                .bytes = (double)m->blocks * p->block_bytes,
                .kind = m->kind,
                .src_tier = m->src_tier,
                .dst_tier = m->dst_tier,
                .first_block = m->first_block, /* for ICMS striping (xfer.h) */
                .blocks = m->blocks,
            };
            bool waited_load = r && m->kind == KV_MOVE_LOAD && m->dst_tier == KV_G1 && m->dst_loc == e->id;
            bool waited =
                waited_load || (r && m->kind == KV_MOVE_DEMOTE && m->src_tier == KV_G1 && m->src_loc == e->id);
            /* With faults listed, a write that fails takes its blocks out of its destination's index; a load
             * the request waits for is recomputed instead (faults.h). */
            if (!waited_load)
                job.wrec = faults_write_record(p, m);
            if (waited) {
                job.done = engine_load_done;
                job.fail = m->kind == KV_MOVE_LOAD ? engine_load_failed : NULL;
                job.ctx = r;
                r->pending++;
                if (m->kind == KV_MOVE_LOAD)
                    r->loaded_bytes += job.bytes;
                xfer_submit(&p->load_pool[e->id], &job);
            } else {
                /* Background moves queue at the source's domain; those between pod-wide tiers at the pod's. */
                int scope = kv_tiers[m->src_tier].scope;
                uint32_t pool = scope == KV_SCOPE_INSTANCE ? p->pf.domain_of_inst[m->src_loc]
                                : scope == KV_SCOPE_DOMAIN ? m->src_loc
                                                           : p->pf.n_domains;
                xfer_submit(&p->wb_pool[pool], &job);
            }
        }
        if (n < 16)
            break;
    }
    faults_moves_drained(p);
}

/* ---- admission ---------------------------------------------------------------------------------------- */

/* The path from tier (the copy serving block_id) to this instance, as a new flow would find it now: the
 * route's fair share of bandwidth and its latency. */
static void engine_fetch_hop(void *core, int tier, uint64_t block_id, kv_fetch_hop_t *out)
{
    engine_t *e = core;
    pod_t *p = e->pod;
    pf_route_t route;
    pf_ep_t dst = {PF_INST, e->id};
    pf_route(&p->pf, pod_tier_endpoint(p, tier, pod_tier_loc(p, tier, e->id), block_id), dst, &route);
    out->bandwidth_byte_s = pf_route_share_byte_s(&p->pf, &route);
    out->latency_s = route.latency_s;
}

/* How many leading cached blocks to reuse: the fetch-or-recompute policy's answer (sim/kv/fetch.h). */
static uint32_t engine_fetch_decision(engine_t *e, const sim_req_t *r, const uint8_t *tier_of, uint32_t prefix)
{
    pod_t *p = e->pod;
    kv_fetch_ctx_t c = {
        .st = pod_st(p, e->id),
        .tier_of = tier_of,
        .prefix = prefix,
        .block_ids = r->w.block_ids,
        .input_tokens = r->w.input_tokens,
        .block_tokens = p->block_tokens,
        .block_bytes = p->block_bytes,
        .hop = engine_fetch_hop,
        .core = e,
    };
    uint32_t use = p->fetch.ops->decide(&p->fetch, &c);
    assert(use <= prefix && "a fetch policy reused more than the cached prefix");
    return use;
}

/* A prefetch proposal becomes a prestage on the proposed instance's path and background transfers. */
static uint64_t engine_propose(void *core, const kv_pf_prop_t *prop)
{
    pod_t *p = core;
    assert(prop->inst < p->pf.n_inst);
    if (p->eng[prop->inst].down)
        return 0; /* its node failed: nothing is staged towards it */
    uint64_t staged = kv_prestage(p->kv, prop->inst, prop->ids, prop->n, prop->dst_tier, &prop->access);
    if (staged > 0)
        engine_issue_moves(&p->eng[prop->inst], NULL);
    return staged;
}

static kv_pf_req_t engine_pf_req(const engine_t *e, const sim_req_t *r)
{
    kv_pf_req_t v = {
        .inst = e->id,
        .ids = r->w.block_ids,
        .n_blocks = r->n_blocks,
        .input_tokens = r->w.input_tokens,
        .arrival_s = r->w.arrival_s,
        .access = engine_access(r),
        .parent_session = r->w.parent_session,
        .turn = r->w.turn,
        .turns_left = r->w.turns_left,
        .fork = r->w.fork,
        .next_arrival_s = NAN,
        .next_session = UINT64_MAX,
    };
    return v;
}

kv_pf_ctx_t engine_pf_ctx(pod_t *p)
{
    kv_pf_ctx_t c = {.now_s = sgb_now(), .kv = p->kv, .propose = engine_propose, .core = p};
    pstage_ctx_fill(p, &c);
    return c;
}

/* Tells the prefetch policy about the requests an admission pass left waiting, once each. */
static void engine_prefetch_waiting(engine_t *e)
{
    pod_t *p = e->pod;
    kv_pf_ctx_t c = engine_pf_ctx(p);
    for (sim_req_t *r = e->wait_head; r; r = r->next) {
        if (r->told_waiting)
            continue;
        r->told_waiting = true;
        kv_pf_req_t v = engine_pf_req(e, r);
        p->prefetch.ops->waiting(&p->prefetch, &c, &v);
    }
}

/* The admission policy's view of the queue: the k-th waiting request. */
static void engine_queue_at(const void *core, uint32_t k, sched_req_t *out)
{
    const engine_t *e = core;
    const sim_req_t *r = e->wait_head;
    while (k-- > 0)
        r = r->next;
    *out = dispatch_sched_req(r);
}

static sim_req_t *engine_waiting_at(const engine_t *e, uint32_t k)
{
    sim_req_t *r = e->wait_head;
    while (k-- > 0)
        r = r->next;
    return r;
}

/* Takes the k-th waiting request out of the queue. */
static sim_req_t *engine_take_waiting(engine_t *e, uint32_t k)
{
    if (k == 0)
        return engine_pop_waiting(e);
    sim_req_t *prev = engine_waiting_at(e, k - 1);
    sim_req_t *r = prev->next;
    prev->next = r->next;
    if (e->wait_tail == r)
        e->wait_tail = prev;
    r->next = NULL;
    e->n_waiting--;
    return r;
}

static void engine_run_push(engine_t *e, sim_req_t *r)
{
    if (e->n_run == e->cap_run) {
        e->cap_run = e->cap_run ? e->cap_run * 2 : 64;
        e->run = kvt_realloc(e->run, e->cap_run, sizeof *e->run);
    }
    e->run[e->n_run++] = r;
}

/* Layer-wise loading: when r's loads should have landed, from the routes' fair shares now (the tiers load in
 * parallel, each hop one transfer after its latency). */
static double engine_load_eta(engine_t *e, const sim_req_t *r, const uint8_t *tier_of, uint32_t use)
{
    pod_t *p = e->pod;
    double blocks[KV_NTIERS] = {0};
    uint64_t first[KV_NTIERS] = {0};
    for (uint32_t u = 0; u < use; u++) {
        if (tier_of[u] == KV_G1)
            continue;
        if (blocks[tier_of[u]] == 0)
            first[tier_of[u]] = r->w.block_ids[u];
        blocks[tier_of[u]] += 1;
    }
    double worst = 0;
    for (int t = KV_G1 + 1; t < KV_NTIERS; t++) {
        if (blocks[t] == 0)
            continue;
        kv_fetch_hop_t hop;
        engine_fetch_hop(e, t, first[t], &hop);
        double s = hop.latency_s + (hop.bandwidth_byte_s > 0 ? blocks[t] * p->block_bytes / hop.bandwidth_byte_s : 0);
        worst = s > worst ? s : worst;
    }
    return sgb_now() + worst;
}

/* Enters r (taken out of the queue) into the batch: loading if it waits for transfers, else prefilling or
 * (swapped back) decoding. */
static void engine_enter(engine_t *e, sim_req_t *r)
{
    if (r->pending > 0) {
        r->state = RQ_LOADING;
        e->n_loading++;
    } else if (r->resuming) {
        r->resuming = false;
        r->state = RQ_DECODE;
    } else {
        engine_ready(e->pod, r, sgb_now());
    }
    engine_run_push(e, r);
}

/* Readmits a request preempted by swap: its room again (the prompt blocks committed at once: their KV comes
 * back with the swap-in), and the swap-in as its load. Returns kv_admit's answer. */
static int engine_swap_in(engine_t *e, sim_req_t *r, uint64_t keep)
{
    pod_t *p = e->pod;
    kv_access_t ctx = engine_access(r);
    int rc = kv_admit_keep(p->kv, e->id, r->w.block_ids, r->n_blocks, 0, r->swap_extra, keep, &ctx);
    if (rc != KV_OK)
        return rc;
    r->reserved_blocks = r->swap_extra;
    r->grown_blocks = 0;
    kv_commit(p->kv, e->id, r->w.block_ids, 0, r->n_blocks, &ctx);
    r->committed = r->n_blocks;
    r->swapped = false;
    r->resuming = true;
    engine_issue_moves(e, r);
    engine_swap_job(e, r, false);
    return KV_OK;
}

/* Admits waiting requests, in the order the admission policy picks them, while the batch and G1 have room. */
static void engine_admit(engine_t *e)
{
    pod_t *p = e->pod;
    uint32_t bt = p->block_tokens;
    while (e->wait_head && e->n_run < e->max_seqs && !e->g1_full) {
        sched_queue_t q = {e->n_waiting, e->n_run, e->max_seqs, engine_queue_at, e};
        uint32_t pick = e->admit.ops->next(&e->admit, &q);
        if (pick == SCHED_ADMIT_NONE)
            break;
        assert(pick < e->n_waiting && "an admission policy picked past the queue");
        sim_req_t *r = engine_waiting_at(e, pick);
        if (r->pending > 0)
            break; /* preempted, its swap-out still in flight: it is poked when that lands */
        /* The watermark binds only when others run: alone, a request gets the whole G1. */
        uint64_t keep = e->n_run > 0 ? e->keep_free : 0;
        if (r->swapped) {
            if (engine_swap_in(e, r, keep) != KV_OK) {
                e->g1_full = true;
                break;
            }
            r->preempted_s += sgb_now() - r->t_preempt;
            engine_take_waiting(e, pick);
            engine_enter(e, r);
            continue;
        }
        if (r->kv_from) {
            /* Handed over by a prefill instance (disaggregation): room for its KV, which it then pulls. */
            int rc = disagg_admit(e, r, keep);
            if (rc == KV_OK) {
                engine_take_waiting(e, pick);
                engine_enter(e, r);
                continue;
            }
            if (e->n_run > 0 && rc != DISAGG_NEVER) {
                e->g1_full = true;
                break;
            }
            engine_take_waiting(e, pick);
            engine_finish_request(e, r, RQ_REJECTED);
            engine_request_free(r);
            continue;
        }
        if (r->n_blocks + 1 > e->tier_cap) {
            e->tier_cap = r->n_blocks * 2 + 1;
            e->tier_of = kvt_realloc(e->tier_of, e->tier_cap, 1);
        }
        uint32_t prefix = kv_lookup_tiers(p->kv, e->id, r->w.block_ids, r->n_blocks, e->tier_of);
        uint32_t use = engine_fetch_decision(e, r, e->tier_of, prefix);
        /* Peer KV: the blocks after a wholly reused prefix, from another domain's G2 (kv.peer_g2). */
        peer_plan_t peer = {0, 0, 0};
        if (use == prefix && r->preemptions == 0)
            peer = peer_decide(p, e->id, r->w.block_ids, r->n_blocks, e->tier_of, prefix, r->w.input_tokens);
        /* Cost-aware policies value a block by the prefill time it saves (at mid-context). */
        r->recompute_s_per_block = st_prefill_time_s(pod_st(p, e->id), bt, r->w.input_tokens / 2.0);
        kv_access_t ctx = engine_access(r);
        sched_req_t view = dispatch_sched_req(r);
        uint32_t reserve = e->admit.ops->reserve(&e->admit, &view);
        /* After a recompute preemption the generated tokens are prefilled too: their blocks are needed now. */
        uint64_t target_blocks = ((uint64_t)r->prefill_target + bt - 1) / bt;
        if (target_blocks > (uint64_t)r->n_blocks + reserve)
            reserve = (uint32_t)(target_blocks - r->n_blocks);
        /* A paged request that could never grow to its whole output in an empty G1 can never complete here. */
        bool never = (uint64_t)r->n_blocks + r->extra_blocks > kv_g1_capacity_blocks(p->kv, e->id);
        int rc =
            never ? KV_ENOSPACE : kv_admit_keep(p->kv, e->id, r->w.block_ids, r->n_blocks, use, reserve, keep, &ctx);
        if (rc != KV_OK) {
            if (e->n_run > 0 && !never) {
                e->g1_full = true; /* room comes back as running requests complete or are preempted */
                break;
            }
            /* Even an empty G1 cannot hold it: it can never run here. */
            engine_take_waiting(e, pick);
            engine_finish_request(e, r, RQ_REJECTED);
            engine_request_free(r);
            continue;
        }
        r->reserved_blocks = reserve;
        engine_take_waiting(e, pick);
        r->committed = use;
        if (peer.blocks > 0) {
            /* Its blocks hold valid KV once the peer load lands: committed now, as a handed-off request's are. */
            kv_commit(p->kv, e->id, r->w.block_ids, use, use + peer.blocks, &ctx);
            use += peer.blocks;
            r->committed = use;
        }
        uint64_t reusable = (uint64_t)use * bt;
        uint32_t max_reuse = r->prefill_target ? r->prefill_target - 1 : 0;
        uint32_t reuse = reusable < max_reuse ? (uint32_t)reusable : max_reuse;
        if (r->preemptions == 0) {
            r->t_admit = sgb_now();
            r->found_tokens = (uint32_t)fmin((double)(prefix + peer.blocks) * bt, r->w.input_tokens);
            r->reused_tokens = reuse;
            metrics_hit_tokens(e->tier_of, use, bt, r->reused_tokens, r->hit_tokens_by_tier);
        } else {
            r->preempted_s += sgb_now() - r->t_preempt;
            r->recomputed_tokens += r->prefill_target - reuse;
        }
        r->prefilled = reuse;
        e->backlog -= reuse;
        engine_issue_moves(e, r);
        if (peer.blocks > 0) {
            r->pending++;
            r->loaded_bytes += peer.bytes;
            peer_submit(p, e->id, r->w.block_ids, use - peer.blocks, &peer, engine_load_done, r);
        }
        if (r->pending > 0 && e->layerwise)
            r->load_eta = engine_load_eta(e, r, e->tier_of, use);
        engine_enter(e, r);
    }
    if (p->prefetch.ops->waiting && e->wait_head)
        engine_prefetch_waiting(e);
}

/* ---- paged KV: growth and preemption ------------------------------------------------------------------ */

/* G1 blocks r must gain to run `steps` more decode steps: after them its KV holds the input and every
 * generated token but the last. */
static uint32_t engine_decode_need(const engine_t *e, const sim_req_t *r, uint32_t steps)
{
    uint64_t bt = e->pod->block_tokens;
    uint64_t tokens = (uint64_t)r->w.input_tokens + r->decoded + steps - 1;
    uint64_t need = (tokens + bt - 1) / bt, held = (uint64_t)r->n_blocks + r->reserved_blocks;
    return need > held ? (uint32_t)(need - held) : 0;
}

/* Blocks all decoding requests must gain for `steps` more steps. */
static uint64_t engine_decode_needs(const engine_t *e, uint32_t steps)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < e->n_run; i++)
        if (e->run[i]->state == RQ_DECODE)
            total += engine_decode_need(e, e->run[i], steps);
    return total;
}

/* Grows every decoding request's G1 room for `steps` more steps, if G1 can give it all; false (nothing
 * changed) if not. A full reservation (fcfs) never needs to grow. */
static bool engine_grow_decodes(engine_t *e, uint32_t steps)
{
    pod_t *p = e->pod;
    uint64_t total = engine_decode_needs(e, steps);
    if (total == 0)
        return true;
    if (total > kv_g1_room_blocks(p->kv, e->id))
        return false;
    for (uint32_t i = 0; i < e->n_run; i++) {
        sim_req_t *r = e->run[i];
        uint32_t need = r->state == RQ_DECODE ? engine_decode_need(e, r, steps) : 0;
        if (need == 0)
            continue;
        int rc = kv_reserve_grow(p->kv, e->id, r->w.id, need, sgb_now());
        assert(rc == KV_OK && "growth room computed wrongly");
        (void)rc;
        r->reserved_blocks += need;
        r->grown_blocks += need;
    }
    engine_issue_moves(e, NULL); /* what the growth evicted from G1 is demoted in the background */
    return true;
}

/* Gives back the room grown ahead for steps a fast-forward stopped before: each decoding request keeps what
 * its KV holds now (only grown blocks are given back, never an admission's reservation). */
static void engine_shrink_decodes(engine_t *e)
{
    pod_t *p = e->pod;
    uint64_t bt = p->block_tokens;
    for (uint32_t i = 0; i < e->n_run; i++) {
        sim_req_t *r = e->run[i];
        if (r->state != RQ_DECODE || r->grown_blocks == 0)
            continue;
        uint64_t tokens = (uint64_t)r->w.input_tokens + (r->decoded > 0 ? r->decoded - 1 : 0);
        uint64_t need = (tokens + bt - 1) / bt, held = (uint64_t)r->n_blocks + r->reserved_blocks;
        uint64_t spare = held > need ? held - need : 0;
        uint32_t give = spare < r->grown_blocks ? (uint32_t)spare : r->grown_blocks;
        if (give == 0)
            continue;
        kv_reserve_shrink(p->kv, e->id, r->w.id, give);
        r->reserved_blocks -= give;
        r->grown_blocks -= give;
    }
}

static void engine_running_at(const void *core, uint32_t k, sched_req_t *out)
{
    const engine_t *e = core;
    *out = dispatch_sched_req(e->run[e->cand[k]]);
}

/* Takes r out of the batch and puts it at the head of the queue, its KV dropped (recompute) or on its way
 * to G2 (swap). */
static void engine_preempt(engine_t *e, uint32_t idx)
{
    pod_t *p = e->pod;
    sim_req_t *r = e->run[idx];
    assert(r->pending == 0 && (r->state == RQ_PREFILL || r->state == RQ_DECODE));
    kv_access_t ctx = engine_access(r);
    bool swap = e->can_swap && r->state == RQ_DECODE;
    kv_release(p->kv, e->id, r->w.block_ids, r->n_blocks, r->reserved_blocks, &ctx);
    e->g1_full = false;
    r->preemptions++;
    r->t_preempt = sgb_now();
    metrics_preemption(p->m, r->t_preempt, swap);
    if (swap) {
        r->swapped = true;
        r->swap_extra = r->reserved_blocks;
        e->n_swapping_out++;
        engine_swap_job(e, r, true);
    } else {
        /* Its prompt and the tokens it generated are prefilled again (less what the cache still holds). */
        double before = (double)r->prefill_target - r->prefilled;
        r->prefill_target = r->w.input_tokens + r->decoded;
        r->prefilled = 0;
        e->backlog += r->prefill_target - before;
    }
    engine_issue_moves(e, NULL);
    r->committed = 0;
    r->reserved_blocks = 0;
    r->grown_blocks = 0;
    memmove(e->run + idx, e->run + idx + 1, (e->n_run - idx - 1) * sizeof *e->run);
    e->n_run--;
    r->state = RQ_WAITING;
    r->next = e->wait_head;
    e->wait_head = r;
    if (!e->wait_tail)
        e->wait_tail = r;
    e->n_waiting++;
}

/* Makes room for the next iteration's decode tokens, preempting the policy's victims while G1 cannot give
 * it. False if room could not be made (no policy victim): the decodes wait, stalled. */
static bool engine_make_step_room(engine_t *e)
{
    while (!engine_grow_decodes(e, 1)) {
        if (!e->admit.ops->victim)
            return false;
        if (e->cand_cap < e->n_run) {
            e->cand_cap = e->n_run * 2;
            e->cand = kvt_realloc(e->cand, e->cand_cap, sizeof *e->cand);
        }
        uint32_t n = 0;
        for (uint32_t i = 0; i < e->n_run; i++) {
            const sim_req_t *r = e->run[i];
            if (r->pending == 0 && (r->state == RQ_PREFILL || r->state == RQ_DECODE))
                e->cand[n++] = i;
        }
        if (n == 0)
            return false;
        sched_running_t run = {n, engine_running_at, e};
        uint32_t k = e->admit.ops->victim(&e->admit, &run);
        if (k == SCHED_ADMIT_NONE)
            return false;
        assert(k < n && "an admission policy chose a victim past the list");
        engine_preempt(e, e->cand[k]);
    }
    return true;
}

/* ---- iterations --------------------------------------------------------------------------------------- */

static void engine_remove_done(engine_t *e)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < e->n_run; i++) {
        if (e->run[i]->inst != e->id)
            continue; /* handed to a decode instance (disaggregation), which holds it now */
        if (e->run[i]->state != RQ_DONE)
            e->run[k++] = e->run[i];
        else
            engine_request_free(e->run[i]);
    }
    e->n_run = k;
}

static void engine_complete(engine_t *e, sim_req_t *r)
{
    pod_t *p = e->pod;
    kv_access_t ctx = engine_access(r);
    kv_release(p->kv, e->id, r->w.block_ids, r->n_blocks, r->reserved_blocks, &ctx);
    e->g1_full = false;
    engine_issue_moves(e, NULL);
    /* The prefetch policy hears of the turn's end from engine_finish_request, once the source has said what
     * follows it (pstage_request_done). */
    engine_finish_request(e, r, RQ_COMPLETED);
}

/* Commits the blocks r's prefill has fully covered; all of them once its prompt is done. */
static void engine_commit_progress(engine_t *e, sim_req_t *r)
{
    pod_t *p = e->pod;
    uint32_t full = r->prefilled >= r->w.input_tokens ? r->n_blocks : r->prefilled / p->block_tokens;
    if (full > r->n_blocks)
        full = r->n_blocks;
    if (full > r->committed) {
        kv_access_t ctx = engine_access(r);
        kv_commit(p->kv, e->id, r->w.block_ids, r->committed, full, &ctx);
        r->committed = full;
        engine_issue_moves(e, NULL);
    }
}

/* Joules of all the instance's GPUs over one iteration (compute, memory-bound, collective and overhead
 * time each at their own power level: models/power.h). */
static double engine_step_energy(const engine_t *e, const st_time_t *t)
{
    return pw_gpu_step_j(pf_inst_gpu(&e->pod->pf, e->pod->sc, e->id), t) * e->pod->pf.gpus_of_inst[e->id];
}

/* One iteration's time from the step-time model, under the GPUs' power cap if one is set. */
static void engine_step_time(const engine_t *e, const st_shape_t *shape, st_time_t *t)
{
    st_step(pod_st(e->pod, e->id), shape, t);
    pw_gpu_cap(pf_inst_gpu(&e->pod->pf, e->pod->sc, e->id), t);
}

typedef struct engine_chunk {
    sim_req_t *r;
    uint32_t tokens;
} chunk_t;

/* Adds r's next prefill chunk (at most *budget tokens) to the shape. */
static void engine_add_chunk(engine_t *e, sim_req_t *r, uint32_t *budget, st_shape_t *shape, uint32_t *nch)
{
    const sc_deploy_t *dep = &e->pod->sc->deploy;
    uint32_t rem = r->prefill_target - r->prefilled;
    uint32_t c = rem < dep->prefill_chunk_tokens ? rem : dep->prefill_chunk_tokens;
    if (c > *budget)
        c = *budget;
    e->chunks[(*nch)++] = (chunk_t){r, c};
    *budget -= c;
    shape->prefill_tokens += c;
    shape->prefill_attn_pairs += (double)c * (r->prefilled + (c + 1) / 2.0);
    shape->prefill_seqs += 1;
}

/* True if any request of the layer-wise iteration still waits for its KV. */
static bool engine_overlap_pending(const engine_t *e, uint32_t nch)
{
    for (uint32_t c = 0; c < nch; c++)
        if (e->chunks[c].r->pending > 0)
            return true;
    return false;
}

/* One mixed iteration: the decodes plus prefill chunks; with layer-wise loading, also the first chunks of
 * loading requests whose KV should land within the iteration. Returns false if it had nothing to do. */
static bool engine_mixed_step(engine_t *e, uint32_t n_dec, double dec_ctx)
{
    pod_t *p = e->pod;
    if (e->chunk_cap < e->n_run) {
        e->chunk_cap = e->n_run * 2;
        e->chunks = kvt_realloc(e->chunks, e->chunk_cap, sizeof *e->chunks);
    }
    chunk_t *chunks = e->chunks;
    st_shape_t shape = {.decode_seqs = n_dec, .decode_ctx_tokens = dec_ctx};
    uint32_t budget = e->max_tokens > n_dec ? e->max_tokens - n_dec : 0;
    uint32_t nch = 0;
    for (uint32_t i = 0; i < e->n_run && budget > 0; i++) {
        sim_req_t *r = e->run[i];
        if (r->state == RQ_PREFILL)
            engine_add_chunk(e, r, &budget, &shape, &nch);
    }
    st_time_t t;
    engine_step_time(e, &shape, &t);
    uint32_t n_overlap = 0;
    if (e->layerwise && e->n_loading > 0 && budget > 0) {
        /* Loading requests join if their KV should land within this iteration (or if nothing else runs: the
         * first layers compute while the rest arrive). Each joins with its first chunk; the iteration then
         * lasts at least until its load has landed plus one layer. */
        double now = sgb_now();
        bool alone = n_dec == 0 && nch == 0;
        for (uint32_t i = 0; i < e->n_run && budget > 0; i++) {
            sim_req_t *r = e->run[i];
            if (r->state != RQ_LOADING || r->resuming || (!alone && r->load_eta - now > t.time_s))
                continue;
            e->n_loading--;
            engine_ready(p, r, now);
            r->overlap = true;
            engine_add_chunk(e, r, &budget, &shape, &nch);
            n_overlap++;
        }
        if (n_overlap)
            engine_step_time(e, &shape, &t);
    }
    if (n_dec == 0 && nch == 0)
        return false;
    double t0 = sgb_now();
    sgb_sleep_for(t.time_s);
    double now = sgb_now();
    metrics_gpu_busy(p->m, e->id, t0, now, engine_step_energy(e, &t));
    metrics_gpu_work(p->m, e->id, t0, now, t.flops, t.hbm_bytes);
    if (n_overlap && engine_overlap_pending(e, nch)) {
        /* The last layers wait for their KV, then the last layer computes: stalled on KV loads. */
        while (engine_overlap_pending(e, nch))
            sgb_sem_wait(e->wake);
        sgb_sleep_for(t.time_s / (p->sc->model.layers ? p->sc->model.layers : 1));
        double end = sgb_now();
        metrics_gpu_wait(p->m, e->id, now, end, true);
        sgb_sem_post(e->wake); /* wake-ups that came meanwhile are not lost */
        now = end;
    }
    e->last_step_s = now - t0;
    /* Decodes first: a request finishing its prefill in this step does not also decode in it. */
    if (n_dec) {
        metrics_tokens(p->m, now, n_dec, 0);
        e->backlog -= n_dec;
        for (uint32_t i = 0; i < e->n_run; i++) {
            sim_req_t *r = e->run[i];
            if (r->in_batch && ++r->decoded >= r->w.output_tokens)
                engine_complete(e, r);
        }
    }
    for (uint32_t c = 0; c < nch; c++) {
        sim_req_t *r = chunks[c].r;
        r->prefilled += chunks[c].tokens;
        e->backlog -= chunks[c].tokens;
        /* Input tokens count once towards the throughput, however often a preemption recomputes them. */
        uint32_t covered = r->prefilled < r->w.input_tokens ? r->prefilled : r->w.input_tokens;
        if (covered > r->input_credited) {
            metrics_tokens(p->m, now, 0, covered - r->input_credited);
            r->input_credited = covered;
        }
        engine_commit_progress(e, r);
        if (r->prefilled >= r->prefill_target && disagg_handoff(e, r))
            continue; /* a prefill instance's work is done: the decode pool has it */
        if (r->prefilled >= r->prefill_target) {
            /* The prompt's last step yields the first output token (after a recompute, the next one). */
            uint32_t next = r->decoded < r->w.output_tokens ? 1 : 0;
            if (r->t_first == 0)
                r->t_first = now;
            r->decoded += next;
            e->backlog -= next;
            r->state = RQ_DECODE;
            metrics_tokens(p->m, now, next, 0);
            if (r->decoded >= r->w.output_tokens)
                engine_complete(e, r);
        }
    }
    engine_remove_done(e);
    return true;
}

/* Lays out the decode run's n steps: their results (st_run_steps, reused where the same batch resumes) and
 * cumulative end times in ff_t. Energy, FLOPs and bytes are summed later, for the steps that ran. */
static const st_time_t *engine_ff_lay_out(engine_t *e, uint32_t n, uint32_t n_dec, double dec_ctx)
{
    if (n + 1 > e->ff_cap) {
        e->ff_cap = (n + 1) * 2;
        e->ff_t = kvt_realloc(e->ff_t, e->ff_cap, sizeof *e->ff_t);
        e->ff_e = kvt_realloc(e->ff_e, e->ff_cap, sizeof *e->ff_e);
        e->ff_f = kvt_realloc(e->ff_f, e->ff_cap, sizeof *e->ff_f);
        e->ff_b = kvt_realloc(e->ff_b, e->ff_cap, sizeof *e->ff_b);
    }
    const st_time_t *steps = st_run_steps(&e->ff_run, n_dec, dec_ctx, n);
    e->ff_t[0] = 0;
    for (uint32_t j = 1; j <= n; j++)
        e->ff_t[j] = e->ff_t[j - 1] + steps[j - 1].time_s;
    return steps;
}

/* Waits for the decode run laid out in ff_t, started at `start`, with one wait: to its end, or, woken
 * earlier (an arrival, a landed load, a completion elsewhere that pokes), to the end of the step in progress,
 * where the batch may change. Returns the steps that ran. */
static uint32_t engine_ff_wait(engine_t *e, double start, uint32_t n)
{
    if (!sgb_sem_wait_for(e->wake, start + e->ff_t[n] - sgb_now()))
        return n;
    double elapsed = sgb_now() - start;
    uint32_t k = 1;
    while (k < n && e->ff_t[k] < elapsed)
        k++;
    sgb_sleep_until(start + e->ff_t[k]);
    return k;
}

/* Cumulative energy, FLOPs and HBM bytes of the run's first k steps, in ff_e/ff_f/ff_b. */
static void engine_ff_sum(engine_t *e, const st_time_t *steps, uint32_t k)
{
    e->ff_e[0] = e->ff_f[0] = e->ff_b[0] = 0;
    for (uint32_t j = 1; j <= k; j++) {
        const st_time_t *t = &steps[j - 1];
        e->ff_e[j] = e->ff_e[j - 1] + engine_step_energy(e, t);
        e->ff_f[j] = e->ff_f[j - 1] + t->flops;
        e->ff_b[j] = e->ff_b[j - 1] + t->hbm_bytes;
    }
}

/* A decode-only batch: runs up to the first completion, stopping early at the step boundary after a
 * wake-up. The whole run is laid out at once and waited for with one wait. */
static void engine_fast_forward(engine_t *e, uint32_t n_dec, double dec_ctx)
{
    pod_t *p = e->pod;
    uint32_t n = UINT32_MAX;
    for (uint32_t i = 0; i < e->n_run; i++) {
        const sim_req_t *r = e->run[i];
        if (r->state == RQ_DECODE && r->w.output_tokens - r->decoded < n)
            n = r->w.output_tokens - r->decoded;
    }
    assert(n >= 1 && n != UINT32_MAX);
    /* Paged KV: the run stops where G1 could no longer give the decodes their next blocks (the room for those
     * steps is taken now, and what a wake-up leaves unused is given back). */
    if (engine_decode_needs(e, n) > 0) {
        uint64_t room = kv_g1_room_blocks(p->kv, e->id);
        uint32_t lo = 1, hi = n; /* needs(1) = 0: engine_make_step_room ran */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo + 1) / 2;
            if (engine_decode_needs(e, mid) <= room)
                lo = mid;
            else
                hi = mid - 1;
        }
        n = lo;
        bool ok = engine_grow_decodes(e, n);
        assert(ok);
        (void)ok;
    }
    const st_time_t *steps = engine_ff_lay_out(e, n, n_dec, dec_ctx);
    double start = sgb_now();
    e->ff_start = start;
    e->ff_seqs = n_dec;
    e->ff_steps = n;
    uint32_t k = engine_ff_wait(e, start, n);
    e->ff_steps = 0;
    engine_ff_sum(e, steps, k);
    metrics_decode_steps(p->m, e->id, start, e->ff_t, e->ff_e, k, n_dec);
    metrics_gpu_work(p->m, e->id, start, start + e->ff_t[k], e->ff_f[k], e->ff_b[k]);
    e->backlog -= (double)k * n_dec;
    for (uint32_t i = 0; i < e->n_run; i++) {
        sim_req_t *r = e->run[i];
        if (!r->in_batch)
            continue;
        r->decoded += k;
        if (r->decoded >= r->w.output_tokens)
            engine_complete(e, r);
    }
    engine_remove_done(e);
    engine_shrink_decodes(e);
}

/* ---- node faults ------------------------------------------------------------------------------------------ */

/* r's KV is gone with its node: it is prefilled again from scratch (its prompt and what it generated), as a
 * recompute preemption would, wherever it runs next. */
static void engine_restart(engine_t *e, sim_req_t *r)
{
    pod_t *p = e->pod;
    faults_note_recomputed(p, r->prefilled);
    faults_note_restarted(p);
    r->preemptions++;
    r->t_preempt = sgb_now();
    r->prefill_target = r->w.input_tokens + r->decoded;
    r->prefilled = 0;
    r->committed = 0;
    r->reserved_blocks = 0;
    r->grown_blocks = 0;
    r->swapped = false;
    r->swap_extra = 0;
    r->resuming = false;
    r->overlap = false;
    r->in_batch = false;
    r->state = RQ_WAITING;
}

static double engine_req_backlog(const sim_req_t *r)
{
    return (double)(r->prefill_target - r->prefilled) + (r->w.output_tokens - r->decoded);
}

/* Puts r at the tail of e's queue (moved from a failed instance). */
static void engine_adopt(engine_t *e, sim_req_t *r)
{
    engine_queue_append(e, r, engine_req_backlog(r));
}

/* The instance's node is down: every request that waits for no transfer leaves for the least loaded
 * instance that is up (or, if none is, waits here for the repair), restarting if it held KV here. Those
 * with transfers in flight follow once the transfers have failed. */
static void engine_evacuate(engine_t *e)
{
    pod_t *p = e->pod;
    uint32_t to = faults_instance(p, e->id);
    sim_req_t *stay = NULL, *stay_tail = NULL, *move = NULL, *move_tail = NULL;
    uint32_t n_stay = 0, k = 0;
    for (uint32_t i = 0; i < e->n_run; i++) {
        sim_req_t *r = e->run[i];
        if (r->pending > 0) {
            e->run[k++] = r;
            continue;
        }
        kv_access_t ctx = engine_access(r);
        kv_release(p->kv, e->id, r->w.block_ids, r->n_blocks, r->reserved_blocks, &ctx);
        e->backlog -= engine_req_backlog(r);
        engine_restart(e, r);
        e->backlog += engine_req_backlog(r);
        r->next = NULL;
        if (move_tail)
            move_tail->next = r;
        else
            move = r;
        move_tail = r;
    }
    e->n_run = k;
    e->n_loading = 0;
    for (uint32_t i = 0; i < e->n_run; i++)
        e->n_loading += e->run[i]->state == RQ_LOADING;
    e->g1_full = false;
    while (e->wait_head) {
        sim_req_t *r = engine_pop_waiting(e);
        if (r->swapped && r->pending == 0) {
            /* Its KV waited in this node's G2. */
            e->backlog -= engine_req_backlog(r);
            engine_restart(e, r);
            e->backlog += engine_req_backlog(r);
        }
        bool keep = r->pending > 0 || to == e->id;
        sim_req_t **head = keep ? &stay : &move, **tail = keep ? &stay_tail : &move_tail;
        if (*tail)
            (*tail)->next = r;
        else
            *head = r;
        *tail = r;
        n_stay += keep;
    }
    /* Restarted requests stay at the head of their queue, as preempted ones do. */
    for (sim_req_t *r = move; r;) {
        sim_req_t *next = r->next;
        if (to == e->id) {
            r->next = NULL;
            if (stay_tail)
                stay_tail->next = r;
            else
                stay = r;
            stay_tail = r;
            n_stay++;
        } else {
            e->backlog -= engine_req_backlog(r);
            engine_adopt(&p->eng[to], r);
        }
        r = next;
    }
    e->wait_head = stay;
    e->wait_tail = stay_tail;
    e->n_waiting = n_stay;
    engine_issue_moves(e, NULL);
    if (e->n_run == 0)
        faults_instance_cleared(p, e->id);
}

/* True if a layer-wise loading request may join an iteration now: its KV should land within about one
 * iteration. */
static bool engine_overlap_ready(const engine_t *e)
{
    if (!e->layerwise || e->n_loading == 0)
        return false;
    double now = sgb_now();
    for (uint32_t i = 0; i < e->n_run; i++) {
        const sim_req_t *r = e->run[i];
        if (r->state == RQ_LOADING && !r->resuming && r->load_eta - now <= e->last_step_s)
            return true;
    }
    return false;
}

static void engine_main(void *arg)
{
    engine_t *e = arg;
    pod_t *p = e->pod;
    for (;;) {
        sgb_sem_drain(e->wake);
        if (p->fail_code)
            return;
        if (e->down) {
            /* Its node failed (faults.h): nothing runs here until it is repaired. */
            engine_evacuate(e);
            if (p->arrivals_over && e->n_run == 0 && e->n_waiting == 0 && disagg_may_exit(p)) {
                e->exited = true;
                return;
            }
            double t0 = sgb_now();
            sgb_sem_wait(e->wake);
            metrics_gpu_wait(p->m, e->id, t0, sgb_now(), false);
            continue;
        }
        engine_admit(e);
        bool room = engine_make_step_room(e);
        uint32_t n_dec = 0, n_pre = 0;
        double dec_ctx = 0;
        for (uint32_t i = 0; i < e->n_run; i++) {
            sim_req_t *r = e->run[i];
            r->in_batch = r->state == RQ_DECODE;
            if (r->in_batch) {
                n_dec++;
                dec_ctx += (double)r->w.input_tokens + r->decoded;
            } else if (r->state == RQ_PREFILL) {
                n_pre++;
            }
        }
        /* Runnable work waits when preempted KV is still being swapped out, or when the decodes have no block. */
        bool blocked = e->n_swapping_out > 0 || !room;
        bool lw = !blocked && engine_overlap_ready(e);
        if (blocked || (n_dec == 0 && n_pre == 0 && !lw)) {
            if (p->arrivals_over && e->n_run == 0 && e->n_waiting == 0 && disagg_may_exit(p)) {
                e->exited = true;
                return;
            }
            double t0 = sgb_now();
            bool stalled = e->n_loading > 0 || blocked;
            if (e->layerwise && e->n_loading > 0 && !blocked) {
                /* Nothing runs: a loading request joins as soon as it is admitted (its first layers compute
                 * while the rest arrive). */
                if (engine_mixed_step(e, 0, 0))
                    continue;
            }
            sgb_sem_wait(e->wake);
            metrics_gpu_wait(p->m, e->id, t0, sgb_now(), stalled);
            continue;
        }
        if (n_pre > 0 && p->sc->deploy.batching == SC_BATCH_PREFILL_FIRST) {
            /* vLLM before chunked prefill: a prefill iteration holds no decodes; they stall until it ends. */
            for (uint32_t i = 0; i < e->n_run; i++)
                e->run[i]->in_batch = false;
            engine_mixed_step(e, 0, 0);
        } else if ((n_pre > 0 && n_dec < e->max_tokens) || lw || !p->sc->sim.fast_forward)
            engine_mixed_step(e, n_dec, dec_ctx);
        else
            engine_fast_forward(e, n_dec, dec_ctx);
    }
}

void engine_start(engine_t *e, pod_t *p, uint32_t id)
{
    memset(e, 0, sizeof *e);
    e->pod = p;
    e->id = id;
    e->domain = p->pf.domain_of_inst[id];
    e->wake = sgb_sem_new(0);
    st_run_init(&e->ff_run, pod_st(p, id), pf_inst_gpu(&p->pf, p->sc, id)); /* per-pool models (disaggregation) */
    char msg[256];
    /* The scenario validated the policy and its parameters (sim/config/scenario.c), so binding cannot fail. */
    const sc_deploy_t *dep = &p->sc->deploy;
    const sched_admit_ops_t *ops = sched_admit_find(dep->admission);
    assert(ops && "admission policy not validated");
    jb_error_t je;
    e->admit_params = plugin_bind(&ops->base, dep->admission_params, &je);
    assert(e->admit_params && "admission parameters not validated");
    int rc = sched_admitter_init(&e->admit, ops, e->admit_params, id, msg, sizeof msg);
    assert(rc == 0 && "admission policy init failed");
    (void)rc;
    e->keep_free = ops->keep_free ? ops->keep_free(&e->admit, kv_g1_capacity_blocks(p->kv, id)) : 0;
    e->can_swap = ops->swap && ops->swap(&e->admit) && p->sc->kv.tier[KV_G2].enabled;
    e->layerwise = p->sc->kv.load_overlap == SC_LOAD_LAYERWISE;
    e->max_seqs = disagg_max_seqs(p, id);
    e->max_tokens = disagg_max_tokens(p, id);
    char name[32];
    snprintf(name, sizeof name, "engine-%u", id);
    sgb_spawn(name, pod_host(p, (pf_ep_t){PF_INST, id}), engine_main, e, false);
}

/* Frees every request e holds (admitted or queued), recording each as unfinished if asked. One handed to a
 * decode instance (disaggregation) belongs to that instance. */
static void engine_release_all(engine_t *e, bool record)
{
    pod_t *p = e->pod;
    for (uint32_t i = 0; i < e->n_run; i++) {
        if (e->run[i]->inst != e->id)
            continue;
        if (record)
            engine_record(p, e->run[i], RQ_UNFINISHED);
        engine_request_free(e->run[i]);
    }
    e->n_run = 0;
    while (e->wait_head) {
        sim_req_t *r = engine_pop_waiting(e);
        if (record)
            engine_record(p, r, RQ_UNFINISHED);
        engine_request_free(r);
    }
}

void engine_flush_unfinished(engine_t *e)
{
    engine_release_all(e, true);
}

void engine_drop_requests(engine_t *e)
{
    engine_release_all(e, false);
}

void engine_free(engine_t *e)
{
    sched_admitter_fini(&e->admit);
    free(e->admit_params);
    free(e->cand);
    free(e->run);
    free(e->tier_of);
    free(e->chunks);
    free(e->ff_t);
    free(e->ff_e);
    free(e->ff_f);
    free(e->ff_b);
    st_run_free(&e->ff_run);
    if (e->wake)
        sgb_sem_free(e->wake);
    memset(e, 0, sizeof *e);
}
