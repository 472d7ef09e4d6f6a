/* Platform generation; see platform.h for what is modelled.
 * Assumptions: instances occupy consecutive GPUs and tile nodes (an instance fits in a node, or spans whole
 * nodes); a two-tier leaf-spine fabric whose leaves split their ports into downlinks and uplinks by the
 * oversubscription ratio, one aggregated link from every leaf to every spine (at most 16 spines); compute
 * attachments and storage attachments sit on separate leaves. Units: bytes, bytes/s, seconds, joules. */
#define _POSIX_C_SOURCE 200809L
#include "sim/core/platform.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/power.h"
#include "sim/base/mix.h"
#include "sim/core/storage_path.h"

#define PF_MAX_SPINES 16u

static double gbit_to_byte_s(double gbit_s)
{
    return gbit_s * 1e9 / 8.0;
}

static uint32_t pf_add_links(platform_t *pf, const char *prefix, uint32_t count, double bw, bool split)
{
    uint32_t first = pf->n_links;
    for (uint32_t i = 0; i < count; i++) {
        pf_link_t *l = &pf->links[pf->n_links++];
        memset(l, 0, sizeof *l);
        snprintf(l->name, sizeof l->name, "%s-%u", prefix, i);
        l->bw_byte_s = bw;
        l->splitduplex = split;
    }
    return first;
}

/* Places attachments needing ports[i] each onto leaves of `down` ports, from leaf `first`. Returns the
 * number of leaves used, or 0 if one attachment alone needs more ports than a leaf has. */
static uint32_t pf_fill_leaves(const uint32_t *ports, uint32_t n, uint32_t down, uint32_t first, uint32_t *leaf_of)
{
    uint32_t leaf = first, used = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ports[i] > down)
            return 0;
        if (used + ports[i] > down) {
            leaf++;
            used = 0;
        }
        used += ports[i];
        leaf_of[i] = leaf;
    }
    return n ? leaf - first + 1 : 0;
}

static uint32_t pf_ports_for(double bw_byte_s, double port_byte_s)
{
    double p = ceil(bw_byte_s / port_byte_s - 1e-9);
    return p < 1 ? 1 : (uint32_t)p;
}

/* The slot of each instance (deployment.placement) for n instances, per_nvl slots per NVLink domain. */
static void pf_place(uint32_t n, uint32_t per_nvl, const sc_deploy_t *dep, uint32_t *slot)
{
    uint32_t n_nvl = (n + per_nvl - 1) / per_nvl;
    /* Slots in round-robin order over the NVLink domains: the first of each domain, then the second, ... */
    uint32_t *rr = calloc(n + 1, sizeof *rr), k = 0;
    for (uint32_t r = 0; r < per_nvl; r++)
        for (uint32_t d = 0; d < n_nvl; d++)
            if (d * per_nvl + r < n)
                rr[k++] = d * per_nvl + r;
    bool pools = dep->disagg.enabled && dep->disagg.prefill_instances > 0 && dep->disagg.prefill_instances < n;
    if (dep->placement == SC_PLACE_SPREAD) {
        for (uint32_t i = 0; i < n; i++)
            slot[i] = rr[i];
    } else if (dep->placement == SC_PLACE_TOPOLOGY && pools) {
        /* Slot by slot in GPU order, the prefill pool's next instance whenever it is behind its share, so
         * that every NVLink domain holds prefill and decode instances in the pools' ratio and a handoff can
         * stay on NVLink. */
        uint32_t np = dep->disagg.prefill_instances, next_p = 0, next_d = np;
        for (uint32_t s = 0; s < n; s++) {
            bool take_p = next_p < np && ((uint64_t)(s + 1) * np > (uint64_t)next_p * n || next_d >= n);
            slot[take_p ? next_p++ : next_d++] = s;
        }
    } else {
        for (uint32_t i = 0; i < n; i++)
            slot[i] = i; /* packed; topology-aware without pools */
    }
    free(rr);
}

/* GPUs of one instance of a pool (0 prefill, 1 decode): deployment.disagg.<pool>_tp (or deployment.tp) x pp. */
static uint32_t pf_pool_gpus(const sc_deploy_t *dep, int pool)
{
    uint32_t tp = dep->disagg.enabled ? (pool ? dep->disagg.decode_tp : dep->disagg.prefill_tp) : 0;
    return (tp ? tp : dep->tp) * dep->pp;
}

/* Pools of different instance sizes (per-pool TP): the prefill pool packed from GPU 0, then the decode pool,
 * each instance on GPUs aligned to its size inside one node (so a size must divide the node's GPUs); a
 * domain is a node. 0, or -1 with one line. */
static int pf_layout_pools(platform_t *pf, const scenario_t *sc, uint64_t gpus, char *err, size_t errlen)
{
    const hw_pod_t *hw = &sc->hw;
    const sc_deploy_t *dep = &sc->deploy;
    uint32_t g[2] = {pf_pool_gpus(dep, 0), pf_pool_gpus(dep, 1)};
    static const char *const key[2] = {"prefill_tp", "decode_tp"};
    for (int k = 0; k < 2; k++)
        if (g[k] > hw->node.gpus || hw->node.gpus % g[k]) {
            snprintf(err, errlen,
                     "deployment.disagg.%s: pools of different TP need instances that tile a node (tp x pp dividing "
                     "its %u GPUs), got %u GPUs per instance",
                     key[k], hw->node.gpus, g[k]);
            return -1;
        }
    if (dep->placement != SC_PLACE_PACKED) {
        snprintf(err, errlen, "deployment.placement: pools of different TP are laid out packed; expected \"packed\"");
        return -1;
    }
    uint32_t np = dep->disagg.prefill_instances;
    uint64_t start_d = ((uint64_t)np * g[0] + g[1] - 1) / g[1] * g[1];
    uint64_t nd = dep->instances ? (dep->instances > np ? dep->instances - np : 0)
                                 : (gpus > start_d ? (gpus - start_d) / g[1] : 0);
    if (np == 0 || nd == 0 || start_d + nd * g[1] > gpus) {
        snprintf(err, errlen,
                 "deployment.disagg.prefill_instances: %u prefill instances of %u GPUs and %llu decode instances of "
                 "%u GPUs (at least one each) do not fit the pod's %llu GPUs",
                 np, g[0], (unsigned long long)nd, g[1], (unsigned long long)gpus);
        return -1;
    }
    pf->n_inst = np + (uint32_t)nd;
    pf->nodes_per_domain = 1;
    pf->inst_gpus = g[0];
    uint32_t nvl_gpus = hw->gpu.nvlink_domain_gpus ? hw->gpu.nvlink_domain_gpus : hw->node.gpus;
    pf->gpus_of_inst = calloc(pf->n_inst, sizeof *pf->gpus_of_inst);
    pf->domain_of_inst = calloc(pf->n_inst, sizeof *pf->domain_of_inst);
    pf->nvl_of_inst = calloc(pf->n_inst, sizeof *pf->nvl_of_inst);
    uint64_t end = 0;
    for (uint32_t i = 0; i < pf->n_inst; i++) {
        uint64_t off = i < np ? (uint64_t)i * g[0] : start_d + (uint64_t)(i - np) * g[1];
        pf->gpus_of_inst[i] = g[i < np ? 0 : 1];
        pf->domain_of_inst[i] = (uint32_t)(off / hw->node.gpus);
        pf->nvl_of_inst[i] = (uint32_t)(off / nvl_gpus);
        end = off + pf->gpus_of_inst[i];
    }
    pf->n_domains = (uint32_t)((end + hw->node.gpus - 1) / hw->node.gpus);
    pf->n_nodes = pf->n_domains;
    return 0;
}

