/* Transfer workers; see xfer.h. A worker sleeps the route's fixed latency, then moves the bytes with a
 * receiver-less SimGrid transfer shared max-min with every other flow on the same links. */
#include "sim/core/xfer.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/conserve.h"
#include "sim/core/fabric.h"
#include "sim/core/faults.h"
#include "sim/core/storage_path.h"
#include "sim/out/metrics.h"

/* Completion shared by the parts of one striped hop. */
typedef struct xfer_fan {
    uint32_t left;
    bool failed; /* a part failed: the hop did */
    xfer_done_fn done, fail;
    void *ctx;
} xfer_fan_t;

static void xfer_fan_done(pod_t *p, void *ctx)
{
    xfer_fan_t *f = ctx;
    if (--f->left > 0)
        return;
    if (f->failed && f->fail)
        f->fail(p, f->ctx);
    else if (f->done)
        f->done(p, f->ctx);
    free(f);
}

static void xfer_fan_fail(pod_t *p, void *ctx)
{
    ((xfer_fan_t *)ctx)->failed = true;
    xfer_fan_done(p, ctx);
}

/* A job whose path failed: its bytes are booked as failed, its owner hears of it. */
static void xfer_fail_job(pod_t *p, xfer_job_t *job, const pf_route_t *r, bool in_flight)
{
    conserve_fail(p, job, r);
    faults_note_failed(p, job->bytes, in_flight);
    if (job->wrec)
        faults_write_failed(p, job->wrec); /* its blocks were written nowhere: out of the destination's index */
    free(job->wrec);
    if (job->fail)
        job->fail(p, job->ctx);
    else if (job->done)
        job->done(p, job->ctx);
    free(job);
}

static uint32_t xfer_stripe_width(const pod_t *p)
{
    return p->pf.n_icms > 1 ? p->pf.hw->icms.stripe_enclosures : 0;
}

/* The blocks of write record w that part e of a striped hop carries: block k of the hop lies where block
 * first_block + k does under the stripe map, as sp_stripe_split counts them; ids beyond the hop's count
 * (a record shared by moves to the same destination, faults.c) go with the first part. */
static xfer_wrec_t *xfer_wrec_part(const xfer_wrec_t *w, const xfer_job_t *job, uint32_t n, uint32_t width, uint32_t e,
                                   bool first)
{
    xfer_wrec_t *q = malloc(sizeof *q + (w->n ? w->n : 1) * sizeof q->ids[0]);
    *q = (xfer_wrec_t){.tier = w->tier, .loc = w->loc, .moves = w->moves, .cap = w->n};
    for (uint32_t k = 0; k < w->n; k++)
        if (k < job->blocks ? sp_stripe_enclosure(job->first_block + k, n, width) == e : first)
            q->ids[q->n++] = w->ids[k];
    return q;
}

/* A hop to or from the ICMS whose blocks span several enclosures becomes one part per enclosure: this
 * worker keeps the first (job is rewritten into it), the others queue for the part workers. */
static void xfer_split(xfer_pool_t *pool, xfer_job_t *job)
{
    pod_t *p = pool->pod;
    bool src_icms = job->src.kind == PF_ICMS, dst_icms = job->dst.kind == PF_ICMS;
    uint32_t width = xfer_stripe_width(p);
    if (width <= 1 || job->blocks == 0 || job->fan || (!src_icms && !dst_icms))
        return;
    uint32_t n = p->pf.n_icms;
    if (sp_stripe_split(job->first_block, job->blocks, n, width, pool->stripe_blocks) <= 1) {
        for (uint32_t e = 0; e < n; e++)
            if (pool->stripe_blocks[e]) {
                if (src_icms)
                    job->src.idx = e; /* a read from a failed enclosure fails (faults.h) */
                else
                    job->dst.idx = faults_enclosure(p, e);
            }
        return;
    }
    xfer_fan_t *fan = malloc(sizeof *fan);
    fan->left = 0;
    fan->failed = false;
    fan->fail = job->fail;
    fan->done = job->done;
    fan->ctx = job->ctx;
    double per_block = job->bytes / (double)job->blocks;
    bool first = true;
    uint32_t queued = 0;
    xfer_job_t head = *job;
    for (uint32_t e = 0; e < n; e++) {
        if (!pool->stripe_blocks[e])
            continue;
        xfer_job_t part = head;
        part.bytes = per_block * (double)pool->stripe_blocks[e];
        part.blocks = pool->stripe_blocks[e];
        if (src_icms)
            part.src.idx = e;
        else
            part.dst.idx = faults_enclosure(p, e);
        part.done = xfer_fan_done;
        part.fail = xfer_fan_fail;
        part.ctx = fan;
        part.fan = fan;
        part.next = NULL;
        part.wrec = head.wrec ? xfer_wrec_part(head.wrec, &head, n, width, e, first) : NULL;
        fan->left++;
        if (first) {
            *job = part;
            first = false;
            continue;
        }
        xfer_job_t *q = malloc(sizeof *q);
        *q = part;
        if (pool->part_tail)
            pool->part_tail->next = q;
        else
            pool->part_head = q;
        pool->part_tail = q;
        queued++;
    }
    free(head.wrec);
    /* Posting may run another actor at once, one that splits a hop of its own in pool->stripe_blocks: the
     * parts are all built before the first post. */
    for (uint32_t k = 0; k < queued; k++)
        sgb_sem_post(pool->parts);
}

