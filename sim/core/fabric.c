/* Per-flow spine choice; see fabric.h. */
#include "sim/core/fabric.h"

#include "sim/base/mix.h"

uint32_t fab_pick_spine(const platform_t *pf, uint32_t leaf_a, uint32_t leaf_b, uint64_t flow_key)
{
    uint32_t n = pf->n_spine;
    uint32_t first = (uint32_t)(kvt_mix64(flow_key) % n);
    if (pf->hw->fabric.routing == HW_ROUTING_ECMP)
        return first;
    uint32_t best = first, best_load = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = (first + k) % n;
        const pf_link_t *up = &pf->links[pf_uplink(pf, leaf_a, s)], *down = &pf->links[pf_uplink(pf, leaf_b, s)];
        uint32_t load = up->active[0] > down->active[1] ? up->active[0] : down->active[1];
        if (load < best_load) {
            best_load = load;
            best = s;
        }
    }
    return best;
}

bool fab_route_flow(platform_t *pf, pf_ep_t src, pf_ep_t dst, pf_route_t *r, pf_ep_t *alias_ep, uint32_t *spine)
{
    uint32_t la, lb;
    if (!pf->per_flow || !pf_route_leaves(pf, src, dst, &la, &lb))
        return false;
    *spine = fab_pick_spine(pf, la, lb, ++pf->flow_seq);
    pf_route_spine(pf, src, dst, *spine, r);
    bool src_alias = src.kind == PF_ICMS || (src.kind == PF_G4 && dst.kind != PF_ICMS);
    *alias_ep = src_alias ? src : dst;
    return true;
}