int pf_build(platform_t *pf, const scenario_t *sc, char *err, size_t errlen)
{
    memset(pf, 0, sizeof *pf);
    const hw_pod_t *hw = &sc->hw;
    pf->hw = hw;
    const sc_deploy_t *dep = &sc->deploy;
    uint64_t gpus = hw_pod_gpus(hw);
    if (pf_pool_gpus(dep, 0) != pf_pool_gpus(dep, 1)) {
        if (pf_layout_pools(pf, sc, gpus, err, errlen))
            return -1;
        goto pools;
    }
    pf->inst_gpus = pf_pool_gpus(dep, 0);
    uint64_t max_inst = pf->inst_gpus ? gpus / pf->inst_gpus : 0;
    if (max_inst > UINT32_MAX) {
        snprintf(err, errlen, "hardware.nodes: the pod's %llu GPUs make more than 2^32 - 1 instances",
                 (unsigned long long)gpus);
        return -1;
    }
    pf->n_inst = dep->instances ? dep->instances : (uint32_t)max_inst;
    if (pf->n_inst == 0 || pf->n_inst > max_inst) {
        snprintf(err, errlen, "deployment: %u instances of %u GPUs (tp %u x pp %u) do not fit the pod's %llu GPUs",
                 pf->n_inst ? pf->n_inst : 1, pf->inst_gpus, dep->tp, dep->pp, (unsigned long long)gpus);
        return -1;
    }
    uint32_t inst_per_domain;
    if (pf->inst_gpus <= hw->node.gpus) {
        if (hw->node.gpus % pf->inst_gpus) {
            snprintf(err, errlen, "deployment: instances of %u GPUs do not tile nodes of %u GPUs", pf->inst_gpus,
                     hw->node.gpus);
            return -1;
        }
        pf->nodes_per_domain = 1;
        inst_per_domain = hw->node.gpus / pf->inst_gpus;
    } else {
        if (pf->inst_gpus % hw->node.gpus) {
            snprintf(err, errlen, "deployment: instances of %u GPUs do not span whole nodes of %u GPUs", pf->inst_gpus,
                     hw->node.gpus);
            return -1;
        }
        pf->nodes_per_domain = pf->inst_gpus / hw->node.gpus;
        inst_per_domain = 1;
    }
    pf->n_domains = (pf->n_inst + inst_per_domain - 1) / inst_per_domain;
    pf->n_nodes = pf->n_domains * pf->nodes_per_domain;
    /* Slots: the GPU groups instances occupy, in GPU order (slot s holds GPUs [s x inst_gpus, ...)); an
     * NVLink domain of G GPUs holds slots [k G / inst_gpus, ...). The placement maps instances onto slots. */
    uint32_t nvl_gpus = hw->gpu.nvlink_domain_gpus ? hw->gpu.nvlink_domain_gpus : hw->node.gpus;
    uint32_t per_nvl = nvl_gpus > pf->inst_gpus ? nvl_gpus / pf->inst_gpus : 1;
    uint32_t *slot = calloc(pf->n_inst, sizeof *slot);
    pf_place(pf->n_inst, per_nvl, dep, slot);
    pf->domain_of_inst = calloc(pf->n_inst, sizeof *pf->domain_of_inst);
    pf->nvl_of_inst = calloc(pf->n_inst, sizeof *pf->nvl_of_inst);
    for (uint32_t i = 0; i < pf->n_inst; i++) {
        pf->domain_of_inst[i] = slot[i] / inst_per_domain;
        pf->nvl_of_inst[i] = (uint32_t)(((uint64_t)slot[i] * pf->inst_gpus) / (nvl_gpus ? nvl_gpus : 1));
    }
    free(slot);
    pf->gpus_of_inst = calloc(pf->n_inst, sizeof *pf->gpus_of_inst);
    for (uint32_t i = 0; i < pf->n_inst; i++)
        pf->gpus_of_inst[i] = pf->inst_gpus;
pools:
    pf->inst_routes = dep->disagg.enabled;
    pf->peer_routes = sc->kv.peer_g2 && sc->kv.tier[KV_G2].enabled;
    if (pf->inst_routes) {
        pf->n_prefill = dep->disagg.prefill_instances;
        pf->any_pair = dep->disagg.planner.enabled;
        if (pf->n_prefill == 0 || pf->n_prefill >= pf->n_inst) {
            snprintf(err, errlen,
                     "deployment.disagg.prefill_instances: expected 1 to %u (the decode pool needs an instance of the "
                     "%u), got %u",
                     pf->n_inst - 1, pf->n_inst, pf->n_prefill);
            return -1;
        }
    }
    pf->n_icms = hw->icms.present ? hw->icms.enclosures : 0;
    pf->n_g4 = hw->g4.present ? hw->g4.servers : 0;
    pf->storage_via_gpu_nic = hw->node.storage_network == HW_STORAGE_NET_GPU_NIC;

    /* Leaves: compute attachments (front-end port of each domain, plus each instance's NICs when storage
     * traffic uses them) then storage attachments. */
    const hw_fabric_t *fab = &hw->fabric;
    double port_bw = gbit_to_byte_s(fab->port_gbit_s);
    uint32_t down = (uint32_t)floor(fab->leaf_ports * fab->oversubscription / (1.0 + fab->oversubscription));
    if (down < 1)
        down = 1;
    uint32_t up = fab->leaf_ports > down ? fab->leaf_ports - down : 1;
    double fe_bw = pf->nodes_per_domain * hw->node.dpus * gbit_to_byte_s(hw->node.dpu_gbit_s);
    double nic_bw = pf->inst_gpus * hw->node.nic_ports_per_gpu * gbit_to_byte_s(hw->node.nic_port_gbit_s);
    uint32_t n_attach = pf->n_domains + (pf->storage_via_gpu_nic ? pf->n_inst : 0);
    uint32_t *ports = calloc(n_attach + pf->n_icms + pf->n_g4 + 1, sizeof *ports);
    pf->leaf_of_attach = calloc(n_attach + 1, sizeof *pf->leaf_of_attach);
    for (uint32_t d = 0; d < pf->n_domains; d++)
        ports[d] = pf_ports_for(fe_bw, port_bw);
    for (uint32_t i = pf->n_domains; i < n_attach; i++)
        ports[i] = pf_ports_for(nic_bw, port_bw);
    pf->n_compute_leaves = pf_fill_leaves(ports, n_attach, down, 0, pf->leaf_of_attach);
    double eport_bw = hw->icms.dpus_per_enclosure * gbit_to_byte_s(hw->icms.dpu_network_gbit_s);
    double g4nic_bw = hw->g4.nic_ports_per_server * gbit_to_byte_s(hw->g4.nic_port_gbit_s);
    uint32_t *sports = ports + n_attach;
    for (uint32_t e = 0; e < pf->n_icms; e++)
        sports[e] = pf_ports_for(eport_bw, port_bw);
    for (uint32_t s = 0; s < pf->n_g4; s++)
        sports[pf->n_icms + s] = pf_ports_for(g4nic_bw, port_bw);
    uint32_t *leaf_storage = calloc(pf->n_icms + pf->n_g4 + 1, sizeof *leaf_storage);
    uint32_t storage_leaves = pf_fill_leaves(sports, pf->n_icms + pf->n_g4, down, pf->n_compute_leaves, leaf_storage);
    bool too_wide = pf->n_compute_leaves == 0 || (pf->n_icms + pf->n_g4 > 0 && storage_leaves == 0);
    free(ports);
    if (too_wide) {
        free(leaf_storage);
        snprintf(err, errlen,
                 "hardware.fabric: a node or storage attachment needs more ports than a leaf's %u downlinks", down);
        return -1;
    }
    pf->leaf_of_icms = calloc(pf->n_icms + 1, sizeof *pf->leaf_of_icms);
    pf->leaf_of_g4 = calloc(pf->n_g4 + 1, sizeof *pf->leaf_of_g4);
    memcpy(pf->leaf_of_icms, leaf_storage, pf->n_icms * sizeof *leaf_storage);
    memcpy(pf->leaf_of_g4, leaf_storage + pf->n_icms, pf->n_g4 * sizeof *leaf_storage);
    free(leaf_storage);
    pf->n_leaf = pf->n_compute_leaves + storage_leaves;
    uint32_t spine_ports = fab->spine_ports ? fab->spine_ports : fab->leaf_ports;
    if (pf->n_leaf > spine_ports) {
        snprintf(err, errlen,
                 "hardware.fabric: %u leaves exceed the %u ports of a spine (a third tier is not modelled)", pf->n_leaf,
                 spine_ports);
        return -1;
    }
    pf->n_spine = pf->n_leaf > 1 ? (up < PF_MAX_SPINES ? up : PF_MAX_SPINES) : 0;
    double eff = fab->routing == HW_ROUTING_ECMP ? fab->ecmp_efficiency : fab->adaptive_efficiency;
    /* Per-flow paths model the collisions the efficiency factors stand for: the uplinks keep line rate. */
    pf->per_flow = fab->per_flow_paths && pf->n_spine > 1;
    if (pf->per_flow)
        eff = 1;
    double up_bw = pf->n_spine ? (double)up / pf->n_spine * port_bw * eff : 0;

    pf->n_cls = fab->traffic_classes == HW_TC_KIND ? 3 : fab->traffic_classes == HW_TC_TENANT ? fab->tenants : 0;
    if (pf->n_cls > sizeof pf->cls_w / sizeof pf->cls_w[0]) {
        snprintf(err, errlen, "hardware.fabric.tenants: at most %zu traffic classes, got %u",
                 sizeof pf->cls_w / sizeof pf->cls_w[0], pf->n_cls);
        return -1;
    }
    for (uint32_t c = 0; c < pf->n_cls; c++)
        pf->cls_w[c] = fab->traffic_classes == HW_TC_TENANT ? 1.0
                       : c == 0                             ? fab->tc_load_weight
                       : c == 1                             ? fab->tc_writeback_weight
                                                            : fab->tc_prestage_weight;
    uint32_t max_links = 4 * pf->n_inst + 4 * pf->n_domains + pf->n_leaf * pf->n_spine + 4 * pf->n_icms + 4 * pf->n_g4 +
                         pf->n_cls * (pf->n_icms + pf->n_g4);
    pf->links = calloc(max_links + 1, sizeof *pf->links);
    const hw_gpu_t *g = &hw->gpu;
    const hw_node_t *nd = &hw->node;
    double npd = pf->nodes_per_domain;
    pf->l_c2c = pf_add_links(pf, "c2c", pf->n_inst, g->host_link_bandwidth_byte_s * pf->inst_gpus, true);
    pf->l_pcie = pf_add_links(pf, "pcie", pf->n_inst, g->pcie_bandwidth_byte_s * pf->inst_gpus, true);
    /* NVSwitch fabrics are non-blocking: only the instances' own NVLink ports contend. */
    pf->l_nvl =
        pf_add_links(pf, "nvl", pf->inst_routes ? pf->n_inst : 0, g->nvlink_bandwidth_byte_s * pf->inst_gpus, true);
    pf->l_nic = pf_add_links(pf, "nic", pf->storage_via_gpu_nic ? pf->n_inst : 0, nic_bw, true);
    /* Each instance's own links at its pool's GPU and size (per-pool hardware and TP). */
    for (uint32_t i = 0; i < pf->n_inst; i++) {
        const hw_gpu_t *gi = pf_inst_gpu(pf, sc, i);
        double n = pf->gpus_of_inst[i];
        pf->links[pf->l_c2c + i].bw_byte_s = gi->host_link_bandwidth_byte_s * n;
        pf->links[pf->l_pcie + i].bw_byte_s = gi->pcie_bandwidth_byte_s * n;
        if (pf->inst_routes)
            pf->links[pf->l_nvl + i].bw_byte_s = gi->nvlink_bandwidth_byte_s * n;
        if (pf->storage_via_gpu_nic)
            pf->links[pf->l_nic + i].bw_byte_s = nic_bw / pf->inst_gpus * n;
    }
    pf->l_dram = pf_add_links(pf, "dram", pf->n_domains, nd->dram_bandwidth_byte_s * npd, false);
    pf->l_nvme = pf_add_links(pf, "nvme", pf->n_domains, nd->nvme_drives * nd->nvme_read_byte_s * npd, false);
    pf->l_nvmew = pf_add_links(pf, "nvmew", pf->n_domains, nd->nvme_drives * nd->nvme_write_byte_s * npd, false);
    pf->l_fe = pf_add_links(pf, "fe", pf->n_domains, fe_bw, true);
    pf->l_up = pf_add_links(pf, "up", pf->n_leaf * pf->n_spine, up_bw, true);
    const hw_icms_t *ic = &hw->icms;
    pf->l_eport = pf_add_links(pf, "eport", pf->n_icms, eport_bw, true);
    /* Per-I/O caps of the DPUs and SSDs (storage_path.h); a DPU with every engine off and no command cost
     * caps nothing, which a link far faster than any port stands for. */
    double edpu_bw = sp_icms_dpu_byte_s(ic);
    pf->l_edpu = pf_add_links(pf, "edpu", pf->n_icms, isfinite(edpu_bw) ? edpu_bw : 1e18, false);
    pf->l_essd = pf_add_links(pf, "essd", pf->n_icms, sp_icms_ssd_byte_s(ic, false), false);
    pf->l_essdw = pf_add_links(pf, "essdw", pf->n_icms, sp_icms_ssd_byte_s(ic, true), false);
    const hw_g4_t *g4 = &hw->g4;
    double repl = g4->replication ? g4->replication : 1;
    pf->l_g4nic = pf_add_links(pf, "g4nic", pf->n_g4, g4nic_bw, true);
    /* The x86 controller: its throughput, or what its cores sustain at their per-I/O CPU cost. */
    pf->l_g4ctl = pf_add_links(pf, "g4ctl", pf->n_g4, fmin(g4->controller_byte_s, hw_g4_io_byte_s(g4)), false);
    pf->l_g4m = pf_add_links(pf, "g4m", pf->n_g4, g4->media_read_byte_s, false);
    pf->l_g4mw = pf_add_links(pf, "g4mw", pf->n_g4, g4->media_write_byte_s / repl, false);
    /* Traffic classes: each class's share of a storage port, as wide as the port until classes compete. */
    pf->l_cls = pf->n_links;
    for (uint32_t k = 0; k < (pf->n_cls ? pf->n_icms + pf->n_g4 : 0); k++)
        for (uint32_t c = 0; c < pf->n_cls; c++) {
            pf_link_t *l = &pf->links[pf_add_links(pf, "cls", 1, k < pf->n_icms ? eport_bw : g4nic_bw, true)];
            bool enc = k < pf->n_icms;
            uint32_t j = enc ? k : k - pf->n_icms;
            snprintf(l->name, sizeof l->name, "cls-%c%u.%u", enc ? 'e' : 'g', j, c);
            /* The share is of what the endpoint serves: reads (UP) and writes (DOWN) through its slowest stage. */
            const pf_link_t *L = pf->links;
            double front = enc ? fmin(L[pf->l_eport + j].bw_byte_s, L[pf->l_edpu + j].bw_byte_s)
                               : fmin(L[pf->l_g4nic + j].bw_byte_s, L[pf->l_g4ctl + j].bw_byte_s);
            l->dir_bw[0] = fmin(front, L[(enc ? pf->l_essd : pf->l_g4m) + j].bw_byte_s);
            l->dir_bw[1] = fmin(front, L[(enc ? pf->l_essdw : pf->l_g4mw) + j].bw_byte_s);
        }
    assert(pf->n_links <= max_links);
    for (uint32_t l = 0; l < pf->n_links; l++) {
        if (!(pf->links[l].bw_byte_s > 0)) {
            snprintf(err, errlen, "hardware: link %s has no bandwidth (check the preset's bandwidth fields)",
                     pf->links[l].name);
            return -1;
        }
    }
    pf->ethernet_j_per_byte = hw->energy.ethernet_j_per_byte;
    pf->optics_j_per_byte = fab->optics_j_per_byte;
    return 0;
}