/* ---- coalescing --------------------------------------------------------------------------------------- */

void xfer_pool_coalesce(xfer_pool_t *pool, double interval_s)
{
    pool->coalesce_s = interval_s > 0 ? interval_s : 0;
}

static bool xfer_coalescible(const xfer_pool_t *pool, const xfer_job_t *job)
{
    if (pool->coalesce_s <= 0 || job->done || job->fan)
        return false;
    bool icms = job->src.kind == PF_ICMS || job->dst.kind == PF_ICMS;
    return !(icms && xfer_stripe_width(pool->pod) > 1);
}

static bool xfer_same_hop(const xfer_job_t *a, const xfer_job_t *b)
{
    return a->src.kind == b->src.kind && a->src.idx == b->src.idx && a->dst.kind == b->dst.kind &&
           a->dst.idx == b->dst.idx && a->kind == b->kind && a->src_tier == b->src_tier && a->dst_tier == b->dst_tier;
}

/* The open job of this flush interval for the job's link pair and hop, or NULL. */
static xfer_job_t *xfer_open_find(const xfer_pool_t *pool, const xfer_job_t *job, double flush_s)
{
    for (uint32_t i = 0; i < pool->n_open; i++) {
        xfer_job_t *o = pool->open[i];
        if (o->flush_s == flush_s && xfer_same_hop(o, job))
            return o;
    }
    return NULL;
}

static void xfer_open_add(xfer_pool_t *pool, xfer_job_t *j)
{
    if (pool->n_open == pool->cap_open) {
        pool->cap_open = pool->cap_open ? pool->cap_open * 2 : 16;
        pool->open = realloc(pool->open, pool->cap_open * sizeof *pool->open);
    }
    j->open = true;
    pool->open[pool->n_open++] = j;
}

/* Ends a job's coalescing; it may have left the open list already (xfer_join prunes past intervals). */
static void xfer_open_close(xfer_pool_t *pool, xfer_job_t *j)
{
    j->open = false;
    for (uint32_t i = 0; i < pool->n_open; i++)
        if (pool->open[i] == j) {
            pool->open[i] = pool->open[--pool->n_open];
            return;
        }
}

/* A coalescing job starts at the end of its flush interval, its route's latency after that; jobs of later
 * intervals never join it, and once this wait is over none can. */
static void xfer_flush_wait(xfer_pool_t *pool, xfer_job_t *job, double latency_s)
{
    double hold = job->flush_s - sgb_now();
    sgb_sleep_for((hold > 0 ? hold : 0) + latency_s);
    xfer_open_close(pool, job);
}

/* The joining move's blocks go with the open job's (same destination): one record, w freed. */
static void xfer_wrec_join(xfer_job_t *o, xfer_wrec_t *w)
{
    if (!w)
        return;
    if (!o->wrec) {
        o->wrec = w;
        return;
    }
    xfer_wrec_t *r = o->wrec;
    if (r->n + w->n > r->cap) {
        r->cap = r->n + w->n > 2 * r->cap ? r->n + w->n : 2 * r->cap;
        r = realloc(r, sizeof *r + r->cap * sizeof r->ids[0]);
        o->wrec = r;
    }
    memcpy(r->ids + r->n, w->ids, w->n * sizeof w->ids[0]);
    r->n += w->n;
    r->moves += w->moves;
    free(w);
}

/* Joins a background job into the open job of its link pair and interval; false if there is none (the job
 * then opens one). */
static bool xfer_join(xfer_pool_t *pool, const xfer_job_t *job, double *flush_s)
{
    double now = sgb_now();
    *flush_s = (floor(now / pool->coalesce_s) + 1) * pool->coalesce_s;
    if (*flush_s <= now)
        *flush_s = now + pool->coalesce_s;
    /* Jobs of past intervals (their workers busy elsewhere) take no more joins: out of the list. */
    for (uint32_t i = 0; i < pool->n_open;)
        if (pool->open[i]->flush_s <= now)
            pool->open[i] = pool->open[--pool->n_open];
        else
            i++;
    xfer_job_t *o = xfer_open_find(pool, job, *flush_s);
    if (!o)
        return false;
    o->bytes += job->bytes;
    o->blocks += job->blocks;
    xfer_wrec_join(o, job->wrec);
    o->joined++;
    pool->joined++;
    conserve_submit(pool->pod, job);
    return true;
}

