/* Dispatcher, router and sampler; see dispatch.h. */
#include "sim/core/dispatch.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/core/disagg.h"
#include "sim/core/engine.h"
#include "sim/core/faults.h"
#include "sim/core/future.h"
#include "sim/out/metrics.h"

void dispatch_prepare(const pod_t *p, sim_req_t *r)
{
    uint32_t bt = p->block_tokens;
    uint64_t covering = ((uint64_t)r->w.input_tokens + bt - 1) / bt;
    r->n_blocks = r->w.n_blocks < covering ? r->w.n_blocks : (uint32_t)covering;
    /* Tokens without block ids (the output, input beyond the ids) still need G1 room while it runs. */
    uint64_t all = ((uint64_t)r->w.input_tokens + r->w.output_tokens + bt - 1) / bt;
    r->extra_blocks = all > r->n_blocks ? (uint32_t)(all - r->n_blocks) : 0;
    r->input_blocks = (uint32_t)covering;
    r->next_use = p->future ? future_next_use(p->future, &r->w, r->n_blocks) : NULL;
}

sched_req_t dispatch_sched_req(const sim_req_t *r)
{
    sched_req_t q = {
        .id = r->w.id,
        .session_id = r->w.session_id,
        .arrival_s = r->w.arrival_s,
        .input_tokens = r->w.input_tokens,
        .output_tokens = r->w.output_tokens,
        .block_ids = r->w.block_ids,
        .n_blocks = r->n_blocks,
        .extra_blocks = r->extra_blocks,
        .input_blocks = r->input_blocks,
    };
    return q;
}

static double dispatch_load(const void *core, uint32_t inst)
{
    const pod_t *p = core;
    return engine_load(&p->eng[inst]);
}

/* The routing policy's choice (sim/sched/route.h), over a read-only view of the engines (with
 * disaggregation: of the prefill pool, instances [0, P)); then, with conditional disaggregation, perhaps a
 * decode instance that prefills it locally. */
static uint32_t route(pod_t *p, sim_req_t *r)
{
    sched_view_t v = {.n_inst = disagg_route_count(p),
                      .now_s = sgb_now(),
                      .load = dispatch_load,
                      .kv = p->kv,
                      .core = p,
                      .block_tokens = p->block_tokens};
    sched_req_t q = dispatch_sched_req(r);
    uint32_t inst = p->router.ops->route(&p->router, &v, &q);
    assert(inst < v.n_inst && "a router chose no instance");
    inst = faults_instance(p, inst); /* around a failed node (faults.h) */
    return disagg_dispatch(p, r, inst);
}

static void end_arrivals(pod_t *p)
{
    p->arrivals_over = true;
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        engine_poke(&p->eng[i]);
}

/* A context beyond the model's window (workload.context_overflow): counted, and cut to fit, rejected or
 * fatal as asked. Returns 0 to run the request, 1 to reject it, -1 to stop the run (msg filled). */
static int dispatch_window(pod_t *p, sim_req_t *r, char *msg, size_t msglen)
{
    uint64_t window = p->sc->model.max_context_tokens;
    uint64_t ctx = (uint64_t)r->w.input_tokens + r->w.output_tokens;
    if (window == 0 || ctx <= window)
        return 0;
    p->ctx_over++;
    if (ctx > p->ctx_longest)
        p->ctx_longest = ctx;
    switch (p->sc->workload.context_overflow) {
    case WL_OVERFLOW_TRUNCATE: {
        /* Keep the leading input tokens (the prefix a cache can reuse) and the output, within the window. */
        uint32_t out = r->w.output_tokens < window ? r->w.output_tokens : (uint32_t)(window - 1);
        r->w.output_tokens = out;
        r->w.input_tokens = (uint32_t)(window - out);
        uint32_t bt = r->w.block_tokens ? r->w.block_tokens : p->block_tokens;
        uint64_t ids = ((uint64_t)r->w.input_tokens + bt - 1) / bt;
        if (r->w.n_blocks > ids)
            r->w.n_blocks = (uint32_t)ids;
        dispatch_prepare(p, r);
        return 0;
    }
    case WL_OVERFLOW_REJECT:
        return 1;
    case WL_OVERFLOW_ERROR: {
        char what[512];
        snprintf(what, sizeof what,
                 "request %llu has a context of %llu tokens (input + output), beyond the model's %llu-token window; "
                 "expected workload.context_overflow warn, truncate or reject to run such requests",
                 (unsigned long long)r->w.id, (unsigned long long)ctx, (unsigned long long)window);
        cfg_doc_error(&p->sc->doc, "workload.context_overflow", what, msg, msglen);
        return -1;
    }
    default:
        return 0;
    }
}

/* Arrivals this close to now are due: SimGrid's clock is only accurate to about a nanosecond. */
#define DISPATCH_DUE_S 1e-9

