/* Admission policies: which waiting request of an instance is admitted next, and how much G1 room it
 * reserves.
 *
 * The engine runs admission passes: while its batch has a free seat and G1 has not refused the last try,
 * it asks the policy for the next waiting request (an index into the queue, oldest first, or
 * SCHED_ADMIT_NONE to end the pass) and for the G1 room to reserve beyond the request's prompt blocks;
 * the fetch-or-recompute decision and kv_admit follow. If G1 cannot hold the request the pass ends (room
 * comes back as requests complete), or, with nothing running, the request is rejected: it can never run
 * there. Today's policy (fcfs) reserves the whole output, so no request is ever preempted; a paged policy
 * (issue 9) reserves less and adds a hook for what to preempt when a running request needs room.
 * A new policy is one file in sim/sched/admission/ plus one line in sim/sched/admit_registry.c. */
#ifndef KVTWIN_SCHED_ADMIT_H
#define KVTWIN_SCHED_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/plugin.h"
#include "sim/sched/sched.h"

#define SCHED_ADMIT_NONE UINT32_MAX

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