/* ---- workers ------------------------------------------------------------------------------------------ */

static void xfer_worker(void *arg)
{
    xfer_worker_t *self = arg;
    xfer_pool_t *pool = self->pool;
    pod_t *p = pool->pod;
    bool part_worker = self - pool->workers >= (ptrdiff_t)pool->n_main;
    self->actor = sgb_self();
    for (;;) {
        xfer_job_t *job;
        if (part_worker) {
            sgb_sem_wait(pool->parts);
            job = pool->part_head;
            pool->part_head = job->next;
            if (!pool->part_head)
                pool->part_tail = NULL;
        } else {
            sgb_sem_wait(pool->jobs);
            job = pool->head;
            pool->head = job->next;
            if (!pool->head)
                pool->tail = NULL;
            pool->queued--;
            xfer_split(pool, job);
        }
        /* A write whose home failed since it was queued goes to the stand-in (faults.h). */
        faults_redirect(p, job);
        self->current = job;
        pf_route_t *r = &self->route;
        sgb_host_t *from = pod_host(p, job->src), *to = pod_host(p, job->dst);
        pf_ep_t alias;
        uint32_t spine;
        if (fab_route_flow(&p->pf, job->src, job->dst, r, &alias, &spine)) {
            /* Per-flow paths (fabric.h): the storage end's alias host for the chosen spine, and with traffic
             * classes the one of that spine whose routes also carry the class link. */
            char name[48];
            pf_ep_t st;
            uint32_t c = fab_class(&p->pf, job->kind, job->src, job->dst, &st);
            if (c != UINT32_MAX) {
                fab_class_hop(&p->pf, st, c, st.kind == job->src.kind, r);
                pf_flow_class_alias_name(alias, spine, c, name, sizeof name);
            } else
                pf_alias_name(alias, spine, name, sizeof name);
            if (alias.kind == job->src.kind)
                from = sgb_host(name);
            else
                to = sgb_host(name);
        } else {
            pf_route(&p->pf, job->src, job->dst, r);
            pf_ep_t st;
            uint32_t c = fab_class(&p->pf, job->kind, job->src, job->dst, &st);
            if (c != UINT32_MAX) {
                /* Traffic classes (fabric.h): the storage end's alias host whose routes carry the class link. */
                bool st_src = st.kind == job->src.kind;
                fab_class_hop(&p->pf, st, c, st_src, r);
                char name[40];
                pf_class_alias_name(st, c, name, sizeof name);
                if (st_src)
                    from = sgb_host(name);
                else
                    to = sgb_host(name);
            }
        }
        if (faults_path_down(p, job, r)) {
            /* Queued before a fault on its path (a failed end, link, leaf or node): it fails at once. */
            self->current = NULL;
            xfer_fail_job(p, job, NULL, false);
            continue;
        }
        if (job->open) {
            /* Coalescing: one wait for the flush interval's end and the route's latency, after which nothing
             * joins the job; its bytes then enter the links. */
            xfer_flush_wait(pool, job, r->latency_s);
            pf_route_begin(&p->pf, r);
            fab_flow_changed(&p->pf, r);
            conserve_begin(p, job, r);
            self->routed = true;
        } else {
            pf_route_begin(&p->pf, r);
            fab_flow_changed(&p->pf, r);
            conserve_begin(p, job, r);
            self->routed = true;
            sgb_sleep_for(r->latency_s);
        }
        pool->flows++;
        sgb_transfer(from, to, job->bytes);
        pf_route_end(&p->pf, r);
        fab_flow_changed(&p->pf, r);
        conserve_end(p, job, r);
        metrics_transfer_done(p->m, job->kind, job->src_tier, job->dst_tier, job->bytes, r->j_per_byte, sgb_now());
        self->current = NULL;
        self->routed = false;
        if (job->done)
            job->done(p, job->ctx);
        free(job->wrec);
        free(job);
    }
}

