/* Routers of the cache-only replay; see route.h. */
#include "sim/kv/route.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "sim/base/alloc.h"
#include "sim/base/mix.h"

static const char *const kv_route_names_[KV_ROUTE_COUNT] = {"rr", "random", "tokens", "session", "prefix"};

/* Entity id of the random router's stream (DESIGN: streams seeded from (run seed, entity)). */
#define KV_ROUTE_ENTITY UINT64_C(0x52A0000000000001)

struct kv_router {
    int route;
    uint32_t n;
    uint64_t next;    /* round-robin position */
    uint64_t *tokens; /* input tokens routed to each instance */
    gsl_rng *rng;
};

const char *kv_route_name(int route)
{
    return route >= 0 && route < KV_ROUTE_COUNT ? kv_route_names_[route] : "?";
}

int kv_route_find(const char *name)
{
    for (int k = 0; name && k < KV_ROUTE_COUNT; k++)
        if (strcmp(name, kv_route_names_[k]) == 0)
            return k;
    return -1;
}

void kv_route_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < KV_ROUTE_COUNT && used + 1 < len; k++) {
        int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", kv_route_names_[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

kv_router_t *kv_router_create(int route, uint32_t n_instances, uint64_t seed)
{
    kv_router_t *r = kvt_calloc(1, sizeof *r);
    r->route = route;
    r->n = n_instances ? n_instances : 1;
    r->tokens = kvt_calloc(r->n, sizeof *r->tokens);
    if (route == KV_ROUTE_RANDOM) {
        r->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!r->rng) {
            fprintf(stderr, "kvtwin: out of memory\n");
            abort();
        }
        gsl_rng_set(r->rng, (unsigned long)kvt_splitmix64(kvt_splitmix64(seed) ^ KV_ROUTE_ENTITY));
    }
    return r;
}

void kv_router_destroy(kv_router_t *r)
{
    if (!r)
        return;
    if (r->rng)
        gsl_rng_free(r->rng);
    free(r->tokens);
    free(r);
}

static uint32_t least_tokens(const kv_router_t *r)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < r->n; i++)
        if (r->tokens[i] < r->tokens[best])
            best = i;
    return best;
}

uint32_t kv_router_pick(kv_router_t *r, const kv_mgr_t *m, const uint64_t *ids, uint32_t n, uint32_t input_tokens,
                        uint64_t session)
{
    uint32_t pick = 0;
    switch (r->route) {
    case KV_ROUTE_RR:
        pick = (uint32_t)(r->next++ % r->n);
        break;
    case KV_ROUTE_RANDOM:
        pick = (uint32_t)gsl_rng_uniform_int(r->rng, r->n);
        break;
    case KV_ROUTE_TOKENS:
        pick = least_tokens(r);
        break;
    case KV_ROUTE_SESSION:
        pick = session == UINT64_MAX ? (uint32_t)(r->next++ % r->n) : (uint32_t)(kvt_mix64(session) % r->n);
        break;
    case KV_ROUTE_PREFIX: {
        /* Pure prefix affinity sends everything to whoever holds the shared system prompt; like Mooncake's
         * conductor, weigh load: only instances within a band of the least-loaded are candidates. */
        uint32_t best = least_tokens(r), best_len = 0;
        uint64_t total = 0;
        for (uint32_t i = 0; i < r->n; i++)
            total += r->tokens[i];
        uint64_t band = r->tokens[best] + total / r->n / 10 + input_tokens;
        for (uint32_t i = 0; i < r->n; i++) {
            if (r->tokens[i] > band)
                continue;
            uint32_t len = kv_lookup_tiers(m, i, ids, n, NULL);
            if (len > best_len || (len == best_len && len > 0 && r->tokens[i] < r->tokens[best])) {
                best = i;
                best_len = len;
            }
        }
        pick = best;
        break;
    }
    default:
        assert(0 && "unknown router");
    }
    r->tokens[pick] += input_tokens;
    return pick;
}