const hw_gpu_t *pf_inst_gpu(const platform_t *pf, const scenario_t *sc, uint32_t inst)
{
    (void)pf;
    const sc_disagg_t *dg = &sc->deploy.disagg;
    return dg->enabled ? &sc->pool_gpu[inst < dg->prefill_instances ? 0 : 1] : &sc->hw.gpu;
}

void pf_free(platform_t *pf)
{
    free(pf->gpus_of_inst);
    free(pf->domain_of_inst);
    free(pf->nvl_of_inst);
    free(pf->leaf_of_attach);
    free(pf->leaf_of_icms);
    free(pf->leaf_of_g4);
    free(pf->links);
    memset(pf, 0, sizeof *pf);
}

void pf_host_name(pf_ep_t ep, char *buf, size_t len)
{
    static const char *const prefix[PF_KINDS] = {"inst", "cpu", "ssd", "icms", "g4"};
    snprintf(buf, len, "%s-%u", prefix[ep.kind], ep.idx);
}

static void pf_hop(pf_route_t *r, uint32_t link, int down)
{
    assert(r->n < PF_MAX_HOPS);
    r->hop[r->n].link = link;
    r->hop[r->n].down = (uint8_t)down;
    r->n++;
}

/* Host memory of domain d. */
static void pf_dram_hop(const platform_t *pf, uint32_t d, pf_route_t *r)
{
    pf_hop(r, pf->l_dram + d, 0);
    r->j_per_byte[EN_DRAM] += pf->hw->energy.dram_j_per_byte;
}

