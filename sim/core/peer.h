/* Peer KV (kv.peer_g2): a request may load the blocks that follow its own cached prefix from another
 * domain's G2 over the fabric, as pooled DRAM stores do (Mooncake Store, Dynamo's KV block manager). The
 * source is one domain, the one holding the longest run of those blocks, so the load is one transfer per
 * request for that hop. The decision weighs the route as the local tiers' are weighed (sim/kv/fetch.h):
 * loading the local prefix and the peer run in parallel, each after its latency at its fair share now,
 * then prefilling the rest, against the local plan alone. Off by default. */
#ifndef KVTWIN_PEER_H
#define KVTWIN_PEER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "sim/core/pod.h"

typedef struct peer_plan {
    uint32_t domain; /* the source domain */
    uint32_t blocks; /* blocks [prefix, prefix + blocks) loaded from its G2; 0 = none */
    double bytes;
} peer_plan_t;

/* For inst's request ids[0..n) whose local cached prefix is tier_of[0..prefix), all of it reused: the peer
 * run worth loading, or blocks = 0. Fills tier_of[prefix..prefix + blocks) with KV_G2 (hit accounting). */
peer_plan_t peer_decide(pod_t *p, uint32_t inst, const uint64_t *ids, uint32_t n, uint8_t *tier_of, uint32_t prefix,
                        double input_tokens);

/* Submits the peer load of plan to inst's G1 (one transfer); done(p, ctx) when it lands. */
void peer_submit(pod_t *p, uint32_t inst, const uint64_t *ids, uint32_t prefix, const peer_plan_t *plan,
                 void (*done)(pod_t *, void *), void *ctx);

/* Adds "peer_kv": {loads, bytes} to the summary when kv.peer_g2 is on. */
void peer_summary(const pod_t *p, cJSON *summary);

#endif
