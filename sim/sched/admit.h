/* Admission policies: which waiting request of an instance is admitted next, and how much G1 room it
 * reserves.
 *
 * The engine runs admission passes: while its batch has a free seat and G1 has not refused the last try,
 * it asks the policy for the next waiting request (an index into the queue, oldest first, or
 * SCHED_ADMIT_NONE to end the pass) and for the G1 room to reserve beyond the request's prompt blocks;
 * the fetch-or-recompute decision and kv_admit follow. If G1 cannot hold the request the pass ends (room
 * comes back as requests complete), or, with nothing running, the request is rejected: it can never run
 * there. fcfs reserves the whole output, so no request is ever preempted. paged reserves the prompt only:
 * the engine grows a decoding request's G1 room block by block, and when G1 cannot give a block it asks the
 * policy for a victim among the running requests (victim hook) and preempts it, by recompute or by swapping
 * its KV out to G2 (swap hook); admission keeps a watermark of free blocks (keep_free hook).
 * A new policy is one file in sim/sched/admission/ plus one line in sim/sched/admit_registry.c. */
#ifndef KVTWIN_SCHED_ADMIT_H
#define KVTWIN_SCHED_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/base/plugin.h"
#include "sim/sched/sched.h"

#define SCHED_ADMIT_NONE UINT32_MAX

/* The running requests that may be preempted (prefilling or decoding, no transfer in flight), oldest
 * admission first. */
typedef struct sched_running {
    uint32_t n;
    void (*at)(const void *core, uint32_t k, sched_req_t *out);
    const void *core;
} sched_running_t;

/* An instance's queue as an admission policy sees it. */
typedef struct sched_queue {
    uint32_t n_waiting;
    uint32_t n_running;
    uint32_t max_running; /* seats of the batch */
    /* The k-th waiting request, oldest first (k < n_waiting). */
    void (*at)(const void *core, uint32_t k, sched_req_t *out);
    const void *core;
} sched_queue_t;

typedef struct sched_admitter sched_admitter_t;

typedef struct sched_admit_ops {
    plugin_t base;                                              /* name, summary, parameters */
    int (*init)(sched_admitter_t *a, char *err, size_t errlen); /* optional: allocates a->state; 0 or -1 */
    void (*fini)(sched_admitter_t *a);                          /* optional */
    /* The waiting request to try next (< q->n_waiting), or SCHED_ADMIT_NONE. */
    uint32_t (*next)(sched_admitter_t *a, const sched_queue_t *q);
    /* G1 blocks to reserve for r at admission beyond its n_blocks prompt blocks. */
    uint32_t (*reserve)(sched_admitter_t *a, const sched_req_t *r);
    /* Optional: G1 blocks that must stay free (or evictable) after an admission: the watermark. NULL: 0. */
    uint64_t (*keep_free)(sched_admitter_t *a, uint64_t g1_capacity_blocks);
    /* Optional: the running request to preempt (< run->n) when a running request needs a G1 block that G1
     * cannot give, or SCHED_ADMIT_NONE. NULL: never preempt (the engine then waits, stalled). */
    uint32_t (*victim)(sched_admitter_t *a, const sched_running_t *run);
    /* Optional: true if a decoding victim's KV is swapped out to G2 (when the scenario has G2) rather than
     * dropped and recomputed. NULL: recompute. */
    bool (*swap)(sched_admitter_t *a);
} sched_admit_ops_t;

/* An admission policy instance (one per instance: queues are per instance). */
struct sched_admitter {
    const sched_admit_ops_t *ops;
    const void *params; /* bound parameters (plugin_params) */
    void *state;
    uint32_t inst;
};

/* The registry (sim/sched/admit_registry.c); the first policy (fcfs) is the default. */
extern const plugin_axis_t sched_admit_axis;
/* NULL if no admission policy has that name. */
const sched_admit_ops_t *sched_admit_find(const char *name);
const sched_admit_ops_t *sched_admit_at(size_t i);

/* Builds an admission policy instance for instance inst (params: bound, or NULL for the defaults). */
int sched_admitter_init(sched_admitter_t *a, const sched_admit_ops_t *ops, const void *params, uint32_t inst, char *err,
                        size_t errlen);
void sched_admitter_fini(sched_admitter_t *a);

#endif