/* The local NVMe of domain d, written to (data flows into it) or read from. */
static void pf_nvme_hops(const platform_t *pf, uint32_t d, bool write, pf_route_t *r)
{
    const hw_energy_t *en = &pf->hw->energy;
    if (write)
        pf_hop(r, pf->l_nvmew + d, 0);
    r->j_per_byte[EN_LOCAL_SSD] +=
        (write ? en->ssd_write_j_per_byte : en->ssd_read_j_per_byte) + pw_ssd_io_j_per_byte(pf->hw);
    pf_hop(r, pf->l_nvme + d, 0);
    r->latency_s += pf->hw->node.nvme_latency_s;
}

/* Domain of a domain-local endpoint. */
static uint32_t pf_domain_of(const platform_t *pf, pf_ep_t ep)
{
    return ep.kind == PF_INST ? pf->domain_of_inst[ep.idx] : ep.idx;
}

static bool pf_is_local(pf_ep_t ep)
{
    return ep.kind == PF_INST || ep.kind == PF_CPU || ep.kind == PF_SSD;
}

/* Local-side hops from a domain endpoint to its network port (or back, if inbound); returns its leaf. */
static uint32_t pf_local_side(const platform_t *pf, pf_ep_t ep, bool inbound, pf_route_t *r)
{
    const hw_pod_t *hw = pf->hw;
    const hw_energy_t *en = &hw->energy;
    uint32_t d = pf_domain_of(pf, ep);
    int dir = inbound ? 1 : 0;
    switch (ep.kind) {
    case PF_INST:
        pf_hop(r, pf->l_pcie + ep.idx, dir);
        r->j_per_byte[EN_LINKS] += en->pcie_j_per_byte;
        r->latency_s += hw->gpu.host_link_latency_s;
        if (pf->storage_via_gpu_nic) {
            pf_hop(r, pf->l_nic + ep.idx, dir);
            r->j_per_byte[EN_NIC] += pw_nic_load_j_per_byte(&hw->node);
            return pf->leaf_of_attach[pf->n_domains + ep.idx];
        }
        break;
    case PF_CPU:
        pf_dram_hop(pf, d, r);
        break;
    default: /* PF_SSD */
        pf_nvme_hops(pf, d, inbound, r);
        break;
    }
    pf_hop(r, pf->l_fe + d, dir);
    r->j_per_byte[EN_DPU] += pw_dpu_load_j_per_byte(&hw->node);
    return pf->leaf_of_attach[d];
}

