/* Routing policies: which instance a new request goes to (deployment.router).
 *
 * The dispatcher calls route once per arrival with a read-only view of the instances; the policy returns
 * an instance index below view->n_inst and may keep state between calls (the round-robin position). The
 * view gives each instance's outstanding load and the KV cache, so that a KV-aware router (issue 12) can
 * look up where a request's prefix is cached (kv_lookup is read-only) without new plumbing.
 * A new router is one file in sim/sched/routers/ plus one line in sim/sched/route_registry.c. */
#ifndef KVTWIN_SCHED_ROUTE_H
#define KVTWIN_SCHED_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/plugin.h"
#include "sim/kv/kv.h"
#include "sim/sched/sched.h"

/* What a router may read of the pod. */
typedef struct sched_view {
    uint32_t n_inst;
    double now_s;
    /* Outstanding work of an instance: tokens still to prefill or decode, waiting requests included. */
    double (*load)(const void *core, uint32_t inst);
    const kv_mgr_t *kv; /* the cache (read-only), for KV-aware routing */
    const void *core;
} sched_view_t;

typedef struct sched_router sched_router_t;

typedef struct sched_route_ops {
    plugin_t base;                                            /* name, summary, parameters */
    int (*init)(sched_router_t *r, char *err, size_t errlen); /* optional: allocates r->state; 0 or -1 */
    void (*fini)(sched_router_t *r);                          /* optional */
    /* The instance for q: < v->n_inst, a function of the policy's state, the view and q only. */
    uint32_t (*route)(sched_router_t *r, const sched_view_t *v, const sched_req_t *q);
} sched_route_ops_t;

/* A router instance (one per run). */
struct sched_router {
    const sched_route_ops_t *ops;
    const void *params; /* bound parameters (plugin_params) */
    void *state;
    uint64_t seed; /* run seed: hashing routers mix it in */
};

/* The instance with the least outstanding load (the lowest index among equals). */
uint32_t sched_least_loaded(const sched_view_t *v);

/* The registry (sim/sched/route_registry.c). */
extern const plugin_axis_t sched_route_axis;
/* NULL if no router has that name. */
const sched_route_ops_t *sched_route_find(const char *name);
const sched_route_ops_t *sched_route_at(size_t i);

/* Builds a router instance (params: bound, or NULL for the defaults); 0, or -1 with a message. */
int sched_router_init(sched_router_t *r, const sched_route_ops_t *ops, const void *params, uint64_t seed, char *err,
                      size_t errlen);
void sched_router_fini(sched_router_t *r);

#endif
