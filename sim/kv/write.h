/* Write policies of the KV block cache: when a block's KV is written to the slower tiers. The plug-in
 * interface and the registry (internal to sim/kv, like the eviction policies of policy.h).
 *
 * A write policy only answers questions; the manager (kv.c) moves the data, finds room and keeps the
 * counters. One instance per manager. Hooks (the entry's common fields are up to date before each call):
 *  - commit (optional): a newly computed block was just cached in G1. Returns a mask of tiers (1u << tier)
 *    to copy it to now; the manager copies it to each enabled tier below G1 on the path that is in the mask
 *    and does not hold it yet. NULL: copy nothing (write-back).
 *  - evict: an evicted block (from `tier`) has no clean copy below. Returns whether it goes down to the
 *    next enabled tier (true) or is dropped (false).
 *  - session_end (optional): the session will not come back (kv_session_end).
 * Policies that keep state (selective: the ended sessions) allocate it in init and free it in fini. */
#ifndef KVTWIN_KV_WRITE_H
#define KVTWIN_KV_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/base/plugin.h"
#include "sim/kv/store.h"

/* Every tier: for commit hooks that copy to all of them. */
#define KV_WRITE_ALL_TIERS (~0u)

typedef struct kv_write kv_write_t;

typedef struct kv_write_ops {
    plugin_t base;                                               /* name, summary, parameters (sim/base/plugin.h) */
    int (*init)(kv_write_t *w, char *err, size_t errlen);        /* optional: allocates w->state; 0 or -1 */
    void (*fini)(kv_write_t *w);                                 /* optional */
    unsigned (*commit)(kv_write_t *w, const kv_entry_t *e);      /* optional: tiers to copy a new block to */
    bool (*evict)(kv_write_t *w, const kv_entry_t *e, int tier); /* demote an evicted block? */
    void (*session_end)(kv_write_t *w, uint64_t session);        /* optional */
} kv_write_ops_t;

/* A write policy instance. */
struct kv_write {
    const kv_write_ops_t *ops;
    const void *params; /* bound parameters (the manager's copy) */
    void *state;        /* the policy's own, allocated by init, freed by fini */
};

/* The registry (sim/kv/write_registry.c). The first policy is the default (write-back). */
extern const plugin_axis_t kv_write_axis;
/* NULL if no write policy has that name. */
const kv_write_ops_t *kv_write_find(const char *name);
/* Same, also accepting the short aliases (back, through) of `kvtwin cache --write`. */
const kv_write_ops_t *kv_write_find_alias(const char *name);
const kv_write_ops_t *kv_write_at(size_t i);
/* The default: write-back. */
const kv_write_ops_t *kv_write_default(void);

#endif