/* Storage-side hops of an ICMS enclosure or G4 server; returns its leaf. */
static uint32_t pf_storage_side(const platform_t *pf, pf_ep_t ep, bool inbound, pf_route_t *r)
{
    const hw_pod_t *hw = pf->hw;
    const hw_energy_t *en = &hw->energy;
    int dir = inbound ? 1 : 0;
    if (ep.kind == PF_ICMS) {
        pf_hop(r, pf->l_eport + ep.idx, dir);
        pf_hop(r, pf->l_edpu + ep.idx, 0);
        if (inbound)
            pf_hop(r, pf->l_essdw + ep.idx, 0);
        pf_hop(r, pf->l_essd + ep.idx, 0);
        /* The DPU's load share per byte (power.h) and, when configured, its crypto and CRC engines' own energy. */
        r->j_per_byte[EN_ICMS] += (inbound ? en->ssd_write_j_per_byte : en->ssd_read_j_per_byte) +
                                  pw_icms_ssd_io_j_per_byte(hw) + pw_icms_dpu_load_j_per_byte(&hw->icms) +
                                  sp_icms_engine_j_per_byte(&hw->icms);
        r->latency_s += sp_icms_latency_s(&hw->icms);
        return pf->leaf_of_icms[ep.idx];
    }
    assert(ep.kind == PF_G4);
    double repl = hw->g4.replication ? hw->g4.replication : 1;
    pf_hop(r, pf->l_g4nic + ep.idx, dir);
    pf_hop(r, pf->l_g4ctl + ep.idx, 0);
    if (inbound)
        pf_hop(r, pf->l_g4mw + ep.idx, 0);
    pf_hop(r, pf->l_g4m + ep.idx, 0);
    r->j_per_byte[EN_G4] += inbound ? en->ssd_write_j_per_byte * repl : en->ssd_read_j_per_byte;
    /* The controller draws its busy power in proportion to the bytes it serves. */
    r->j_per_byte[EN_G4] += (hw->g4.server_w - hw->g4.server_idle_w) / hw->g4.controller_byte_s;
    r->latency_s += sp_g4_latency_s(&hw->g4);
    return pf->leaf_of_g4[ep.idx];
}

static uint32_t pf_spine_of(const platform_t *pf, uint32_t a, uint32_t b)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    return (uint32_t)(kvt_mix64(lo << 32 | hi) % pf->n_spine);
}

/* Hops across the fabric from leaf a to leaf b (none if they are the same leaf). */
static void pf_fabric(const platform_t *pf, uint32_t leaf_a, uint32_t leaf_b, uint32_t key_a, uint32_t key_b,
                      int64_t spine, pf_route_t *r)
{
    const hw_pod_t *hw = pf->hw;
    double nic_j = pf->ethernet_j_per_byte * 2; /* the sending and the receiving port */
    r->latency_s += 2 * hw->node.nic_latency_s;
    if (leaf_a == leaf_b) {
        r->latency_s += hw->fabric.switch_latency_s;
        r->j_per_byte[EN_NIC] += nic_j;
        r->j_per_byte[EN_SWITCH] += 2 * pf->optics_j_per_byte;
        return;
    }
    uint32_t s = spine >= 0 ? (uint32_t)spine : pf_spine_of(pf, key_a, key_b);
    pf_hop(r, pf->l_up + leaf_a * pf->n_spine + s, 0);
    pf_hop(r, pf->l_up + leaf_b * pf->n_spine + s, 1);
    r->latency_s += 3 * hw->fabric.switch_latency_s;
    r->j_per_byte[EN_NIC] += nic_j;
    r->j_per_byte[EN_SWITCH] += 4 * pf->optics_j_per_byte;
}

