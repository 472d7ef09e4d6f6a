/* Derived hardware figures; see hw.h.
 * Fabric: a two-tier leaf-spine sized for the endpoints it joins (every GPU NIC port, node DPU, ICMS DPU
 * and G4 server port at the fabric's port speed); leaves split their radix between host-facing and
 * spine-facing ports by the oversubscription ratio. This is a sizing model for power, cost and the
 * platform generator, not a routing model: contention is simulated on the links it describes.
 * Tier bandwidths are aggregates of the narrowest element on each path (HBM; host link or DRAM; NVMe
 * drives; ICMS DPU network, crypto engines or SSDs; G4 NICs, controllers, CPU I/O rate or media).
 * A spine switch of larger radix than the leaves counts, for power and price, as spine_ports / leaf_ports
 * leaf switches (one ASIC per leaf radix). */
#include "models/hw.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "models/llm.h"

void hw_pod_defaults(hw_pod_t *p)
{
    memset(p, 0, sizeof *p);
    p->energy.pue = 1.0;
    p->fabric.routing = HW_ROUTING_ADAPTIVE;
    p->g4.replication = 1;
    p->fabric.roce_cc_incast_flows = 8;
    p->fabric.roce_cc_min_efficiency = 1.0;
    p->fabric.tenants = 2;
    p->fabric.tc_load_weight = p->fabric.tc_writeback_weight = p->fabric.tc_prestage_weight = 1.0;
}

static bool hw_calib_present(const st_calib_t *c)
{
    return c->compute_efficiency > 0;
}

const st_calib_t *hw_gpu_calib(const hw_gpu_t *g, int compute_dtype)
{
    if (compute_dtype == LLM_DT_FP4 && hw_calib_present(&g->calib_fp4))
        return &g->calib_fp4;
    if (compute_dtype != LLM_DT_BF16 && hw_calib_present(&g->calib_fp8))
        return &g->calib_fp8;
    return &g->calib;
}

double hw_gpu_peak_flop_s(const hw_gpu_t *g, int compute_dtype)
{
    switch (compute_dtype) {
    case LLM_DT_FP8:
        return g->fp8_dense_flop_s;
    case LLM_DT_FP4:
        return g->fp4_dense_flop_s;
    default:
        return g->bf16_dense_flop_s;
    }
}

