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
    double s = t->cap_stretch > 1 ? t->cap_stretch : 1;
    return gpu->idle_w * t->time_s + dyn * ((t->compute_s + m * t->memory_s) / (s * s * s) + c * t->comm_s);
}

/* Average power of an iteration whose compute-bound part (cs unstretched) is stretched by s. */
static double pw_cap_power(const hw_gpu_t *gpu, const st_time_t *t, double cs, double s)
{
    st_time_t u = *t;
    u.compute_s = cs * s;
    u.time_s = t->time_s + cs * (s - 1);
    u.cap_stretch = s;
    return pw_gpu_step_w(gpu, &u);
}

void pw_gpu_cap(const hw_gpu_t *gpu, st_time_t *t)
{
    double cap = gpu->power_cap_w, cs = t->compute_s;
    if (cap <= 0 || t->time_s <= 0 || pw_gpu_step_w(gpu, t) <= cap)
        return;
    double lo = 1, hi = PW_CAP_MAX_STRETCH;
    if (pw_cap_power(gpu, t, cs, hi) > cap) {
        lo = hi;
    } else {
        /* The power falls monotonically with the stretch: bisect to 1e-6 relative. */
        while (hi - lo > 1e-6 * lo) {
            double mid = 0.5 * (lo + hi);
            if (pw_cap_power(gpu, t, cs, mid) > cap)
                lo = mid;
            else
                hi = mid;
        }
        lo = hi;
    }
    t->time_s += cs * (lo - 1);
    t->compute_s = cs * lo;
    t->cap_stretch = lo;
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
    return (double)n->gpus * n->nic_ports_per_gpu * n->nic_w + n->dpus * n->dpu_w + n->dram_idle_w + n->nvswitch_w +
           n->other_w;
}

/* Extra power at line rate spread over the bytes line rate carries. */
static double pw_load_j_per_byte(double load_w, double gbit_s)
{
    return gbit_s > 0 ? load_w / (gbit_s * 1e9 / 8) : 0.0;
}

double pw_nic_load_j_per_byte(const hw_node_t *n)
{
    return pw_load_j_per_byte(n->nic_load_w, n->nic_port_gbit_s);
}

double pw_dpu_load_j_per_byte(const hw_node_t *n)
{
    return n->dpus > 0 ? pw_load_j_per_byte(n->dpu_load_w, n->dpu_gbit_s) : 0.0;
}

double pw_icms_dpu_load_j_per_byte(const hw_icms_t *c)
{
    return pw_load_j_per_byte(c->dpu_load_w, c->dpu_network_gbit_s);
}

double pw_host_io_j_per_byte(const hw_node_t *n)
{
    return n->kv_io_bytes > 0 ? n->cpu_busy_core_w * n->per_io_cpu_s / n->kv_io_bytes : 0.0;
}

double pw_ssd_io_j_per_byte(const hw_pod_t *pod)
{
    return pod->node.kv_io_bytes > 0 ? pod->energy.ssd_per_io_j / pod->node.kv_io_bytes : 0.0;
}

double pw_icms_ssd_io_j_per_byte(const hw_pod_t *pod)
{
    return pod->icms.io_bytes > 0 ? pod->energy.ssd_per_io_j / pod->icms.io_bytes : pw_ssd_io_j_per_byte(pod);
}

double pw_engine_cpu_w(const hw_node_t *n)
{
    return n->cpu_busy_core_w * n->engine_cores_per_gpu;
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
    double per = c->dpus_per_enclosure * (c->dpu_w + pw_clamp01(u) * c->dpu_load_w) +
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
                  n->nvme_drives * pw_ssd_w(n->nvme_idle_w, n->nvme_active_w, u) + pw_node_static_w(n) +
                  pw_clamp01(u) * ((double)n->gpus * n->nic_ports_per_gpu * n->nic_load_w + n->dpus * n->dpu_load_w);
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