/* A unique key per attachment point, for the spine hash. */
static uint32_t pf_attach_key(const platform_t *pf, pf_ep_t ep)
{
    switch (ep.kind) {
    case PF_ICMS:
        return 0x40000000u + ep.idx;
    case PF_G4:
        return 0x50000000u + ep.idx;
    case PF_INST:
        if (pf->storage_via_gpu_nic)
            return 0x10000000u + ep.idx;
        return pf->domain_of_inst[ep.idx];
    default:
        return ep.idx;
    }
}

uint32_t pf_count(const platform_t *pf, int kind)
{
    switch (kind) {
    case PF_INST:
        return pf->n_inst;
    case PF_CPU:
    case PF_SSD:
        return pf->n_domains;
    case PF_ICMS:
        return pf->n_icms;
    default:
        return pf->n_g4;
    }
}

bool pf_same_nvlink(const platform_t *pf, uint32_t a, uint32_t b)
{
    return pf->nvl_of_inst[a] == pf->nvl_of_inst[b];
}

/* Peer KV (kv.peer_g2): a domain's host memory and another domain's instances, over the fabric. */
static bool pf_peer_pair(const platform_t *pf, pf_ep_t a, pf_ep_t b)
{
    return pf->peer_routes && ((a.kind == PF_CPU && b.kind == PF_INST) || (a.kind == PF_INST && b.kind == PF_CPU));
}

bool pf_has_route(const platform_t *pf, pf_ep_t src, pf_ep_t dst)
{
    if (src.kind == PF_INST && dst.kind == PF_INST)
        return pf->inst_routes && src.idx != dst.idx && src.idx < pf->n_inst && dst.idx < pf->n_inst;
    if (src.kind == dst.kind || src.idx >= pf_count(pf, src.kind) || dst.idx >= pf_count(pf, dst.kind))
        return false;
    bool ls = pf_is_local(src), ld = pf_is_local(dst);
    if (ls && ld)
        return pf_domain_of(pf, src) == pf_domain_of(pf, dst) || pf_peer_pair(pf, src, dst);
    return true;
}

static void pf_route_via(const platform_t *pf, pf_ep_t src, pf_ep_t dst, int64_t spine, pf_route_t *r);

void pf_route(const platform_t *pf, pf_ep_t src, pf_ep_t dst, pf_route_t *r)
{
    pf_route_via(pf, src, dst, -1, r);
}

void pf_route_spine(const platform_t *pf, pf_ep_t src, pf_ep_t dst, uint32_t spine, pf_route_t *r)
{
    assert(spine < pf->n_spine);
    pf_route_via(pf, src, dst, spine, r);
}

uint32_t pf_uplink(const platform_t *pf, uint32_t leaf, uint32_t spine)
{
    return pf->l_up + leaf * pf->n_spine + spine;
}

void pf_alias_name(pf_ep_t ep, uint32_t spine, char *buf, size_t len)
{
    char base[24];
    pf_host_name(ep, base, sizeof base);
    snprintf(buf, len, "%s~s%u", base, spine);
}

void pf_class_alias_name(pf_ep_t ep, uint32_t c, char *buf, size_t len)
{
    char base[24];
    pf_host_name(ep, base, sizeof base);
    snprintf(buf, len, "%s~c%u", base, c);
}

void pf_flow_class_alias_name(pf_ep_t ep, uint32_t spine, uint32_t c, char *buf, size_t len)
{
    char base[24];
    pf_host_name(ep, base, sizeof base);
    snprintf(buf, len, "%s~s%u~c%u", base, spine, c);
}

uint32_t pf_class_link(const platform_t *pf, pf_ep_t ep, uint32_t c)
{
    uint32_t k = ep.kind == PF_ICMS ? ep.idx : pf->n_icms + ep.idx;
    return pf->l_cls + k * pf->n_cls + c;
}

static uint32_t pf_leaf_of(const platform_t *pf, pf_ep_t ep)
{
    switch (ep.kind) {
    case PF_ICMS:
        return pf->leaf_of_icms[ep.idx];
    case PF_G4:
        return pf->leaf_of_g4[ep.idx];
    case PF_INST:
        if (pf->storage_via_gpu_nic)
            return pf->leaf_of_attach[pf->n_domains + ep.idx];
        return pf->leaf_of_attach[pf->domain_of_inst[ep.idx]];
    default:
        return pf->leaf_of_attach[ep.idx];
    }
}

uint32_t pf_ep_leaf(const platform_t *pf, pf_ep_t ep)
{
    return pf_leaf_of(pf, ep);
}

bool pf_route_networked(const platform_t *pf, pf_ep_t src, pf_ep_t dst)
{
    if (src.kind == PF_INST && dst.kind == PF_INST && pf_same_nvlink(pf, src.idx, dst.idx))
        return false;
    bool ls = pf_is_local(src), ld = pf_is_local(dst);
    return !(ls && ld && !(src.kind == PF_INST && dst.kind == PF_INST) &&
             pf_domain_of(pf, src) == pf_domain_of(pf, dst));
}

bool pf_route_leaves(const platform_t *pf, pf_ep_t src, pf_ep_t dst, uint32_t *leaf_a, uint32_t *leaf_b)
{
    if (pf_is_local(src) && pf_is_local(dst))
        return false;
    *leaf_a = pf_leaf_of(pf, src);
    *leaf_b = pf_leaf_of(pf, dst);
    return *leaf_a != *leaf_b;
}

