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
#include "sim/base/alloc.h"
#include "sim/core/dispatch.h"
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

void engine_enqueue(engine_t *e, sim_req_t *r)
{
    r->inst = e->id;
    r->state = RQ_WAITING;
    r->next = NULL;
    if (e->wait_tail)
        e->wait_tail->next = r;
    else
        e->wait_head = r;
    e->wait_tail = r;
    e->n_waiting++;
    e->backlog += (double)r->w.input_tokens + r->w.output_tokens;
    engine_poke(e);
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
    memcpy(rec.hit_tokens, r->hit_tokens_by_tier, sizeof rec.hit_tokens);
    metrics_request_end(p->m, &rec);
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
    e->backlog -= (double)(r->w.input_tokens - r->prefilled) + (r->w.output_tokens - r->decoded);
    engine_record(p, r, outcome);
    wl_source_complete(p->src, &r->w, outcome == RQ_COMPLETED ? r->t_first : now, now);
    kv_pf_req_t v = engine_pf_req(e, r);
    pstage_request_done(p, &v, &r->w, outcome == RQ_COMPLETED);
    sgb_sem_post(p->dispatch_wake);
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

static void engine_load_done(pod_t *p, void *ctx)
{
    sim_req_t *r = ctx;
    assert(r->pending > 0);
    if (--r->pending == 0 && r->state == RQ_LOADING) {
        engine_t *e = &p->eng[r->inst];
        r->state = RQ_PREFILL;
        r->t_ready = sgb_now();
        e->n_loading--;
        metrics_tokens(p->m, r->t_ready, 0, r->reused_tokens);
        engine_poke(e);
    }
}

/* Turns the manager's pending moves into transfer jobs. Loads into this instance and the evictions out of
 * its G1 that make room for r are waited for by r; everything else is background write-back. */
static void engine_issue_moves(engine_t *e, sim_req_t *r)
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
            };
            bool waited = r && ((m->kind == KV_MOVE_LOAD && m->dst_tier == KV_G1 && m->dst_loc == e->id) ||
                                (m->kind == KV_MOVE_DEMOTE && m->src_tier == KV_G1 && m->src_loc == e->id));
            if (waited) {
                job.done = engine_load_done;
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
        .st = p->st,
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

/* Admits waiting requests, in the order the admission policy picks them, while the batch and G1 have room. */
static void engine_admit(engine_t *e)
{
    pod_t *p = e->pod;
    const sc_deploy_t *dep = &p->sc->deploy;
    uint32_t bt = p->block_tokens;
    while (e->wait_head && e->n_run < dep->max_batch_seqs && !e->g1_full) {
        sched_queue_t q = {e->n_waiting, e->n_run, dep->max_batch_seqs, engine_queue_at, e};
        uint32_t pick = e->admit.ops->next(&e->admit, &q);
        if (pick == SCHED_ADMIT_NONE)
            break;
        assert(pick < e->n_waiting && "an admission policy picked past the queue");
        sim_req_t *r = engine_waiting_at(e, pick);
        if (r->n_blocks + 1 > e->tier_cap) {
            e->tier_cap = r->n_blocks * 2 + 1;
            e->tier_of = kvt_realloc(e->tier_of, e->tier_cap, 1);
        }
        uint32_t prefix = kv_lookup_tiers(p->kv, e->id, r->w.block_ids, r->n_blocks, e->tier_of);
        uint32_t use = engine_fetch_decision(e, r, e->tier_of, prefix);
        /* Cost-aware policies value a block by the prefill time it saves (at mid-context). */
        r->recompute_s_per_block = st_prefill_time_s(p->st, bt, r->w.input_tokens / 2.0);
        kv_access_t ctx = engine_access(r);
        sched_req_t view = dispatch_sched_req(r);
        r->reserved_blocks = e->admit.ops->reserve(&e->admit, &view);
        if (kv_admit(p->kv, e->id, r->w.block_ids, r->n_blocks, use, r->reserved_blocks, &ctx) != KV_OK) {
            if (e->n_run > 0) {
                e->g1_full = true; /* room comes back as running requests complete */
                break;
            }
            /* Even an empty G1 cannot hold it: it can never run here. */
            engine_take_waiting(e, pick);
            engine_finish_request(e, r, RQ_REJECTED);
            engine_request_free(r);
            continue;
        }
        engine_take_waiting(e, pick);
        r->t_admit = sgb_now();
        r->found_tokens = (uint32_t)fmin((double)prefix * bt, r->w.input_tokens);
        r->committed = use;
        uint64_t reusable = (uint64_t)use * bt;
        uint32_t max_reuse = r->w.input_tokens ? r->w.input_tokens - 1 : 0;
        r->reused_tokens = reusable < max_reuse ? (uint32_t)reusable : max_reuse;
        r->prefilled = r->reused_tokens;
        e->backlog -= r->reused_tokens;
        engine_issue_moves(e, r);
        metrics_hit_tokens(e->tier_of, use, bt, r->reused_tokens, r->hit_tokens_by_tier);
        if (r->pending > 0) {
            r->state = RQ_LOADING;
            e->n_loading++;
        } else {
            r->state = RQ_PREFILL;
            r->t_ready = r->t_admit;
            metrics_tokens(p->m, r->t_ready, 0, r->reused_tokens);
        }
        engine_run_push(e, r);
    }
    if (p->prefetch.ops->waiting && e->wait_head)
        engine_prefetch_waiting(e);
}

/* ---- iterations --------------------------------------------------------------------------------------- */

static void engine_remove_done(engine_t *e)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < e->n_run; i++) {
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
    return pw_gpu_step_j(&e->pod->sc->hw.gpu, t) * e->pod->pf.inst_gpus;
}

