/* KV transfers as SimGrid activities: pools of a few long-lived worker actors (DMA queues) that each move
 * one job at a time over the platform's route, after the route's fixed latency. One job is one request's
 * blocks for one tier hop, never one block. Workers account bytes and per-byte energy and call the job's
 * completion callback. */
#ifndef KVTWIN_XFER_H
#define KVTWIN_XFER_H

#include <cjson/cJSON.h>

#include "sim/core/pod.h"

typedef void (*xfer_done_fn)(pod_t *p, void *ctx);

/* The blocks a write lists at its destination (tier, loc) before they are there, recorded only when the
 * scenario lists faults (faults_write_record): if the write fails its blocks are dropped from the
 * destination's index (faults_write_failed), so that no later look-up finds KV that was never written. */
typedef struct xfer_wrec {
    int tier;
    uint32_t loc;
    uint32_t moves; /* moves it stands for (coalesced ones join) */
    uint32_t n, cap;
    uint64_t ids[];
} xfer_wrec_t;

typedef struct xfer_job {
    pf_ep_t src, dst;
    double bytes;
    int kind; /* kv_move_kind_t */
    int src_tier, dst_tier;
    xfer_done_fn done; /* may be NULL */
    void *ctx;
    /* Called instead of done when the transfer fails (a fault on its path, faults.h): its bytes did not
     * arrive. NULL: done is called (the caller's books move on; the data is simply not there). */
    xfer_done_fn fail;
    /* Blocks of the hop (0 = not given): with hardware.icms.stripe_enclosures > 1 a hop to or from the ICMS
     * is split into one part per enclosure its blocks are striped over, moved in parallel by the pool's
     * part workers; done runs once, when the last part lands. */
    uint64_t first_block, blocks;
    struct xfer_fan *fan; /* the parts' shared completion, for a part */
    /* Coalescing (xfer_pool_coalesce): the end of the flush interval the job moves at, and whether it is a
     * coalescing job not yet moving (joins it takes only until flush_s). */
    double flush_s;
    bool open;
    uint32_t joined;   /* moves joined into it */
    xfer_wrec_t *wrec; /* owned by the job (NULL: none); freed when it lands, its blocks dropped if it fails */
    struct xfer_job *next;
} xfer_job_t;

typedef struct xfer_worker {
    struct xfer_pool *pool;
    sgb_actor_t *actor;  /* its SimGrid actor (a fault kills it mid-transfer, then starts a new one) */
    xfer_job_t *current; /* the job in flight: freed by xfer_pool_free if the run ends mid-transfer */
    pf_route_t route;    /* its route, once taken (the conservation check counts it in flight) */
    bool routed;
} xfer_worker_t;

struct xfer_pool {
    pod_t *pod;
    sgb_host_t *host;
    const char *name;
    xfer_job_t *head, *tail;
    uint32_t queued;
    sgb_sem_t *jobs;
    xfer_worker_t *workers; /* n_main job workers, then the part workers of a striped ICMS */
    uint32_t n_workers, n_main;
    xfer_job_t *part_head, *part_tail; /* parts of striped hops waiting for a part worker */
    sgb_sem_t *parts;
    uint64_t *stripe_blocks; /* scratch: blocks per enclosure of the hop being split */
    double coalesce_s;       /* flush interval (0 = no coalescing) */
    xfer_job_t **open;       /* jobs still open to background moves of the same link pair */
    uint32_t n_open, cap_open;
    uint64_t joined; /* moves that joined another instead of becoming a flow */
    uint64_t flows;  /* transfers moved */
};

/* Starts `workers` daemon worker actors on host for the pool. */
void xfer_pool_start(xfer_pool_t *pool, pod_t *p, uint32_t workers, sgb_host_t *host, const char *name);
void xfer_pool_free(xfer_pool_t *pool);

/* A fault on the path of worker w's job in flight (faults.h): the transfer is cancelled now (its actor is
 * killed and replaced), its bytes are booked as failed and the job's fail callback runs. */
void xfer_fail_worker(xfer_pool_t *pool, uint32_t w);

/* Background coalescing (kv.writeback_coalesce_ms): a job without completion callback submitted to the pool
 * waits for the end of its flush interval (the next multiple of interval_s), and the jobs with the same
 * source, destination, kind and tier hop submitted before then join it: one flow (one latency, one
 * transfer) of their summed bytes instead of one each. Striped ICMS hops are left alone. 0 = off. */
void xfer_pool_coalesce(xfer_pool_t *pool, double interval_s);

/* With coalescing on, adds transfers.flows and transfers.coalesced_moves (over all pools) to the summary. */
void xfer_summary(const pod_t *p, cJSON *summary);

/* Queues a transfer; the job is copied. */
void xfer_submit(xfer_pool_t *pool, const xfer_job_t *job);

#endif