static void pf_route_via(const platform_t *pf, pf_ep_t src, pf_ep_t dst, int64_t spine, pf_route_t *r)
{
    assert(pf_has_route(pf, src, dst));
    memset(r, 0, sizeof *r);
    const hw_pod_t *hw = pf->hw;
    const hw_energy_t *en = &hw->energy;
    /* The host's cores submit and complete every KV I/O, wherever its bytes go. */
    r->j_per_byte[EN_HOST_CPU] += pw_host_io_j_per_byte(&hw->node);
    bool ls = pf_is_local(src), ld = pf_is_local(dst);
    if (src.kind == PF_INST && dst.kind == PF_INST && pf_same_nvlink(pf, src.idx, dst.idx)) {
        /* GPU to GPU over the NVLink switches: out of the source's ports, into the destination's. */
        pf_hop(r, pf->l_nvl + src.idx, 0);
        pf_hop(r, pf->l_nvl + dst.idx, 1);
        r->j_per_byte[EN_LINKS] += en->nvlink_j_per_byte;
        r->latency_s += hw->gpu.host_link_latency_s;
        return;
    }
    if (ls && ld && !(src.kind == PF_INST && dst.kind == PF_INST) && pf_domain_of(pf, src) == pf_domain_of(pf, dst)) {
        /* Inside a domain: GPU <-> host memory over C2C/PCIe, GPU <-> NVMe over PCIe, host <-> NVMe. */
        pf_ep_t a = src.kind < dst.kind ? src : dst, b = src.kind < dst.kind ? dst : src;
        bool forward = a.kind == src.kind; /* data flows a -> b */
        uint32_t d = pf_domain_of(pf, a);
        if (a.kind == PF_INST) {
            uint32_t first = b.kind == PF_CPU ? pf->l_c2c : pf->l_pcie;
            pf_hop(r, first + a.idx, forward ? 0 : 1);
            r->j_per_byte[EN_LINKS] += b.kind == PF_CPU ? en->c2c_j_per_byte : en->pcie_j_per_byte;
            r->latency_s += hw->gpu.host_link_latency_s;
        } else {
            pf_dram_hop(pf, d, r);
        }
        if (b.kind == PF_CPU) {
            if (a.kind == PF_INST)
                pf_dram_hop(pf, d, r);
        } else {
            pf_nvme_hops(pf, d, forward, r);
        }
        return;
    }
    uint32_t leaf_a, leaf_b;
    if (ls)
        leaf_a = pf_local_side(pf, src, false, r);
    else
        leaf_a = pf_storage_side(pf, src, false, r);
    if (ld)
        leaf_b = pf_local_side(pf, dst, true, r);
    else
        leaf_b = pf_storage_side(pf, dst, true, r);
    pf_fabric(pf, leaf_a, leaf_b, pf_attach_key(pf, src), pf_attach_key(pf, dst), spine, r);
}

double pf_route_share_byte_s(const platform_t *pf, const pf_route_t *r)
{
    double best = INFINITY;
    for (uint8_t i = 0; i < r->n; i++) {
        const pf_link_t *l = &pf->links[r->hop[i].link];
        uint32_t active = l->splitduplex ? l->active[r->hop[i].down] : l->active[0] + l->active[1];
        double share = l->bw_byte_s / (active + 1.0);
        if (share < best)
            best = share;
    }
    return best;
}

double pf_route_peak_byte_s(const platform_t *pf, const pf_route_t *r)
{
    double best = INFINITY;
    for (uint8_t i = 0; i < r->n; i++)
        if (pf->links[r->hop[i].link].bw_byte_s < best)
            best = pf->links[r->hop[i].link].bw_byte_s;
    return best;
}

void pf_route_begin(platform_t *pf, const pf_route_t *r)
{
    for (uint8_t i = 0; i < r->n; i++)
        pf->links[r->hop[i].link].active[r->hop[i].down]++;
}

void pf_route_end(platform_t *pf, const pf_route_t *r)
{
    for (uint8_t i = 0; i < r->n; i++) {
        pf_link_t *l = &pf->links[r->hop[i].link];
        assert(l->active[r->hop[i].down] > 0);
        l->active[r->hop[i].down]--;
    }
}

uint32_t pf_icms_of_block(const platform_t *pf, uint64_t block_id)
{
    assert(pf->n_icms > 0);
    return (uint32_t)(kvt_mix64(block_id) % pf->n_icms);
}

uint32_t pf_g4_of_block(const platform_t *pf, uint64_t block_id)
{
    assert(pf->n_g4 > 0);
    return (uint32_t)(kvt_mix64(block_id ^ 0x5bd1e995u) % pf->n_g4);
}

/* ---- XML ---------------------------------------------------------------------------------------------- */

/* One <route> from host src to host dst: the class link cls first (UINT32_MAX: none; UP towards the local
 * end when up is true), then r's hops. */
static void pf_xml_route_elem(FILE *f, const platform_t *pf, const char *src, const char *dst, uint32_t cls, bool up,
                              const pf_route_t *r)
{
    fprintf(f, "<route src=\"%s\" dst=\"%s\" symmetrical=\"NO\">", src, dst);
    if (cls != UINT32_MAX)
        fprintf(f, "<link_ctn id=\"%s\" direction=\"%s\"/>", pf->links[cls].name, up ? "UP" : "DOWN");
    for (uint8_t i = 0; i < r->n; i++) {
        const pf_link_t *l = &pf->links[r->hop[i].link];
        if (l->splitduplex)
            fprintf(f, "<link_ctn id=\"%s\" direction=\"%s\"/>", l->name, r->hop[i].down ? "DOWN" : "UP");
        else
            fprintf(f, "<link_ctn id=\"%s\"/>", l->name);
    }
    fprintf(f, "</route>\n");
}

static void pf_xml_route(FILE *f, const platform_t *pf, pf_ep_t src, pf_ep_t dst)
{
    char a[32], b[32];
    pf_host_name(src, a, sizeof a);
    pf_host_name(dst, b, sizeof b);
    pf_route_t r;
    pf_route(pf, src, dst, &r);
    pf_xml_route_elem(f, pf, a, b, UINT32_MAX, false, &r);
}

static void pf_xml_pair(FILE *f, const platform_t *pf, pf_ep_t a, pf_ep_t b)
{
    pf_xml_route(f, pf, a, b);
    pf_xml_route(f, pf, b, a);
}

/* Per-flow paths: routes between a and the alias of storage endpoint b over each spine; with traffic
 * classes (classes true: a is local) also one per spine and class, carrying the class's link. */
static void pf_xml_alias_routes(FILE *f, const platform_t *pf, pf_ep_t a, pf_ep_t b, bool classes)
{
    if (!pf->per_flow)
        return;
    char na[32], nb[48];
    pf_host_name(a, na, sizeof na);
    uint32_t n_cls = classes ? pf->n_cls : 0;
    for (uint32_t s = 0; s < pf->n_spine; s++)
        for (uint32_t c = 0; c <= n_cls; c++) {
            /* c == n_cls: the spine's plain alias */
            if (c < n_cls)
                pf_flow_class_alias_name(b, s, c, nb, sizeof nb);
            else
                pf_alias_name(b, s, nb, sizeof nb);
            uint32_t cls = c < n_cls ? pf_class_link(pf, b, c) : UINT32_MAX;
            for (int dir = 0; dir < 2; dir++) {
                pf_route_t r;
                pf_route_spine(pf, dir ? b : a, dir ? a : b, s, &r);
                pf_xml_route_elem(f, pf, dir ? nb : na, dir ? na : nb, cls, dir, &r);
            }
        }
}