typedef struct engine_chunk {
    sim_req_t *r;
    uint32_t tokens;
} chunk_t;

/* One mixed iteration: the decodes plus prefill chunks. */
static void engine_mixed_step(engine_t *e, uint32_t n_dec, double dec_ctx)
{
    pod_t *p = e->pod;
    const sc_deploy_t *dep = &p->sc->deploy;
    if (e->chunk_cap < e->n_run) {
        e->chunk_cap = e->n_run * 2;
        e->chunks = kvt_realloc(e->chunks, e->chunk_cap, sizeof *e->chunks);
    }
    chunk_t *chunks = e->chunks;
    st_shape_t shape = {.decode_seqs = n_dec, .decode_ctx_tokens = dec_ctx};
    uint32_t budget = dep->max_batch_tokens > n_dec ? dep->max_batch_tokens - n_dec : 0;
    uint32_t nch = 0;
    for (uint32_t i = 0; i < e->n_run && budget > 0; i++) {
        sim_req_t *r = e->run[i];
        if (r->state != RQ_PREFILL)
            continue;
        uint32_t rem = r->w.input_tokens - r->prefilled;
        uint32_t c = rem < dep->prefill_chunk_tokens ? rem : dep->prefill_chunk_tokens;
        if (c > budget)
            c = budget;
        chunks[nch++] = (chunk_t){r, c};
        budget -= c;
        shape.prefill_tokens += c;
        shape.prefill_attn_pairs += (double)c * (r->prefilled + (c + 1) / 2.0);
        shape.prefill_seqs += 1;
    }
    st_time_t t;
    st_step(p->st, &shape, &t);
    double t0 = sgb_now();
    sgb_sleep_for(t.time_s);
    double now = sgb_now();
    metrics_gpu_busy(p->m, e->id, t0, now, engine_step_energy(e, &t));
    metrics_gpu_work(p->m, t0, now, t.flops, t.hbm_bytes);
    /* Decodes first: a request finishing its prefill in this step does not also decode in it. */
    if (n_dec) {
        metrics_tokens(p->m, now, n_dec, 0);
        e->backlog -= n_dec;
        for (uint32_t i = 0; i < e->n_run; i++) {
            sim_req_t *r = e->run[i];
            if (r->state == RQ_DECODE && ++r->decoded >= r->w.output_tokens)
                engine_complete(e, r);
        }
    }
    for (uint32_t c = 0; c < nch; c++) {
        sim_req_t *r = chunks[c].r;
        r->prefilled += chunks[c].tokens;
        e->backlog -= chunks[c].tokens;
        metrics_tokens(p->m, now, 0, chunks[c].tokens);
        engine_commit_progress(e, r);
        if (r->prefilled >= r->w.input_tokens) {
            /* The prompt's last step yields the first output token. */
            r->t_first = now;
            r->decoded = r->w.output_tokens > 0 ? 1 : 0;
            e->backlog -= r->decoded;
            r->state = RQ_DECODE;
            metrics_tokens(p->m, now, r->decoded, 0);
            if (r->decoded >= r->w.output_tokens)
                engine_complete(e, r);
        }
    }
    engine_remove_done(e);
}

/* Fills ff_t/ff_e/ff_f/ff_b for steps (from, to]: the context of every decoding request grows by one per step. */
static void engine_ff_steps(engine_t *e, uint32_t from, uint32_t to, uint32_t n_dec, double dec_ctx)
{
    st_shape_t shape = {.decode_seqs = n_dec};
    for (uint32_t j = from + 1; j <= to; j++) {
        shape.decode_ctx_tokens = dec_ctx + (double)(j - 1) * n_dec;
        st_time_t t;
        st_step(e->pod->st, &shape, &t);
        e->ff_t[j] = e->ff_t[j - 1] + t.time_s;
        e->ff_e[j] = e->ff_e[j - 1] + engine_step_energy(e, &t);
        e->ff_f[j] = e->ff_f[j - 1] + t.flops;
        e->ff_b[j] = e->ff_b[j - 1] + t.hbm_bytes;
    }
}