static int hw_fail(char *path, size_t pathlen, char *msg, size_t msglen, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int hw_fail(char *path, size_t pathlen, char *msg, size_t msglen, const char *key, const char *fmt, ...)
{
    snprintf(path, pathlen, "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
    return -1;
}

#define HW_NEED_POS(val, key, what)                                                                                    \
    do {                                                                                                               \
        if (!((val) > 0))                                                                                              \
            return hw_fail(path, pathlen, msg, msglen, key, "expected a value > 0 " what ", got %g", (double)(val));   \
    } while (0)

static int hw_check_calib(const st_calib_t *c, bool required, const char *key, char *path, size_t pathlen, char *msg,
                          size_t msglen)
{
    if (!hw_calib_present(c)) {
        if (!required)
            return 0;
        return hw_fail(path, pathlen, msg, msglen, key,
                       "missing calibration: compute_efficiency must be > 0 (got %g); run kvtwin fit",
                       c->compute_efficiency);
    }
    char k[64];
    const double eff[3] = {c->compute_efficiency, c->memory_efficiency, c->comm_efficiency};
    static const char *const names[3] = {"compute_efficiency", "memory_efficiency", "comm_efficiency"};
    for (int i = 0; i < 3; i++) {
        if (!(eff[i] > 0 && eff[i] <= 1)) {
            snprintf(k, sizeof k, "%s.%s", key, names[i]);
            return hw_fail(path, pathlen, msg, msglen, k, "an efficiency must be in (0, 1], got %g", eff[i]);
        }
    }
    return 0;
}

int hw_pod_check(const hw_pod_t *p, char *path, size_t pathlen, char *msg, size_t msglen)
{
    const hw_gpu_t *g = &p->gpu;
    const hw_node_t *n = &p->node;
    HW_NEED_POS(p->nodes, "nodes", "(compute nodes)");
    HW_NEED_POS(g->hbm_capacity_bytes, "gpu.hbm_capacity_bytes", "bytes");
    HW_NEED_POS(g->hbm_bandwidth_byte_s, "gpu.hbm_bandwidth_byte_s", "bytes/s");
    HW_NEED_POS(g->bf16_dense_flop_s, "gpu.bf16_dense_flop_s", "FLOP/s");
    HW_NEED_POS(g->nvlink_bandwidth_byte_s, "gpu.nvlink_bandwidth_byte_s", "bytes/s");
    HW_NEED_POS(g->host_link_bandwidth_byte_s, "gpu.host_link_bandwidth_byte_s", "bytes/s");
    HW_NEED_POS(g->tdp_w, "gpu.tdp_w", "W");
    if (g->idle_w >= g->tdp_w)
        return hw_fail(path, pathlen, msg, msglen, "gpu.idle_w", "idle power %g W must be below the TDP", g->idle_w);
    if (g->power_cap_w != 0 && (g->power_cap_w <= g->idle_w || g->power_cap_w > g->tdp_w))
        return hw_fail(path, pathlen, msg, msglen, "gpu.power_cap_w",
                       "a power cap of %g W must lie above the idle power and at most the TDP (0 = none)",
                       g->power_cap_w);
    HW_NEED_POS(n->gpus, "node.gpus", "(GPUs per node)");
    if (g->nvlink_domain_gpus < n->gpus || g->nvlink_domain_gpus % n->gpus != 0)
        return hw_fail(path, pathlen, msg, msglen, "gpu.nvlink_domain_gpus",
                       "the NVLink domain (%u GPUs) must be a whole number of %u-GPU nodes", g->nvlink_domain_gpus,
                       n->gpus);
    if (hw_check_calib(&g->calib, true, "gpu.calib", path, pathlen, msg, msglen) ||
        hw_check_calib(&g->calib_fp8, false, "gpu.calib_fp8", path, pathlen, msg, msglen) ||
        hw_check_calib(&g->calib_fp4, false, "gpu.calib_fp4", path, pathlen, msg, msglen))
        return -1;
    /* A calibration for a precision the GPU lacks is never used (st_model_create refuses that precision),
     * so overriding fp8_dense_flop_s to 0 on a preset stays valid. */

    HW_NEED_POS(n->cpus, "node.cpus", "(host CPUs per node)");
    HW_NEED_POS(n->dram_capacity_bytes, "node.dram_capacity_bytes", "bytes");
    HW_NEED_POS(n->dram_bandwidth_byte_s, "node.dram_bandwidth_byte_s", "bytes/s");
    HW_NEED_POS(n->nic_ports_per_gpu, "node.nic_ports_per_gpu", "(scale-out ports per GPU)");
    HW_NEED_POS(n->nic_port_gbit_s, "node.nic_port_gbit_s", "Gbit/s");
    if (n->cpu_max_w < n->cpu_idle_w)
        return hw_fail(path, pathlen, msg, msglen, "node.cpu_max_w", "CPU max power %g W is below its idle power",
                       n->cpu_max_w);
    if (n->nvme_drives > 0) {
        HW_NEED_POS(n->nvme_capacity_bytes, "node.nvme_capacity_bytes", "bytes when node.nvme_drives > 0");
        HW_NEED_POS(n->nvme_read_byte_s, "node.nvme_read_byte_s", "bytes/s when node.nvme_drives > 0");
        HW_NEED_POS(n->nvme_write_byte_s, "node.nvme_write_byte_s", "bytes/s when node.nvme_drives > 0");
    }
    if (n->dpus > 0)
        HW_NEED_POS(n->dpu_gbit_s, "node.dpu_gbit_s", "Gbit/s when node.dpus > 0");
    if (n->storage_network == HW_STORAGE_NET_DPU && n->dpus == 0 && (p->icms.present || p->g4.present))
        return hw_fail(path, pathlen, msg, msglen, "node.storage_network",
                       "storage traffic goes through the front-end DPUs but node.dpus is %u; add DPUs or use "
                       "\"gpu-nic\"",
                       n->dpus);

    const hw_fabric_t *f = &p->fabric;
    HW_NEED_POS(f->port_gbit_s, "fabric.port_gbit_s", "Gbit/s");
    if (f->leaf_ports < 2)
        return hw_fail(path, pathlen, msg, msglen, "fabric.leaf_ports", "a leaf needs at least 2 ports, got %u",
                       f->leaf_ports);
    if (f->spine_ports < 2)
        return hw_fail(path, pathlen, msg, msglen, "fabric.spine_ports", "a spine needs at least 2 ports, got %u",
                       f->spine_ports);
    HW_NEED_POS(f->oversubscription, "fabric.oversubscription", "(downlink : uplink)");
    if (!(f->adaptive_efficiency > 0 && f->adaptive_efficiency <= 1))
        return hw_fail(path, pathlen, msg, msglen, "fabric.adaptive_efficiency", "must be in (0, 1], got %g",
                       f->adaptive_efficiency);
    if (!(f->ecmp_efficiency > 0 && f->ecmp_efficiency <= 1))
        return hw_fail(path, pathlen, msg, msglen, "fabric.ecmp_efficiency", "must be in (0, 1], got %g",
                       f->ecmp_efficiency);
    if (f->traffic_classes == HW_TC_KIND &&
        !(f->tc_load_weight > 0 && f->tc_writeback_weight > 0 && f->tc_prestage_weight > 0))
        return hw_fail(path, pathlen, msg, msglen, "fabric.tc_load_weight",
                       "class weights must be > 0 (load %g, writeback %g, prestage %g)", f->tc_load_weight,
                       f->tc_writeback_weight, f->tc_prestage_weight);
    if (f->roce_cc && !(f->roce_cc_min_efficiency > 0))
        return hw_fail(path, pathlen, msg, msglen, "fabric.roce_cc_min_efficiency", "must be in (0, 1], got %g",
                       f->roce_cc_min_efficiency);

    const hw_icms_t *c = &p->icms;
    if (c->present) {
        HW_NEED_POS(c->enclosures, "icms.enclosures", "when icms.present is true");
        HW_NEED_POS(c->dpus_per_enclosure, "icms.dpus_per_enclosure", "when icms.present is true");
        HW_NEED_POS(c->capacity_per_dpu_bytes, "icms.capacity_per_dpu_bytes", "when icms.present is true");
        HW_NEED_POS(c->dpu_network_gbit_s, "icms.dpu_network_gbit_s", "when icms.present is true");
        HW_NEED_POS(c->dpu_crypto_byte_s, "icms.dpu_crypto_byte_s", "when icms.present is true");
        HW_NEED_POS(c->ssds_per_enclosure, "icms.ssds_per_enclosure", "when icms.present is true");
        HW_NEED_POS(c->ssd_capacity_bytes, "icms.ssd_capacity_bytes", "when icms.present is true");
        HW_NEED_POS(c->ssd_read_byte_s, "icms.ssd_read_byte_s", "when icms.present is true");
        HW_NEED_POS(c->ssd_write_byte_s, "icms.ssd_write_byte_s", "when icms.present is true");
        double need = (double)c->dpus_per_enclosure * c->capacity_per_dpu_bytes;
        double have = (double)c->ssds_per_enclosure * c->ssd_capacity_bytes;
        if (need > have * (1.0 + 1e-9)) {
            snprintf(path, pathlen, "icms.capacity_per_dpu_bytes");
            snprintf(msg, msglen, "%u DPUs x %.4g bytes need more flash than the %u SSDs x %.4g bytes of an enclosure",
                     c->dpus_per_enclosure, c->capacity_per_dpu_bytes, c->ssds_per_enclosure, c->ssd_capacity_bytes);
            return -1;
        }
    }
    const hw_g4_t *s = &p->g4;
    if (s->present) {
        HW_NEED_POS(s->servers, "g4.servers", "when g4.present is true");
        HW_NEED_POS(s->capacity_bytes, "g4.capacity_bytes", "when g4.present is true");
        HW_NEED_POS(s->nic_ports_per_server, "g4.nic_ports_per_server", "when g4.present is true");
        HW_NEED_POS(s->nic_port_gbit_s, "g4.nic_port_gbit_s", "when g4.present is true");
        HW_NEED_POS(s->controller_byte_s, "g4.controller_byte_s", "when g4.present is true");
        HW_NEED_POS(s->io_bytes, "g4.io_bytes", "when g4.present is true");
        HW_NEED_POS(s->controller_cores, "g4.controller_cores", "when g4.present is true");
        HW_NEED_POS(s->protocol_latency_s, "g4.protocol_latency_s", "when g4.present is true");
        HW_NEED_POS(s->replication, "g4.replication", "when g4.present is true");
        HW_NEED_POS(s->media_read_byte_s, "g4.media_read_byte_s", "when g4.present is true");
        HW_NEED_POS(s->media_write_byte_s, "g4.media_write_byte_s", "when g4.present is true");
    }
    if (p->energy.pue < 1.0)
        return hw_fail(path, pathlen, msg, msglen, "energy.pue",
                       "PUE is facility / IT power and cannot be below 1, got %g", p->energy.pue);
    HW_NEED_POS(p->cost.depreciation_years, "cost.depreciation_years", "years");
    return 0;
}

void hw_fabric_sizing(const hw_pod_t *p, hw_fabric_size_t *out)
{
    memset(out, 0, sizeof *out);
    const hw_fabric_t *f = &p->fabric;
    uint64_t ep = (uint64_t)p->nodes * ((uint64_t)p->node.gpus * p->node.nic_ports_per_gpu + p->node.dpus);
    if (p->icms.present)
        ep += (uint64_t)p->icms.enclosures * p->icms.dpus_per_enclosure;
    if (p->g4.present)
        ep += (uint64_t)p->g4.servers * p->g4.nic_ports_per_server;
    out->endpoints = ep;
    uint32_t down = (uint32_t)lround(f->leaf_ports * f->oversubscription / (1.0 + f->oversubscription));
    if (down < 1)
        down = 1;
    if (down >= f->leaf_ports)
        down = f->leaf_ports - 1;
    out->down_per_leaf = down;
    out->up_per_leaf = f->leaf_ports - down;
    out->leaves = (ep + down - 1) / down;
    if (out->leaves <= 1) {
        /* One switch joins everything: no spine layer, every port host-facing. */
        out->leaves = ep ? 1 : 0;
        out->up_per_leaf = 0;
        out->spines = 0;
    } else {
        uint64_t uplinks = out->leaves * out->up_per_leaf;
        out->spines = (uplinks + f->spine_ports - 1) / f->spine_ports;
    }
    out->switch_ports = ep + 2 * out->leaves * out->up_per_leaf;
    out->leaf_equivalents = (double)out->leaves + (double)out->spines * f->spine_ports / f->leaf_ports;
    out->effective_efficiency = f->routing == HW_ROUTING_ECMP ? f->ecmp_efficiency : f->adaptive_efficiency;
    double up_byte_s = (double)out->leaves * out->up_per_leaf * f->port_gbit_s * 1e9 / 8.0;
    if (out->spines == 0)
        up_byte_s = (double)ep * f->port_gbit_s * 1e9 / 8.0;
    out->bisection_byte_s = up_byte_s * out->effective_efficiency;
}

double hw_icms_dpu_read_byte_s(const hw_icms_t *c)
{
    double ssd = (double)c->ssds_per_enclosure / c->dpus_per_enclosure * c->ssd_read_byte_s;
    return fmin(fmin(c->dpu_network_gbit_s * 1e9 / 8.0, c->dpu_crypto_byte_s), ssd);
}

double hw_icms_dpu_write_byte_s(const hw_icms_t *c)
{
    double ssd = (double)c->ssds_per_enclosure / c->dpus_per_enclosure * c->ssd_write_byte_s;
    return fmin(fmin(c->dpu_network_gbit_s * 1e9 / 8.0, c->dpu_crypto_byte_s), ssd);
}

double hw_g4_io_byte_s(const hw_g4_t *g)
{
    return g->per_io_cpu_s > 0 ? g->controller_cores * g->io_bytes / g->per_io_cpu_s : (double)INFINITY;
}

double hw_g4_server_read_byte_s(const hw_g4_t *g)
{
    double nic = g->nic_ports_per_server * g->nic_port_gbit_s * 1e9 / 8.0;
    return fmin(fmin(nic, g->controller_byte_s), fmin(g->media_read_byte_s, hw_g4_io_byte_s(g)));
}

double hw_g4_server_write_byte_s(const hw_g4_t *g)
{
    double nic = g->nic_ports_per_server * g->nic_port_gbit_s * 1e9 / 8.0;
    double raw = fmin(fmin(nic, g->controller_byte_s), fmin(g->media_write_byte_s, hw_g4_io_byte_s(g)));
    return raw / (g->replication ? g->replication : 1);
}

void hw_tiers(const hw_pod_t *p, hw_tier_t t[HW_TIERS])
{
    memset(t, 0, sizeof(hw_tier_t) * HW_TIERS);
    const hw_gpu_t *g = &p->gpu;
    const hw_node_t *n = &p->node;
    double gpus = (double)hw_pod_gpus(p), nodes = p->nodes;
    hw_fabric_size_t fs;
    hw_fabric_sizing(p, &fs);
    /* Network latency of a pod-level access: two NIC traversals and three switch hops (leaf, spine, leaf). */
    double net_lat = 2.0 * n->nic_latency_s + 3.0 * p->fabric.switch_latency_s;

    t[HW_TIER_G1] = (hw_tier_t){"G1 HBM",
                                true,
                                gpus * g->hbm_capacity_bytes,
                                gpus * g->hbm_capacity_bytes,
                                gpus * g->hbm_bandwidth_byte_s,
                                gpus * g->hbm_bandwidth_byte_s,
                                0.0};
    double g2_bw = fmin(n->gpus * g->host_link_bandwidth_byte_s, n->dram_bandwidth_byte_s);
    t[HW_TIER_G2] = (hw_tier_t){"G2 DRAM",
                                true,
                                nodes * n->dram_capacity_bytes,
                                nodes * n->dram_capacity_bytes * n->dram_kv_fraction,
                                nodes * g2_bw,
                                nodes * g2_bw,
                                g->host_link_latency_s};
    double drives = nodes * n->nvme_drives;
    t[HW_TIER_G3] = (hw_tier_t){"G3 NVMe",
                                n->nvme_drives > 0,
                                drives * n->nvme_capacity_bytes,
                                drives * n->nvme_capacity_bytes * n->nvme_kv_fraction,
                                drives * n->nvme_read_byte_s,
                                drives * n->nvme_write_byte_s,
                                n->nvme_latency_s};
    const hw_icms_t *c = &p->icms;
    t[HW_TIER_G35].name = "G3.5 ICMS";
    if (c->present) {
        double dpus = (double)c->enclosures * c->dpus_per_enclosure;
        t[HW_TIER_G35] = (hw_tier_t){"G3.5 ICMS",
                                     true,
                                     dpus * c->capacity_per_dpu_bytes,
                                     dpus * c->capacity_per_dpu_bytes,
                                     dpus * hw_icms_dpu_read_byte_s(c),
                                     dpus * hw_icms_dpu_write_byte_s(c),
                                     c->ssd_latency_s + c->dpu_latency_s + net_lat};
    }
    const hw_g4_t *s = &p->g4;
    t[HW_TIER_G4].name = "G4 storage";
    if (s->present) {
        t[HW_TIER_G4] = (hw_tier_t){"G4 storage",
                                    true,
                                    s->capacity_bytes,
                                    s->capacity_bytes,
                                    s->servers * hw_g4_server_read_byte_s(s),
                                    s->servers * hw_g4_server_write_byte_s(s),
                                    s->protocol_latency_s + s->per_io_cpu_s + net_lat};
    }
}