/* Traffic classes: routes between local endpoint a and the class aliases of storage endpoint b, each the
 * pair's route plus the class's link (storage -> local UP, local -> storage DOWN). */
static void pf_xml_class_routes(FILE *f, const platform_t *pf, pf_ep_t a, pf_ep_t b)
{
    char na[32], nb[40];
    pf_host_name(a, na, sizeof na);
    for (uint32_t c = 0; c < pf->n_cls; c++) {
        pf_class_alias_name(b, c, nb, sizeof nb);
        for (int dir = 0; dir < 2; dir++) {
            pf_route_t r;
            pf_route(pf, dir ? b : a, dir ? a : b, &r);
            pf_xml_route_elem(f, pf, dir ? nb : na, dir ? na : nb, pf_class_link(pf, b, c), dir, &r);
        }
    }
}

int pf_write_xml(const platform_t *pf, const char *path, char *err, size_t errlen)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write (%s)", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n<zone id=\"pod\" routing=\"Full\">\n");
    for (int k = 0; k < PF_KINDS; k++) {
        for (uint32_t i = 0; i < pf_count(pf, k); i++) {
            char name[32];
            pf_host_name((pf_ep_t){(uint8_t)k, i}, name, sizeof name);
            fprintf(f, "<host id=\"%s\" speed=\"1f\"/>\n", name);
            for (uint32_t c = 0; (k == PF_ICMS || k == PF_G4) && c < pf->n_cls; c++) {
                char alias[40];
                pf_class_alias_name((pf_ep_t){(uint8_t)k, i}, c, alias, sizeof alias);
                fprintf(f, "<host id=\"%s\" speed=\"1f\"/>\n", alias);
            }
            if (pf->per_flow && (k == PF_ICMS || k == PF_G4)) {
                for (uint32_t sp = 0; sp < pf->n_spine; sp++) {
                    char alias[40];
                    pf_alias_name((pf_ep_t){(uint8_t)k, i}, sp, alias, sizeof alias);
                    fprintf(f, "<host id=\"%s\" speed=\"1f\"/>\n", alias);
                    for (uint32_t c = 0; c < pf->n_cls; c++) {
                        char fc[48];
                        pf_flow_class_alias_name((pf_ep_t){(uint8_t)k, i}, sp, c, fc, sizeof fc);
                        fprintf(f, "<host id=\"%s\" speed=\"1f\"/>\n", fc);
                    }
                }
            }
        }
    }
    for (uint32_t l = 0; l < pf->n_links; l++) {
        const pf_link_t *k = &pf->links[l];
        fprintf(f, "<link id=\"%s\" bandwidth=\"%.17gBps\" latency=\"0s\" sharing_policy=\"%s\"/>\n", k->name,
                k->bw_byte_s, k->splitduplex ? "SPLITDUPLEX" : "SHARED");
    }
    for (uint32_t d = 0; d < pf->n_domains; d++) {
        pf_ep_t cpu = {PF_CPU, d}, ssd = {PF_SSD, d};
        pf_ep_t locals[64];
        uint32_t nl = 0;
        locals[nl++] = cpu;
        locals[nl++] = ssd;
        pf_xml_pair(f, pf, cpu, ssd);
        for (uint32_t i = 0; i < pf->n_inst; i++) {
            if (pf->domain_of_inst[i] != d)
                continue;
            pf_ep_t inst = {PF_INST, i};
            pf_xml_pair(f, pf, inst, cpu);
            pf_xml_pair(f, pf, inst, ssd);
            if (nl < 64)
                locals[nl++] = inst;
        }
        for (uint32_t j = 0; j < nl; j++) {
            for (uint32_t e = 0; e < pf->n_icms; e++) {
                pf_xml_pair(f, pf, locals[j], (pf_ep_t){PF_ICMS, e});
                pf_xml_alias_routes(f, pf, locals[j], (pf_ep_t){PF_ICMS, e}, true);
                pf_xml_class_routes(f, pf, locals[j], (pf_ep_t){PF_ICMS, e});
            }
            for (uint32_t s = 0; s < pf->n_g4; s++) {
                pf_xml_pair(f, pf, locals[j], (pf_ep_t){PF_G4, s});
                pf_xml_alias_routes(f, pf, locals[j], (pf_ep_t){PF_G4, s}, true);
                pf_xml_class_routes(f, pf, locals[j], (pf_ep_t){PF_G4, s});
            }
        }
    }
    for (uint32_t e = 0; e < pf->n_icms; e++) {
        for (uint32_t s = 0; s < pf->n_g4; s++) {
            pf_xml_pair(f, pf, (pf_ep_t){PF_ICMS, e}, (pf_ep_t){PF_G4, s});
            pf_xml_alias_routes(f, pf, (pf_ep_t){PF_G4, s}, (pf_ep_t){PF_ICMS, e}, false);
        }
    }
    /* Peer KV: every domain's host memory to the instances of the other domains. */
    if (pf->peer_routes)
        for (uint32_t d = 0; d < pf->n_domains; d++)
            for (uint32_t i = 0; i < pf->n_inst; i++)
                if (pf->domain_of_inst[i] != d)
                    pf_xml_pair(f, pf, (pf_ep_t){PF_CPU, d}, (pf_ep_t){PF_INST, i});
    /* Disaggregation: every prefill instance [0, pf->n_prefill) to every decode instance; with the planner,
     * which moves the boundary, every pair. */
    if (pf->inst_routes)
        for (uint32_t a = 0; a < (pf->any_pair ? pf->n_inst : pf->n_prefill); a++)
            for (uint32_t b = pf->any_pair ? a + 1 : pf->n_prefill; b < pf->n_inst; b++)
                pf_xml_pair(f, pf, (pf_ep_t){PF_INST, a}, (pf_ep_t){PF_INST, b});
    fprintf(f, "</zone>\n</platform>\n");
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
