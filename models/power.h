/* Power model: instantaneous power of each component class from its utilisation, and energy per byte
 * moved. The simulation integrates it over time; pure functions of the hardware description.
 *
 * GPU: idle_w when idle; when busy, between a memory-bound level and TDP:
 *   P = idle + busy x (tdp - idle) x (m + (1 - m) x c)
 * with m = memory_bound_power_fraction and c the compute-bound share of the busy time. Per iteration
 * (pw_gpu_step_j) the step-time model's parts are weighted separately: compute-bound time at TDP,
 * memory-bound at m, collectives at comm_power_fraction, overheads at idle. Both fractions are fitted
 * to Splitwise's measured A100 power by `kvtwin fit --power --fit-power` (docs/validation.md).
 * Data movement energy (HBM, DRAM, NVLink, C2C, PCIe, Ethernet, SSD) is added per byte by the caller
 * through pw_transfer_j; the GPU figure above already includes its own HBM traffic at the measured
 * board power, so pw_transfer_j(PW_LINK_HBM) is for accounting splits, not to be added on top.
 * Units: watts, joules, bytes. */
#ifndef KVTWIN_POWER_H
#define KVTWIN_POWER_H

#include "models/hw.h"
#include "models/steptime.h"

/* One GPU: idle when busy_fraction is 0; busy power between the memory-bound and the compute-bound level
 * by compute_bound_fraction. */
double pw_gpu_w(const hw_gpu_t *gpu, double busy_fraction, double compute_bound_fraction);
/* Energy of one GPU over one iteration of the step-time model: its compute-bound time at TDP, its
 * memory-bound time at the memory-bound level, its collectives at comm_power_fraction of the dynamic
 * range and its overheads (the engine's CPU work between kernels) at idle. The instance's GPUs all draw
 * this; multiply by st_gpus(). Joules. */
double pw_gpu_step_j(const hw_gpu_t *gpu, const st_time_t *t);
/* The same as an average power over the iteration (idle for an empty iteration). */
double pw_gpu_step_w(const hw_gpu_t *gpu, const st_time_t *t);
/* Applies gpu->power_cap_w (nothing if 0) to one iteration. Above the cap the GPU lowers its clock by 1/s for
 * the iteration; dynamic power follows the cube of the clock (voltage scales with frequency), so the compute-bound
 * and memory-bound parts draw 1/s^3 of their dynamic power. The compute-bound part lasts s times longer (its
 * energy falls to 1/s^2); the memory-bound part keeps its length (HBM sets its rate), as do collectives and
 * overheads, whose power is unchanged. This is optimistic for memory-bound time, part of whose power is the
 * HBM's and does not scale with the SM clock. s is the smallest stretch that brings the iteration's average
 * power to the cap, at most PW_CAP_MAX_STRETCH. Sets t->cap_stretch and lengthens t->compute_s and t->time_s. */
#define PW_CAP_MAX_STRETCH 8.0
void pw_gpu_cap(const hw_gpu_t *gpu, st_time_t *t);

/* One host CPU at a utilisation in [0, 1]. */
double pw_cpu_w(const hw_node_t *node, double utilisation);
/* One SSD (local or ICMS) at a utilisation in [0, 1]. */
double pw_ssd_w(double idle_w, double active_w, double utilisation);

/* Power of one node's parts other than GPUs, CPUs and NVMe when nothing moves: NICs and DPUs powered,
 * DRAM background, NVLink switch share, fans and conversion losses. */
double pw_node_static_w(const hw_node_t *node);

/* Load-dependent parts, as energy per byte moved (a part's extra power at line rate over its line rate) or
 * per unit of work. Each is 0 where its parameter is absent. */
double pw_nic_load_j_per_byte(const hw_node_t *node);   /* one NIC port, per byte through it */
double pw_dpu_load_j_per_byte(const hw_node_t *node);   /* one front-end DPU, per byte through it */
double pw_icms_dpu_load_j_per_byte(const hw_icms_t *c); /* one ICMS BlueField-4, per byte through it */
/* Host CPU per KV byte: per_io_cpu_s of one busy core per kv_io_bytes. */
double pw_host_io_j_per_byte(const hw_node_t *node);
/* SSD command work per byte: ssd_per_io_j per kv_io_bytes (local NVMe). */
double pw_ssd_io_j_per_byte(const hw_pod_t *pod);
/* The same on the ICMS SSDs: per NVMe-oF command (icms.io_bytes) where the per-I/O path is on, else per
 * kv_io_bytes. */
double pw_icms_ssd_io_j_per_byte(const hw_pod_t *pod);
/* Host CPU power the serving engine adds per GPU while that GPU iterates (engine_cores_per_gpu busy cores). */
double pw_engine_cpu_w(const hw_node_t *node);

/* The whole fabric's switches (sized by hw_fabric_sizing). */
double pw_fabric_w(const hw_pod_t *pod);

/* ICMS: all enclosures with DPUs, SSDs at a utilisation in [0, 1] and enclosure overhead. 0 if absent. */
double pw_icms_w(const hw_pod_t *pod, double ssd_utilisation);

/* G4: all servers at a utilisation in [0, 1] (idle to busy). 0 if absent. */
double pw_g4_w(const hw_pod_t *pod, double utilisation);

/* IT power of the whole pod with every GPU at the given busy and compute-bound fractions and the other
 * parts at the given utilisation (CPUs, SSDs, storage). */
double pw_pod_w(const hw_pod_t *pod, double gpu_busy, double gpu_compute_bound, double other_utilisation);
/* The pod idle (everything powered, nothing running) and at peak (GPUs compute-bound at TDP, all else busy). */
double pw_pod_idle_w(const hw_pod_t *pod);
double pw_pod_peak_w(const hw_pod_t *pod);

/* Facility power for an IT power (PUE applied). */
double pw_facility_w(const hw_pod_t *pod, double it_w);

typedef enum pw_link {
    PW_LINK_HBM = 0,
    PW_LINK_DRAM,
    PW_LINK_NVLINK,
    PW_LINK_C2C,
    PW_LINK_PCIE,
    PW_LINK_ETHERNET, /* NIC SerDes at both ends plus the optics of every switch port crossed */
    PW_LINK_SSD_READ,
    PW_LINK_SSD_WRITE,
} pw_link_t;

/* Energy of moving bytes over one link class; for PW_LINK_ETHERNET, switch_ports is the number of switch
 * ports the bytes cross (2 per switch hop), ignored otherwise. */
double pw_transfer_j(const hw_pod_t *pod, int link, double bytes, int switch_ports);

/* Energy to move bytes from host DRAM to a GPU over its host link (DRAM read + C2C or PCIe). */
double pw_host_to_gpu_j(const hw_pod_t *pod, double bytes);

#endif