void xfer_fail_worker(xfer_pool_t *pool, uint32_t w)
{
    pod_t *p = pool->pod;
    xfer_worker_t *wk = &pool->workers[w];
    xfer_job_t *job = wk->current;
    if (!job)
        return;
    if (job->open)
        xfer_open_close(pool, job); /* killed in its flush wait: nothing may join it any more */
    sgb_kill(wk->actor);
    wk->actor = NULL;
    wk->current = NULL;
    const pf_route_t *r = NULL;
    if (wk->routed) {
        pf_route_end(&p->pf, &wk->route);
        fab_flow_changed(&p->pf, &wk->route);
        r = &wk->route;
    }
    wk->routed = false;
    xfer_fail_job(p, job, r, true);
    sgb_spawn(w < pool->n_main ? pool->name : "part", pool->host, xfer_worker, wk, true);
}

void xfer_pool_start(xfer_pool_t *pool, pod_t *p, uint32_t workers, sgb_host_t *host, const char *name)
{
    pool->pod = p;
    pool->host = host;
    pool->name = name;
    pool->head = pool->tail = NULL;
    pool->queued = 0;
    pool->jobs = sgb_sem_new(0);
    pool->part_head = pool->part_tail = NULL;
    pool->parts = NULL;
    pool->stripe_blocks = NULL;
    pool->coalesce_s = 0;
    pool->open = NULL;
    pool->n_open = pool->cap_open = 0;
    pool->joined = 0;
    pool->flows = 0;
    /* A striped ICMS gives every job worker width - 1 part workers, so one hop's parts move in parallel. */
    uint32_t width = xfer_stripe_width(p);
    uint32_t per = width > 1 ? (width < p->pf.n_icms ? width : p->pf.n_icms) : 1;
    if (per > 1) {
        pool->parts = sgb_sem_new(0);
        pool->stripe_blocks = calloc(p->pf.n_icms, sizeof *pool->stripe_blocks);
    }
    pool->n_main = workers;
    pool->n_workers = workers * per;
    pool->workers = calloc(pool->n_workers, sizeof *pool->workers);
    for (uint32_t w = 0; w < pool->n_workers; w++) {
        pool->workers[w].pool = pool;
        sgb_spawn(w < workers ? name : "part", host, xfer_worker, &pool->workers[w], true);
    }
}

/* Frees a job that will not run; the last part of a striped hop takes the shared completion with it. */
static void xfer_drop(xfer_job_t *j)
{
    if (j->fan && --j->fan->left == 0)
        free(j->fan);
    free(j->wrec);
    free(j);
}

void xfer_pool_free(xfer_pool_t *pool)
{
    while (pool->head) {
        xfer_job_t *j = pool->head;
        pool->head = j->next;
        xfer_drop(j);
    }
    while (pool->part_head) {
        xfer_job_t *j = pool->part_head;
        pool->part_head = j->next;
        xfer_drop(j);
    }
    for (uint32_t w = 0; w < pool->n_workers; w++)
        if (pool->workers[w].current)
            xfer_drop(pool->workers[w].current);
    free(pool->workers);
    pool->workers = NULL;
    pool->n_workers = pool->n_main = 0;
    if (pool->jobs)
        sgb_sem_free(pool->jobs);
    pool->jobs = NULL;
    if (pool->parts)
        sgb_sem_free(pool->parts);
    pool->parts = NULL;
    free(pool->stripe_blocks);
    pool->stripe_blocks = NULL;
    free(pool->open);
    pool->open = NULL;
    pool->n_open = pool->cap_open = 0;
}

void xfer_submit(xfer_pool_t *pool, const xfer_job_t *job)
{
    double flush_s = 0;
    bool coalesce = xfer_coalescible(pool, job);
    if (coalesce && xfer_join(pool, job, &flush_s))
        return;
    xfer_job_t *j = malloc(sizeof *j);
    *j = *job;
    j->next = NULL;
    j->open = false;
    j->joined = 0;
    j->flush_s = flush_s;
    if (coalesce)
        xfer_open_add(pool, j);
    if (pool->tail)
        pool->tail->next = j;
    else
        pool->head = j;
    pool->tail = j;
    pool->queued++;
    conserve_submit(pool->pod, j);
    sgb_sem_post(pool->jobs);
}

void xfer_summary(const pod_t *p, cJSON *summary)
{
    if (p->sc->kv.writeback_coalesce_ms <= 0)
        return;
    cJSON *t = cJSON_GetObjectItemCaseSensitive(summary, "transfers");
    if (!t)
        return;
    uint64_t flows = 0, joined = 0;
    for (uint32_t i = 0; i < p->pf.n_inst; i++)
        flows += p->load_pool[i].flows;
    for (uint32_t d = 0; d <= p->pf.n_domains; d++) {
        flows += p->wb_pool[d].flows;
        joined += p->wb_pool[d].joined;
    }
    cJSON_AddNumberToObject(t, "flows", (double)flows);
    cJSON_AddNumberToObject(t, "coalesced_moves", (double)joined);
}
