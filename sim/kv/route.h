/* Routers of the cache-only replay (no timing, no SimGrid): which instance of a pod of local caches serves
 * each request. They see only what a replay knows: the request (its blocks, tokens and session), the tokens
 * routed so far and, for the prefix-aware router, what each instance's tiers hold. The timed engine has its
 * own routers in sim/core; these exist so that `kvtwin cache --instances N` can compare local caches with a
 * shared pool in seconds.
 *
 *   rr       round-robin in request order
 *   random   uniform, one GSL stream seeded from (seed, a fixed entity id)
 *   tokens   least-loaded: fewest input tokens routed so far (ties: lowest index)
 *   session  session affinity: a session's requests all go to one instance (its id mixed, modulo N);
 *            requests without a session go round-robin
 *   prefix   prefix-aware with a load band: among the instances whose routed tokens exceed the least-loaded
 *            one's by at most a tenth of the mean plus this request's input, the one whose path holds the
 *            longest cached prefix; ties (no hit anywhere included) to the least-loaded. Without the band
 *            every request would follow a prefix shared by all (Mooncake's system prompt) to one instance. */
#ifndef KVTWIN_KV_ROUTE_H
#define KVTWIN_KV_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/kv/kv.h"

typedef enum kv_route {
    KV_ROUTE_RR = 0,
    KV_ROUTE_RANDOM,
    KV_ROUTE_TOKENS,
    KV_ROUTE_SESSION,
    KV_ROUTE_PREFIX,
    KV_ROUTE_COUNT
} kv_route_t;

/* "rr", "random", ...; "?" out of range. */
const char *kv_route_name(int route);
/* The router of that name, or -1. */
int kv_route_find(const char *name);
/* "rr, random, tokens, session, prefix". */
void kv_route_names(char *buf, size_t len);

typedef struct kv_router kv_router_t;

kv_router_t *kv_router_create(int route, uint32_t n_instances, uint64_t seed);
void kv_router_destroy(kv_router_t *r);
/* The instance for a request; m is consulted by the prefix-aware router only (lookups change nothing). */
uint32_t kv_router_pick(kv_router_t *r, const kv_mgr_t *m, const uint64_t *ids, uint32_t n, uint32_t input_tokens,
                        uint64_t session);

#endif
