/* Eviction policies of the KV block cache: the plug-in interface and the registry.
 *
 * A policy instance lives in one tier instance (the store of one G1, one domain's G2, the pod's G3.5...)
 * and only orders that store's entries: the manager (kv.c) owns the blocks, the hash index and every data
 * movement; a policy proposes victims and keeps its per-entry state in the store's entry area (meta_bytes
 * per entry, addressed by 32-bit slot) plus whatever side structures it needs (ghost lists, heaps).
 *
 * Hook contract (kv.c calls them; the entry's common fields are up to date before each call):
 *  - insert: the entry just entered the store (it may already be pinned).
 *  - hit: the entry was used again (a request found it, or a faster tier copied it up).
 *  - remove: the entry leaves the store (evicted, moved up from an exclusive tier, or dropped).
 *  - pin / unpin (both optional): the entry's first pin was taken / its last pin released. A policy that
 *    provides them keeps pinned entries out of its eviction order (SQLite's pcache does the same with
 *    pinned pages); one that does not keeps them in place and its victim skips them.
 *  - victim: an unpinned resident slot to evict. Called only when one exists. `incoming` is the id the
 *    room is for (KV_NO_ID if the room is reserved for blocks not known yet).
 * Ties are broken by the manager's event sequence number (kv_pol_ctx_t.seq), never by addresses. */
#ifndef KVTWIN_KV_POLICY_H
#define KVTWIN_KV_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/base/plugin.h"

#define KV_NO_ID UINT64_MAX   /* no block: reserved, never a real block id */
#define KV_NO_SLOT UINT32_MAX /* no entry */

typedef struct kv_store kv_store_t;

typedef struct kv_pol_ctx {
    double now_s; /* simulated (or trace) time of the operation */
    uint64_t seq; /* manager-wide event counter, strictly increasing: recency and tie-breaking */
} kv_pol_ctx_t;

typedef struct kv_pol kv_pol_t;

typedef struct kv_policy_ops {
    plugin_t base;       /* name, summary, parameter table and defaults (sim/base/plugin.h) */
    size_t meta_bytes;   /* per-entry state kept in the store's entry area */
    bool needs_next_use; /* offline policy: kv_access_t.next_use must be supplied */
    int (*init)(kv_pol_t *p, char *err, size_t errlen); /* allocates p->state; 0 or -1 with a message */
    void (*fini)(kv_pol_t *p);
    void (*insert)(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c);
    void (*hit)(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c);
    void (*remove)(kv_pol_t *p, uint32_t slot);
    void (*pin)(kv_pol_t *p, uint32_t slot);                          /* optional */
    void (*unpin)(kv_pol_t *p, uint32_t slot, const kv_pol_ctx_t *c); /* optional, with pin */
    uint32_t (*victim)(kv_pol_t *p, uint64_t incoming, const kv_pol_ctx_t *c);
    size_t (*mem_bytes)(const kv_pol_t *p); /* heap bytes of side structures (optional), for the memory budget */
} kv_policy_ops_t;

/* A policy instance. */
struct kv_pol {
    const kv_policy_ops_t *ops;
    kv_store_t *store;  /* the entries it orders */
    const void *params; /* bound parameters (a copy owned by the store) */
    void *state;        /* the policy's own, allocated by init, freed by fini */
    uint64_t capacity;  /* blocks of the store */
    uint64_t seed;      /* run seed; randomised policies mix it with entity */
    uint64_t entity;    /* unique per store: tier * 2^32 + location */
};

/* The registry (sim/kv/registry.c): every policy, in the order `kvtwin policies` lists them. */
extern const plugin_axis_t kv_policy_axis;
size_t kv_policy_count(void);
const kv_policy_ops_t *kv_policy_at(size_t i);
/* NULL if no policy has that name. */
const kv_policy_ops_t *kv_policy_find(const char *name);
/* "lru, fifo, ...": every registered name. */
void kv_policy_names(char *buf, size_t len);

/* Checks a policy name and its parameters (params may be NULL: defaults). Returns 0, or -1 with err filled;
 * err->path is relative to the params object ("" when the name itself is wrong). Unknown names list the
 * valid ones. */
int kv_policy_validate(const char *name, const cJSON *params, jb_error_t *err);

#endif
