/* Transfer workers; see xfer.h. A worker sleeps the route's fixed latency, then moves the bytes with a
 * receiver-less SimGrid transfer shared max-min with every other flow on the same links. */
#include "sim/core/xfer.h"

#include <stdlib.h>

#include "sim/core/conserve.h"
#include "sim/out/metrics.h"

static void xfer_worker(void *arg)
{
    xfer_worker_t *self = arg;
    xfer_pool_t *pool = self->pool;
    pod_t *p = pool->pod;
    for (;;) {
        sgb_sem_wait(pool->jobs);
        xfer_job_t *job = pool->head;
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        pool->queued--;
        self->current = job;
        pf_route_t *r = &self->route;
        pf_route(&p->pf, job->src, job->dst, r);
        pf_route_begin(&p->pf, r);
        conserve_begin(p, job, r);
        self->routed = true;
        sgb_sleep_for(r->latency_s);
        sgb_transfer(pod_host(p, job->src), pod_host(p, job->dst), job->bytes);
        pf_route_end(&p->pf, r);
        conserve_end(p, job, r);
        metrics_transfer_done(p->m, job->kind, job->src_tier, job->dst_tier, job->bytes, r->j_per_byte, sgb_now());
        self->current = NULL;
        self->routed = false;
        if (job->done)
            job->done(p, job->ctx);
        free(job);
    }
}

void xfer_pool_start(xfer_pool_t *pool, pod_t *p, uint32_t workers, sgb_host_t *host, const char *name)
{
    pool->pod = p;
    pool->head = pool->tail = NULL;
    pool->queued = 0;
    pool->jobs = sgb_sem_new(0);
    pool->n_workers = workers;
    pool->workers = calloc(workers, sizeof *pool->workers);
    for (uint32_t w = 0; w < workers; w++) {
        pool->workers[w].pool = pool;
        sgb_spawn(name, host, xfer_worker, &pool->workers[w], true);
    }
}

void xfer_pool_free(xfer_pool_t *pool)
{
    while (pool->head) {
        xfer_job_t *j = pool->head;
        pool->head = j->next;
        free(j);
    }
    for (uint32_t w = 0; w < pool->n_workers; w++)
        free(pool->workers[w].current);
    free(pool->workers);
    pool->workers = NULL;
    pool->n_workers = 0;
    if (pool->jobs)
        sgb_sem_free(pool->jobs);
    pool->jobs = NULL;
}

void xfer_submit(xfer_pool_t *pool, const xfer_job_t *job)
{
    xfer_job_t *j = malloc(sizeof *j);
    *j = *job;
    j->next = NULL;
    if (pool->tail)
        pool->tail->next = j;
    else
        pool->head = j;
    pool->tail = j;
    pool->queued++;
    conserve_submit(pool->pod, j);
    sgb_sem_post(pool->jobs);
}
