/* Benchmark of the routers (not a test; scripts/bench-route.sh runs it, figures in docs/performance.md):
 * wall time per routing decision on a pod of N instances (4 per domain) whose caches a warm-up filled with
 * session prefixes, for every router, at N = 36, 72, 144 and 288 and prefixes of 256 and 2,048 blocks. A
 * decision of kv-aware is O(instances x prefix blocks) at worst; the per-instance figure shows whether it
 * stays flat as N grows. Usage: bench_route [DECISIONS]   (default 2000 per point) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/base/alloc.h"
#include "sim/base/jsonbind.h"
#include "sim/base/mix.h"
#include "sim/kv/policy.h"
#include "sim/kv/write.h"
#include "sim/sched/route.h"

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double zero_load(const void *core, uint32_t inst)
{
    const double *l = core;
    return l[inst];
}

typedef struct sess {
    uint64_t *ids;
} sess_t;

int main(int argc, char **argv)
{
    int decisions = argc > 1 ? atoi(argv[1]) : 2000;
    static const uint32_t sizes[] = {36, 72, 144, 288};
    static const uint32_t prefixes[] = {256, 2048};
    enum { NSESS = 256 };
    printf("%-14s %6s %7s %12s %22s\n", "router", "inst", "prefix", "us/decision", "ns/(instance x block)");
    for (size_t pi = 0; pi < sizeof prefixes / sizeof prefixes[0]; pi++) {
        uint32_t nb = prefixes[pi];
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            uint32_t n = sizes[si];
            uint32_t *dom = kvt_calloc(n, sizeof *dom);
            for (uint32_t i = 0; i < n; i++)
                dom[i] = i / 4;
            kv_cfg_t c;
            memset(&c, 0, sizeof c);
            c.n_instances = n;
            c.n_domains = (n + 3) / 4;
            c.domain_of_instance = dom;
            c.block_bytes = 1 << 20;
            uint64_t caps[KV_NTIERS] = {4 * (uint64_t)nb, 16 * (uint64_t)nb, 0, 64 * (uint64_t)nb, 0};
            for (int t = 0; t < KV_NTIERS; t++) {
                c.tier[t].enabled = caps[t] > 0;
                c.tier[t].capacity_blocks = caps[t];
                c.tier[t].policy = kv_policy_find("lru");
                c.tier[t].inclusive = true;
            }
            c.write = kv_write_find("write-through");
            char err[256];
            kv_mgr_t *m = kv_mgr_create(&c, err, sizeof err);
            if (!m) {
                fprintf(stderr, "bench_route: %s\n", err);
                return 1;
            }
            sess_t s[NSESS];
            for (int k = 0; k < NSESS; k++) {
                s[k].ids = kvt_malloc(nb * sizeof(uint64_t));
                for (uint32_t b = 0; b < nb; b++)
                    s[k].ids[b] = kvt_mix64(((uint64_t)k << 32) + b + 1);
            }
            /* Warm-up: every session served on two instances, so that G1, G2 and G3.5 all hold prefixes. */
            uint64_t req = 1;
            for (int k = 0; k < NSESS; k++)
                for (int rep = 0; rep < 2; rep++) {
                    uint32_t inst = (uint32_t)(kvt_mix64((uint64_t)k * 2 + (uint64_t)rep) % n);
                    kv_hits_t h;
                    kv_lookup(m, inst, s[k].ids, nb, &h);
                    kv_access_t a = {(double)req, req, UINT64_MAX, 0, NULL};
                    if (kv_admit(m, inst, s[k].ids, nb, h.prefix, 0, &a) == KV_OK) {
                        kv_commit(m, inst, s[k].ids, 0, nb, &a);
                        kv_release(m, inst, s[k].ids, nb, 0, &a);
                    }
                    req++;
                }
            double *load = kvt_calloc(n, sizeof *load);
            for (uint32_t i = 0; i < n; i++)
                load[i] = (double)(kvt_mix64(i) % 4096);
            for (size_t ri = 0; ri < sched_route_axis.count; ri++) {
                const sched_route_ops_t *ops = sched_route_at(ri);
                sched_router_t r;
                if (sched_router_init(&r, ops, NULL, 1, err, sizeof err)) {
                    fprintf(stderr, "bench_route: %s\n", err);
                    return 1;
                }
                double t0 = wall();
                uint64_t sink = 0;
                for (int d = 0; d < decisions; d++) {
                    const sess_t *q0 = &s[kvt_mix64((uint64_t)d) % NSESS];
                    sched_view_t v = {n, 1e6 + d, zero_load, m, load, 16};
                    sched_req_t q = {.id = (uint64_t)d,
                                     .session_id = (uint64_t)d % NSESS,
                                     .arrival_s = 1e6 + d,
                                     .input_tokens = nb * 16,
                                     .output_tokens = 100,
                                     .block_ids = q0->ids,
                                     .n_blocks = nb,
                                     .extra_blocks = 7,
                                     .input_blocks = nb};
                    sink += ops->route(&r, &v, &q);
                }
                double us = (wall() - t0) / decisions * 1e6;
                printf("%-14s %6u %7u %12.2f %22.3f%s\n", ops->base.name, n, nb, us, us * 1e3 / n / nb,
                       sink == UINT64_MAX ? "!" : "");
                sched_router_fini(&r);
            }
            free(load);
            for (int k = 0; k < NSESS; k++)
                free(s[k].ids);
            kv_mgr_destroy(m);
            free(dom);
        }
    }
    return 0;
}
