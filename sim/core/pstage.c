/* Prestage timers and session lifecycle; see pstage.h. The queue is a binary heap ordered by (time,
 * sequence number), so timers due at the same time fire in the order they were set. Times in seconds. */
#include "sim/core/pstage.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/base/alloc.h"
#include "sim/core/engine.h"

typedef struct pst_ev {
    double t_s;
    uint64_t seq, key;
} pst_ev_t;

struct pstage {
    pst_ev_t *heap;
    size_t n, cap;
    uint64_t seq;
    sgb_sem_t *wake;
};

static bool ev_less(const pst_ev_t *a, const pst_ev_t *b)
{
    return a->t_s < b->t_s || (a->t_s == b->t_s && a->seq < b->seq);
}

static void heap_push(pstage_t *q, pst_ev_t e)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 64;
        q->heap = kvt_realloc(q->heap, q->cap, sizeof *q->heap);
    }
    size_t i = q->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!ev_less(&e, &q->heap[up]))
            break;
        q->heap[i] = q->heap[up];
        i = up;
    }
    q->heap[i] = e;
}

static pst_ev_t heap_pop(pstage_t *q)
{
    assert(q->n > 0);
    pst_ev_t top = q->heap[0], last = q->heap[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && ev_less(&q->heap[c + 1], &q->heap[c]))
            c++;
        if (!ev_less(&q->heap[c], &last))
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    if (q->n > 0)
        q->heap[i] = last;
    return top;
}

static void pst_timer(void *core, double at_s, uint64_t key)
{
    pod_t *p = core;
    assert(p->pstage && "a prefetch policy without a timer hook set a timer");
    double now = sgb_now();
    heap_push(p->pstage, (pst_ev_t){at_s > now ? at_s : now, p->pstage->seq++, key});
    sgb_sem_post(p->pstage->wake);
}

static double pst_xfer_s(void *core, uint32_t inst, uint64_t blocks, int src_tier, int dst_tier)
{
    pod_t *p = core;
    if (!p->sc->kv.tier[src_tier].enabled || !p->sc->kv.tier[dst_tier].enabled)
        return NAN;
    pf_route_t route;
    pf_ep_t src = pod_tier_endpoint(p, src_tier, pod_tier_loc(p, src_tier, inst), 0);
    pf_ep_t dst = pod_tier_endpoint(p, dst_tier, pod_tier_loc(p, dst_tier, inst), 0);
    pf_route(&p->pf, src, dst, &route);
    double bw = pf_route_share_byte_s(&p->pf, &route);
    return route.latency_s + (bw > 0 ? (double)blocks * p->block_bytes / bw : (double)INFINITY);
}

static uint32_t pst_hold(void *core, uint32_t inst, const uint64_t *ids, uint32_t n, int tier, bool on)
{
    pod_t *p = core;
    return kv_hold(p->kv, inst, ids, n, tier, on, sgb_now());
}

static bool pst_tier_stats(void *core, int tier, uint32_t inst, kv_tier_stats_t *out)
{
    pod_t *p = core;
    return kv_tier_loc_stats(p->kv, tier, pod_tier_loc(p, tier, inst), out);
}

void pstage_ctx_fill(pod_t *p, kv_pf_ctx_t *c)
{
    c->tier_stats = pst_tier_stats;
    c->timer = pst_timer;
    c->xfer_s = pst_xfer_s;
    c->hold = pst_hold;
    c->block_bytes = (uint64_t)ceil(p->block_bytes);
}

void pstage_init(pod_t *p)
{
    if (!p->prefetch.ops->timer)
        return;
    p->pstage = kvt_malloc(sizeof *p->pstage);
    *p->pstage = (pstage_t){0};
}

static void pstage_main(void *arg)
{
    pod_t *p = arg;
    pstage_t *q = p->pstage;
    for (;;) {
        if (p->fail_code)
            return;
        if (q->n == 0)
            sgb_sem_wait(q->wake);
        else if (q->heap[0].t_s > sgb_now())
            sgb_sem_wait_for(q->wake, q->heap[0].t_s - sgb_now());
        sgb_sem_drain(q->wake);
        /* Due timers fire in order; one a hook sets for now fires in this same pass. */
        while (q->n > 0 && q->heap[0].t_s <= sgb_now() + 1e-9) {
            pst_ev_t e = heap_pop(q);
            kv_pf_ctx_t c = engine_pf_ctx(p);
            p->prefetch.ops->timer(&p->prefetch, &c, e.key);
        }
    }
}

void pstage_start(pod_t *p, sgb_host_t *host)
{
    if (!p->pstage)
        return;
    p->pstage->wake = sgb_sem_new(0);
    /* A daemon: pending timers do not keep the simulation alive once every request is done. */
    sgb_spawn("prestager", host, pstage_main, p, true);
}

void pstage_free(pod_t *p)
{
    if (!p->pstage)
        return;
    if (p->pstage->wake)
        sgb_sem_free(p->pstage->wake);
    free(p->pstage->heap);
    free(p->pstage);
    p->pstage = NULL;
}

void pstage_request_done(pod_t *p, kv_pf_req_t *v, const wl_request_t *w, bool completed)
{
    const kv_prefetch_ops_t *ops = p->prefetch.ops;
    bool ends = w->session_id != WL_NO_SESSION && w->turns_left == 0 && w->fork == 0;
    if (!ops->turn_done && !ops->session_end && !ends)
        return;
    kv_pf_ctx_t c = engine_pf_ctx(p);
    if (ops->turn_done) {
        v->completed = completed;
        if (ops->needs_future) {
            uint64_t sess;
            uint32_t turn;
            double t;
            if (isfinite(w->next_arrival_s)) {
                v->next_arrival_s = w->next_arrival_s;
                v->next_session = w->session_id;
            } else if (wl_source_scheduled(p->src, &sess, &turn, &t)) {
                v->next_arrival_s = t;
                v->next_session = sess;
            }
        }
        ops->turn_done(&p->prefetch, &c, v);
    }
    if (ends) {
        /* The session will not come back: selective write-back and session-aware policies act on it. */
        kv_session_end(p->kv, w->session_id);
        if (ops->session_end)
            ops->session_end(&p->prefetch, &c, w->session_id);
    }
}
