/* Peer KV from another domain's G2; see peer.h. */
#include "sim/core/peer.h"

#include <math.h>

#include "sim/core/engine.h"
#include "sim/core/xfer.h"
#include "sim/kv/fetch.h"

/* The route from (tier, loc) serving block id to inst's G1, as a new flow would find it now. */
static kv_fetch_hop_t peer_hop(pod_t *p, int tier, uint32_t loc, uint64_t id, uint32_t inst)
{
    pf_route_t route;
    pf_ep_t dst = {PF_INST, inst};
    pf_route(&p->pf, pod_tier_endpoint(p, tier, loc, id), dst, &route);
    kv_fetch_hop_t h = {pf_route_share_byte_s(&p->pf, &route), route.latency_s};
    return h;
}

peer_plan_t peer_decide(pod_t *p, uint32_t inst, const uint64_t *ids, uint32_t n, uint8_t *tier_of, uint32_t prefix,
                        double input_tokens)
{
    peer_plan_t best = {0, 0, 0};
    if (!p->sc->kv.peer_g2 || !p->sc->kv.tier[KV_G2].enabled || prefix >= n)
        return best;
    uint32_t own = p->pf.domain_of_inst[inst];
    /* The longest run after the prefix in one other domain's G2: O(domains x run). */
    for (uint32_t d = 0; d < p->pf.n_domains; d++) {
        if (d == own)
            continue;
        uint32_t k = 0;
        while (prefix + k < n && kv_resident(p->kv, KV_G2, d, ids[prefix + k]))
            k++;
        if (k > best.blocks) {
            best.domain = d;
            best.blocks = k;
        }
    }
    if (best.blocks == 0)
        return best;
    /* Local loads, per source tier over its own hop, as the fetch decision sees them. */
    double bytes[KV_NTIERS] = {0};
    kv_fetch_hop_t hop[KV_NTIERS] = {{0, 0}};
    for (uint32_t u = 0; u < prefix; u++) {
        int t = tier_of[u];
        if (t == KV_G1)
            continue;
        if (!(bytes[t] > 0))
            hop[t] = peer_hop(p, t, pod_tier_loc(p, t, inst), ids[u], inst);
        bytes[t] += p->block_bytes;
    }
    double local_load = kv_fetch_load_s(bytes, hop);
    double max_reuse = input_tokens >= 1 ? input_tokens - 1 : 0;
    double reused = fmin((double)prefix * p->block_tokens, max_reuse);
    double local = local_load + st_prefill_time_s(pod_st(p, inst), input_tokens - reused, reused);
    kv_fetch_hop_t ph = peer_hop(p, KV_G2, best.domain, ids[prefix], inst);
    best.bytes = best.blocks * p->block_bytes;
    double peer_load = ph.bandwidth_byte_s > 0 ? ph.latency_s + best.bytes / ph.bandwidth_byte_s : (double)INFINITY;
    double reused_peer = fmin((double)(prefix + best.blocks) * p->block_tokens, max_reuse);
    double with_peer =
        fmax(local_load, peer_load) + st_prefill_time_s(pod_st(p, inst), input_tokens - reused_peer, reused_peer);
    if (!(with_peer < local)) {
        best.blocks = 0;
        best.bytes = 0;
        return best;
    }
    for (uint32_t k = 0; k < best.blocks; k++)
        tier_of[prefix + k] = KV_G2;
    p->peer_loads++;
    p->peer_bytes += best.bytes;
    return best;
}

void peer_submit(pod_t *p, uint32_t inst, const uint64_t *ids, uint32_t prefix, const peer_plan_t *plan,
                 void (*done)(pod_t *, void *), void *ctx)
{
    xfer_job_t job = {
        .src = pod_tier_endpoint(p, KV_G2, plan->domain, ids[prefix]),
        .dst = {PF_INST, inst},
        .bytes = plan->bytes,
        .kind = KV_MOVE_LOAD,
        .src_tier = KV_G2,
        .dst_tier = KV_G1,
        .done = done,
        .ctx = ctx,
        .fail = engine_load_failed, /* a fault on its path: the request recomputes (faults.h) */
    };
    xfer_submit(&p->load_pool[inst], &job);
}

void peer_summary(const pod_t *p, cJSON *summary)
{
    if (!p->sc->kv.peer_g2)
        return;
    cJSON *o = cJSON_AddObjectToObject(summary, "peer_kv");
    cJSON_AddNumberToObject(o, "loads", (double)p->peer_loads);
    cJSON_AddNumberToObject(o, "bytes", p->peer_bytes);
}
