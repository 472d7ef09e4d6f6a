/* Power model; see power.h. Utilisations are clamped to [0, 1] so that an integrator that overshoots by a
 * rounding error never reports more than the rated power. */
#include "models/power.h"

#include <assert.h>

static double pw_clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

double pw_gpu_w(const hw_gpu_t *gpu, double busy_fraction, double compute_bound_fraction)
{
    double b = pw_clamp01(busy_fraction), c = pw_clamp01(compute_bound_fraction);
    double m = pw_clamp01(gpu->memory_bound_power_fraction);
    return gpu->idle_w + b * (gpu->tdp_w - gpu->idle_w) * (m + (1.0 - m) * c);
}

double pw_gpu_step_j(const hw_gpu_t *gpu, const st_time_t *t)
{
    double dyn = gpu->tdp_w - gpu->idle_w;
    double m = pw_clamp01(gpu->memory_bound_power_fraction), c = pw_clamp01(gpu->comm_power_fraction);
    return gpu->idle_w * t->time_s + dyn * (t->compute_s + m * t->memory_s + c * t->comm_s);
}

double pw_gpu_step_w(const hw_gpu_t *gpu, const st_time_t *t)
{
    return t->time_s > 0 ? pw_gpu_step_j(gpu, t) / t->time_s : gpu->idle_w;
}

double pw_cpu_w(const hw_node_t *node, double utilisation)
{
    return node->cpu_idle_w + pw_clamp01(utilisation) * (node->cpu_max_w - node->cpu_idle_w);
}

double pw_ssd_w(double idle_w, double active_w, double utilisation)
{
    return idle_w + pw_clamp01(utilisation) * (active_w - idle_w);
}

double pw_node_static_w(const hw_node_t *n)
{
    return (double)n->gpus * n->nic_ports_per_gpu * n->nic_w + n->dpus * n->dpu_w + n->nvswitch_w + n->other_w;
}

double pw_fabric_w(const hw_pod_t *pod)
{
    hw_fabric_size_t fs;
    hw_fabric_sizing(pod, &fs);
    return fs.leaf_equivalents * pod->fabric.switch_w;
}

double pw_icms_w(const hw_pod_t *pod, double u)
{
    const hw_icms_t *c = &pod->icms;
    if (!c->present)
        return 0.0;
    double per = c->dpus_per_enclosure * c->dpu_w +
                 c->ssds_per_enclosure * pw_ssd_w(c->ssd_idle_w, c->ssd_active_w, u) + c->enclosure_other_w;
    return c->enclosures * per;
}

double pw_g4_w(const hw_pod_t *pod, double u)
{
    const hw_g4_t *g = &pod->g4;
    if (!g->present)
        return 0.0;
    return g->servers * (g->server_idle_w + pw_clamp01(u) * (g->server_w - g->server_idle_w));
}

double pw_pod_w(const hw_pod_t *pod, double gpu_busy, double gpu_compute_bound, double u)
{
    const hw_node_t *n = &pod->node;
    double node = n->gpus * pw_gpu_w(&pod->gpu, gpu_busy, gpu_compute_bound) + n->cpus * pw_cpu_w(n, u) +
                  n->nvme_drives * pw_ssd_w(n->nvme_idle_w, n->nvme_active_w, u) + pw_node_static_w(n);
    return pod->nodes * node + pw_fabric_w(pod) + pw_icms_w(pod, u) + pw_g4_w(pod, u);
}

double pw_pod_idle_w(const hw_pod_t *pod)
{
    return pw_pod_w(pod, 0.0, 0.0, 0.0);
}

double pw_pod_peak_w(const hw_pod_t *pod)
{
    return pw_pod_w(pod, 1.0, 1.0, 1.0);
}

double pw_facility_w(const hw_pod_t *pod, double it_w)
{
    return it_w * pod->energy.pue;
}

double pw_transfer_j(const hw_pod_t *pod, int link, double bytes, int switch_ports)
{
    const hw_energy_t *e = &pod->energy;
    switch (link) {
    case PW_LINK_HBM:
        return bytes * e->hbm_j_per_byte;
    case PW_LINK_DRAM:
        return bytes * e->dram_j_per_byte;
    case PW_LINK_NVLINK:
        return bytes * e->nvlink_j_per_byte;
    case PW_LINK_C2C:
        return bytes * e->c2c_j_per_byte;
    case PW_LINK_PCIE:
        return bytes * e->pcie_j_per_byte;
    case PW_LINK_ETHERNET:
        return bytes * (2.0 * e->ethernet_j_per_byte + switch_ports * pod->fabric.optics_j_per_byte);
    case PW_LINK_SSD_READ:
        return bytes * e->ssd_read_j_per_byte;
    case PW_LINK_SSD_WRITE:
        return bytes * e->ssd_write_j_per_byte;
    default:
        assert(!"unknown link class");
        return 0.0;
    }
}

double pw_host_to_gpu_j(const hw_pod_t *pod, double bytes)
{
    int link = pod->gpu.host_link_c2c ? PW_LINK_C2C : PW_LINK_PCIE;
    return pw_transfer_j(pod, PW_LINK_DRAM, bytes, 0) + pw_transfer_j(pod, link, bytes, 0);
}
