/* Per-flow spine choice; see fabric.h. */
#include "sim/core/fabric.h"

#include <stdio.h>

#include "sim/base/mix.h"
#include "sim/core/sgb.h"

static bool fab_spine_up(const platform_t *pf, uint32_t leaf_a, uint32_t leaf_b, uint32_t s)
{
    return pf->links[pf_uplink(pf, leaf_a, s)].down == 0 && pf->links[pf_uplink(pf, leaf_b, s)].down == 0;
}

uint32_t fab_pick_spine(const platform_t *pf, uint32_t leaf_a, uint32_t leaf_b, uint64_t flow_key)
{
    uint32_t n = pf->n_spine;
    uint32_t first = (uint32_t)(kvt_mix64(flow_key) % n);
    if (pf->hw->fabric.routing == HW_ROUTING_ECMP) {
        /* A failed uplink leaves the hash's group: the flow takes the next spine that is up. */
        for (uint32_t k = 0; k < n; k++)
            if (fab_spine_up(pf, leaf_a, leaf_b, (first + k) % n))
                return (first + k) % n;
        return first;
    }
    uint32_t best = first, best_load = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t s = (first + k) % n;
        if (!fab_spine_up(pf, leaf_a, leaf_b, s))
            continue;
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

/* Network ports: the links a RoCE flow crosses between NICs and switches. */
static bool fab_is_port(const platform_t *pf, uint32_t l)
{
    uint32_t nic = pf->storage_via_gpu_nic ? pf->n_inst : 0;
    return (l >= pf->l_nic && l < pf->l_nic + nic) || (l >= pf->l_fe && l < pf->l_fe + pf->n_domains) ||
           (l >= pf->l_up && l < pf->l_up + pf->n_leaf * pf->n_spine) ||
           (l >= pf->l_eport && l < pf->l_eport + pf->n_icms) || (l >= pf->l_g4nic && l < pf->l_g4nic + pf->n_g4);
}

double fab_cc_efficiency(const hw_fabric_t *f, uint32_t flows)
{
    uint32_t n0 = f->roce_cc_incast_flows ? f->roce_cc_incast_flows : 1;
    if (!f->roce_cc || flows <= n0)
        return 1.0;
    double e = f->roce_cc_min_efficiency;
    return e + (1.0 - e) * (double)n0 / (double)flows;
}

static void fab_set_dir(pf_link_t *l, uint32_t d, double frac)
{
    double now = l->cc_eff[d] > 0 ? l->cc_eff[d] : 1.0;
    if (frac == now)
        return;
    l->cc_eff[d] = frac;
    char name[40];
    snprintf(name, sizeof name, "%s_%s", l->name, d ? "DOWN" : "UP");
    sgb_link_set_bandwidth(name, (l->dir_bw[d] > 0 ? l->dir_bw[d] : l->bw_byte_s) * frac);
}

/* ETS at storage port k (its first class link) in direction d: the classes with flows share it by weight. */
static void fab_class_resize(platform_t *pf, uint32_t first, uint32_t d)
{
    double active_w = 0;
    for (uint32_t c = 0; c < pf->n_cls; c++)
        if (pf->links[first + c].active[d] > 0)
            active_w += pf->cls_w[c];
    for (uint32_t c = 0; c < pf->n_cls; c++) {
        pf_link_t *l = &pf->links[first + c];
        fab_set_dir(l, d, l->active[d] > 0 && active_w > 0 ? pf->cls_w[c] / active_w : 1.0);
    }
}

uint32_t fab_class(const platform_t *pf, int move_kind, pf_ep_t src, pf_ep_t dst, pf_ep_t *storage)
{
    if (pf->n_cls == 0)
        return UINT32_MAX;
    bool ss = src.kind == PF_ICMS || src.kind == PF_G4, ds = dst.kind == PF_ICMS || dst.kind == PF_G4;
    if (ss == ds)
        return UINT32_MAX;
    *storage = ss ? src : dst;
    pf_ep_t local = ss ? dst : src;
    if (pf->hw->fabric.traffic_classes == HW_TC_KIND)
        return move_kind == 0 ? 0 : move_kind == 3 ? 2 : 1; /* kv_move_kind_t: load, prestage, the rest */
    uint32_t dom = local.kind == PF_INST ? pf->domain_of_inst[local.idx] : local.idx;
    return dom % pf->n_cls;
}

void fab_class_hop(const platform_t *pf, pf_ep_t storage, uint32_t c, bool storage_is_src, pf_route_t *r)
{
    if (r->n >= PF_MAX_HOPS)
        return;
    r->hop[r->n].link = pf_class_link(pf, storage, c);
    r->hop[r->n].down = storage_is_src ? 0 : 1;
    r->n++;
}

void fab_flow_changed(platform_t *pf, const pf_route_t *r)
{
    for (uint8_t i = 0; pf->n_cls && i < r->n; i++) {
        uint32_t id = r->hop[i].link;
        if (id >= pf->l_cls && id < pf->l_cls + pf->n_cls * (pf->n_icms + pf->n_g4))
            fab_class_resize(pf, pf->l_cls + (id - pf->l_cls) / pf->n_cls * pf->n_cls, r->hop[i].down);
    }
    if (!pf->hw->fabric.roce_cc)
        return;
    for (uint8_t i = 0; i < r->n; i++) {
        uint32_t id = r->hop[i].link, d = r->hop[i].down;
        pf_link_t *l = &pf->links[id];
        if (!l->splitduplex || !fab_is_port(pf, id))
            continue;
        fab_set_dir(l, d, fab_cc_efficiency(&pf->hw->fabric, l->active[d]));
    }
}