static void dispatch_main(void *arg)
{
    pod_t *p = arg;
    const sc_sim_t *sim = &p->sc->sim;
    sim_req_t *pending = p->first;
    p->first = NULL;
    char err[1024];
    for (;;) {
        sgb_sem_drain(p->dispatch_wake);
        double now = sgb_now();
        for (;;) {
            if (!pending) {
                if (wl_source_peek_time(p->src) > now + DISPATCH_DUE_S)
                    break;
                pending = calloc(1, sizeof *pending);
                int rc = wl_source_next(p->src, &pending->w, err, sizeof err);
                if (rc <= 0) {
                    wl_request_free(&pending->w);
                    free(pending);
                    pending = NULL;
                    if (rc < 0) {
                        pod_fail(p, KVT_EXIT_INPUT, err);
                        end_arrivals(p);
                        return;
                    }
                    break;
                }
                dispatch_prepare(p, pending);
            }
            if (sim->duration_s > 0 && pending->w.arrival_s > sim->duration_s)
                break;
            if (pending->w.arrival_s > now + DISPATCH_DUE_S)
                break;
            int w = dispatch_window(p, pending, err, sizeof err);
            if (w < 0) {
                wl_request_free(&pending->w);
                free(pending);
                pod_fail(p, KVT_EXIT_INPUT, err);
                end_arrivals(p);
                return;
            }
            metrics_arrival(p->m, now);
            if (w == 1) {
                /* Rejected at the door, as an engine rejects what can never fit: the session goes on. */
                pending->t_admit = pending->t_ready = pending->t_first = pending->t_done = now;
                pending->state = RQ_DONE;
                engine_record(p, pending, RQ_REJECTED);
                wl_source_complete(p->src, &pending->w, now, now);
                wl_request_free(&pending->w);
                free(pending);
                pending = NULL;
                continue;
            }
            engine_enqueue(&p->eng[route(p, pending)], pending);
            pending = NULL;
        }
        bool past_end = pending && sim->duration_s > 0 && pending->w.arrival_s > sim->duration_s;
        if (past_end || (!pending && wl_source_finished(p->src))) {
            if (pending) {
                wl_request_free(&pending->w);
                free(pending);
            }
            end_arrivals(p);
            return;
        }
        double next = pending ? pending->w.arrival_s : wl_source_peek_time(p->src);
        p->dispatch_on_source = !pending;
        p->dispatch_until_s = next;
        if (isinf(next))
            sgb_sem_wait(p->dispatch_wake); /* closed loop: a completion will schedule the next turn */
        else
            sgb_sem_wait_for(p->dispatch_wake, next - sgb_now());
        p->dispatch_on_source = false;
    }
}

void dispatch_note_completion(pod_t *p)
{
    /* Holding a request, the dispatcher delivers it first whatever the source schedules meanwhile. */
    if (!p->dispatch_on_source)
        return;
    if (wl_source_finished(p->src) || wl_source_peek_time(p->src) < p->dispatch_until_s)
        sgb_sem_post(p->dispatch_wake);
}

void dispatch_start(pod_t *p, sgb_host_t *host)
{
    sgb_spawn("dispatcher", host, dispatch_main, p, false);
}

typedef struct sampler {
    pod_t *pod;
    progress_t *progress;
} sampler_t;

static void sampler_main(void *arg)
{
    sampler_t *s = arg;
    pod_t *p = s->pod;
    double dt = p->sc->sim.sample_interval_s;
    double horizon = p->sc->sim.duration_s > 0 ? p->sc->sim.duration_s : p->sc->sim.max_sim_s;
    for (uint64_t k = 1;; k++) {
        sgb_sleep_until((double)k * dt);
        double running = 0, waiting = 0, loading = 0;
        for (uint32_t i = 0; i < p->pf.n_inst; i++) {
            running += p->eng[i].n_run - p->eng[i].n_loading;
            waiting += p->eng[i].n_waiting;
            loading += p->eng[i].n_loading;
        }
        double used[KV_NTIERS];
        for (int t = 0; t < KV_NTIERS; t++) {
            kv_tier_stats_t ts;
            kv_tier_stats(p->kv, t, &ts);
            used[t] = (double)ts.used_blocks;
        }
        double now = sgb_now();
        metrics_sample(p->m, now, running, waiting, loading, used);
        metrics_pool(p->m, now, p->dg ? p->pf.n_prefill : 0);
        char line[160];
        snprintf(line, sizeof line, "%s: t=%.0f s, %llu requests done, %.0f running, %.0f waiting", p->sc->name, now,
                 (unsigned long long)metrics_completed(p->m), running, waiting);
        progress_update(s->progress, horizon > 0 ? now / horizon : -1, line);
    }
}

void dispatch_start_sampler(pod_t *p, sgb_host_t *host, progress_t *progress)
{
    static sampler_t s;
    s.pod = p;
    s.progress = progress;
    sgb_spawn("sampler", host, sampler_main, &s, true);
}