/* A decode-only batch: runs up to the first completion, stopping early at the step boundary after a
 * wake-up. Steps are computed and waited for in growing chunks, so an early wake-up wastes little. */
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
    if (n + 1 > e->ff_cap) {
        e->ff_cap = (n + 1) * 2;
        e->ff_t = kvt_realloc(e->ff_t, e->ff_cap, sizeof *e->ff_t);
        e->ff_e = kvt_realloc(e->ff_e, e->ff_cap, sizeof *e->ff_e);
        e->ff_f = kvt_realloc(e->ff_f, e->ff_cap, sizeof *e->ff_f);
        e->ff_b = kvt_realloc(e->ff_b, e->ff_cap, sizeof *e->ff_b);
    }
    e->ff_t[0] = e->ff_e[0] = e->ff_f[0] = e->ff_b[0] = 0;
    double start = sgb_now();
    e->ff_start = start;
    e->ff_seqs = n_dec;
    uint32_t done = 0, k = n, chunk = 32;
    while (done < n) {
        uint32_t upto = n - done > chunk ? done + chunk : n;
        engine_ff_steps(e, done, upto, n_dec, dec_ctx);
        done = upto;
        e->ff_steps = done;
        chunk = chunk < 1024 ? chunk * 2 : chunk;
        if (!sgb_sem_wait_for(e->wake, start + e->ff_t[done] - sgb_now()))
            continue;
        /* Woken: the step in progress finishes before the batch can change. */
        double elapsed = sgb_now() - start;
        k = 1;
        while (k < done && e->ff_t[k] < elapsed)
            k++;
        sgb_sleep_until(start + e->ff_t[k]);
        break;
    }
    e->ff_steps = 0;
    metrics_decode_steps(p->m, e->id, start, e->ff_t, e->ff_e, k, n_dec);
    metrics_gpu_work(p->m, start, start + e->ff_t[k], e->ff_f[k], e->ff_b[k]);
    e->backlog -= (double)k * n_dec;
    for (uint32_t i = 0; i < e->n_run; i++) {
        sim_req_t *r = e->run[i];
        if (r->state != RQ_DECODE)
            continue;
        r->decoded += k;
        if (r->decoded >= r->w.output_tokens)
            engine_complete(e, r);
    }
    engine_remove_done(e);
}

static void engine_main(void *arg)
{
    engine_t *e = arg;
    pod_t *p = e->pod;
    for (;;) {
        sgb_sem_drain(e->wake);
        if (p->fail_code)
            return;
        engine_admit(e);
        uint32_t n_dec = 0, n_pre = 0;
        double dec_ctx = 0;
        for (uint32_t i = 0; i < e->n_run; i++) {
            const sim_req_t *r = e->run[i];
            if (r->state == RQ_DECODE) {
                n_dec++;
                dec_ctx += (double)r->w.input_tokens + r->decoded;
            } else if (r->state == RQ_PREFILL) {
                n_pre++;
            }
        }
        if (n_dec == 0 && n_pre == 0) {
            if (p->arrivals_over && e->n_run == 0 && e->n_waiting == 0)
                return;
            double t0 = sgb_now();
            bool stalled = e->n_loading > 0;
            sgb_sem_wait(e->wake);
            metrics_gpu_wait(p->m, e->id, t0, sgb_now(), stalled);
            continue;
        }
        if ((n_pre > 0 && n_dec < p->sc->deploy.max_batch_tokens) || !p->sc->sim.fast_forward)
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
    char msg[256];
    /* No admission policy takes parameters yet, so init can only fail for memory. */
    int rc = sched_admitter_init(&e->admit, sched_admit_at(0), NULL, id, msg, sizeof msg);
    assert(rc == 0 && "admission policy init failed");
    (void)rc;
    char name[32];
    snprintf(name, sizeof name, "engine-%u", id);
    sgb_spawn(name, pod_host(p, (pf_ep_t){PF_INST, id}), engine_main, e, false);
}

void engine_flush_unfinished(engine_t *e)
{
    pod_t *p = e->pod;
    for (uint32_t i = 0; i < e->n_run; i++) {
        engine_record(p, e->run[i], RQ_UNFINISHED);
        engine_request_free(e->run[i]);
    }
    e->n_run = 0;
    while (e->wait_head) {
        sim_req_t *r = engine_pop_waiting(e);
        engine_record(p, r, RQ_UNFINISHED);
        engine_request_free(r);
    }
}

void engine_free(engine_t *e)
{
    sched_admitter_fini(&e->admit);
    free(e->run);
    free(e->tier_of);
    free(e->chunks);
    free(e->ff_t);
    free(e->ff_e);
    free(e->ff_f);
    free(e->ff_b);
    if (e->wake)
        sgb_sem_free(e->wake);
    memset(e, 0, sizeof *e);
}
