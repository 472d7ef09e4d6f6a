/* Binding table of the hardware section (models/hw.h) and loading of hardware presets
 * (configs/hardware/NAME.json). Keys are the struct members' names, so every key carries its unit.
 * Required keys are what no sensible default exists for (capacities, bandwidths, powers, prices, the
 * calibration); optional keys default to 0 = absent (FP8/FP4 rates, local NVMe, DPUs). The ICMS and G4
 * sections may be left out or say "present": false; when present, hw_pod_check requires their values,
 * so an absent tier never needs meaningless numbers. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/hw.h"
#include "sim/base/jsonbind.h"
#include "sim/config/config.h"
#include "sim/config/config_models.h"
#include "sim/config/scenario.h"

/* Field kinds with the flags the stock macros lack: required, or required and strictly positive. */
#define HW_POS(type, m, unit, help)                                                                                    \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, INFINITY, JB_GT_MIN | JB_REQUIRED, NULL, NULL,   \
            unit, help                                                                                                 \
    }
#define HW_NONNEG(type, m, unit, help)                                                                                 \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, INFINITY, JB_REQUIRED, NULL, NULL, unit, help    \
    }
#define HW_OPT(type, m, unit, help)                                                                                    \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, INFINITY, 0, NULL, NULL, unit, help              \
    }
#define HW_FRAC(type, m, req, help)                                                                                    \
    {                                                                                                                  \
#m, JB_DOUBLE, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 1, (req) ? JB_REQUIRED : 0, NULL, NULL,          \
            "fraction", help                                                                                           \
    }
#define HW_COUNT(type, m, lo, req, unit, help)                                                                         \
    {                                                                                                                  \
#m, JB_UINT, offsetof(type, m), JB_MEMBER_SIZE(type, m), lo, 4294967295.0, (req) ? JB_REQUIRED : 0, NULL,      \
            NULL, unit, help                                                                                           \
    }
#define HW_STR(type, m, req, help)                                                                                     \
    {                                                                                                                  \
#m, JB_STRING, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, (req) ? JB_REQUIRED : 0, NULL, NULL, NULL,    \
            help                                                                                                       \
    }
#define HW_BOOL(type, m, req, help)                                                                                    \
    {                                                                                                                  \
#m, JB_BOOL, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 1, (req) ? JB_REQUIRED : 0, NULL, NULL, NULL, help \
    }
#define HW_OBJ(type, m, spec, req, help)                                                                               \
    {                                                                                                                  \
#m, JB_OBJECT, offsetof(type, m), JB_MEMBER_SIZE(type, m), 0, 0, (req) ? JB_REQUIRED : 0, NULL, &(spec), NULL, \
            help                                                                                                       \
    }

static const jb_field_t calib_fields[] = {
    HW_FRAC(st_calib_t, compute_efficiency, 1, "matmul FLOP/s achieved / peak (0 = no calibration)"),
    HW_FRAC(st_calib_t, memory_efficiency, 1, "HBM bandwidth achieved / peak"),
    HW_FRAC(st_calib_t, comm_efficiency, 1, "NVLink bandwidth achieved / peak"),
    {"step_overhead_s", JB_DOUBLE, offsetof(st_calib_t, step_overhead_s), sizeof(double), 0, 10, JB_REQUIRED, NULL,
     NULL, "s", "fixed cost per iteration (scheduler, launches)"},
    {"per_seq_overhead_s", JB_DOUBLE, offsetof(st_calib_t, per_seq_overhead_s), sizeof(double), 0, 10, JB_REQUIRED,
     NULL, NULL, "s", "cost per request in the batch"},
    {"collective_latency_s", JB_DOUBLE, offsetof(st_calib_t, collective_latency_s), sizeof(double), 0, 10, JB_REQUIRED,
     NULL, NULL, "s", "per hop of a collective (ring all-reduce: 2 (n - 1) hops)"},
    {"prefill_overhead_s", JB_DOUBLE, offsetof(st_calib_t, prefill_overhead_s), sizeof(double), 0, 10, JB_REQUIRED,
     NULL, NULL, "s", "extra cost of an iteration carrying prefill"},
    JB_END,
};
static const jb_spec_t calib_spec = {"calib", calib_fields, NULL};

static const jb_field_t gpu_fields[] = {
    HW_STR(hw_gpu_t, name, 1, "GPU model"),
    HW_POS(hw_gpu_t, hbm_capacity_bytes, "bytes", "HBM capacity per GPU (usable)"),
    HW_POS(hw_gpu_t, hbm_bandwidth_byte_s, "bytes/s", "HBM bandwidth per GPU"),
    HW_POS(hw_gpu_t, bf16_dense_flop_s, "FLOP/s", "dense BF16 tensor-core peak"),
    HW_OPT(hw_gpu_t, fp8_dense_flop_s, "FLOP/s", "dense FP8 tensor-core peak (0 = none)"),
    HW_OPT(hw_gpu_t, fp4_dense_flop_s, "FLOP/s", "dense FP4 tensor-core peak (0 = none)"),
    HW_POS(hw_gpu_t, nvlink_bandwidth_byte_s, "bytes/s", "NVLink bandwidth per GPU, per direction"),
    HW_POS(hw_gpu_t, host_link_bandwidth_byte_s, "bytes/s", "GPU to host CPU link, per direction"),
    HW_NONNEG(hw_gpu_t, host_link_latency_s, "s", "GPU to host CPU link latency"),
    HW_POS(hw_gpu_t, pcie_bandwidth_byte_s, "bytes/s", "PCIe to NIC and local NVMe, per direction"),
    HW_POS(hw_gpu_t, tdp_w, "W", "board power limit"),
    HW_NONNEG(hw_gpu_t, idle_w, "W", "idle power"),
    HW_FRAC(hw_gpu_t, memory_bound_power_fraction, 1, "share of (TDP - idle) drawn when memory-bound"),
    HW_FRAC(hw_gpu_t, comm_power_fraction, 1, "share of (TDP - idle) drawn during collectives"),
    HW_OPT(hw_gpu_t, power_cap_w, "W", "operator power cap per GPU (0 = none): compute-bound time stretches to fit"),
    HW_NONNEG(hw_gpu_t, price_usd, "USD", "price per GPU"),
    HW_COUNT(hw_gpu_t, nvlink_domain_gpus, 1, 1, "GPUs", "GPUs joined by one NVLink switch fabric"),
    HW_BOOL(hw_gpu_t, host_link_c2c, 0, "host link is NVLink-C2C (else PCIe)"),
    HW_OBJ(hw_gpu_t, calib, calib_spec, 1, "step-time efficiencies for BF16 compute (kvtwin fit)"),
    HW_OBJ(hw_gpu_t, calib_fp8, calib_spec, 0, "step-time efficiencies for FP8 compute (absent: calib)"),
    HW_OBJ(hw_gpu_t, calib_fp4, calib_spec, 0, "step-time efficiencies for FP4 compute (absent: calib_fp8)"),
    HW_STR(hw_gpu_t, calib_source, 0,
           "where calib, calib_fp8 and calib_fp4 come from: fitted on this GPU (and to what), or borrowed from which"),
    JB_END,
};
static const jb_spec_t gpu_spec = {"gpu", gpu_fields, NULL};

static const char *const storage_net_names[] = {"dpu", "gpu-nic", NULL};

static const jb_field_t node_fields[] = {
    HW_COUNT(hw_node_t, gpus, 1, 1, "GPUs", "GPUs per node (compute tray or server)"),
    HW_COUNT(hw_node_t, cpus, 1, 1, "CPUs", "host CPUs per node"),
    HW_POS(hw_node_t, dram_capacity_bytes, "bytes", "host DRAM per node"),
    HW_POS(hw_node_t, dram_bandwidth_byte_s, "bytes/s", "host DRAM bandwidth per node"),
    HW_FRAC(hw_node_t, dram_kv_fraction, 1, "share of DRAM usable as G2 KV cache"),
    HW_NONNEG(hw_node_t, cpu_idle_w, "W", "per CPU, idle"),
    HW_NONNEG(hw_node_t, cpu_max_w, "W", "per CPU, fully busy"),
    HW_COUNT(hw_node_t, nvme_drives, 0, 0, "drives", "local NVMe drives per node (0 = no G3)"),
    HW_OPT(hw_node_t, nvme_capacity_bytes, "bytes", "per drive"),
    HW_OPT(hw_node_t, nvme_read_byte_s, "bytes/s", "per drive, sequential read"),
    HW_OPT(hw_node_t, nvme_write_byte_s, "bytes/s", "per drive, sequential write"),
    HW_OPT(hw_node_t, nvme_latency_s, "s", "per I/O"),
    HW_FRAC(hw_node_t, nvme_kv_fraction, 0, "share of local NVMe usable as G3 KV cache"),
    HW_OPT(hw_node_t, nvme_active_w, "W", "per drive, busy"),
    HW_OPT(hw_node_t, nvme_idle_w, "W", "per drive, idle"),
    HW_COUNT(hw_node_t, nic_ports_per_gpu, 1, 1, "ports", "scale-out NIC ports per GPU"),
    HW_POS(hw_node_t, nic_port_gbit_s, "Gbit/s", "per NIC port"),
    HW_NONNEG(hw_node_t, nic_latency_s, "s", "NIC traversal latency"),
    HW_NONNEG(hw_node_t, nic_w, "W", "per NIC port, powered and idle"),
    HW_OPT(hw_node_t, nic_load_w, "W", "per NIC port, extra at line rate (0 = constant)"),
    HW_COUNT(hw_node_t, dpus, 0, 0, "DPUs", "front-end DPUs per node"),
    HW_OPT(hw_node_t, dpu_gbit_s, "Gbit/s", "per front-end DPU"),
    HW_OPT(hw_node_t, dpu_w, "W", "per front-end DPU, powered and idle"),
    HW_OPT(hw_node_t, dpu_load_w, "W", "per front-end DPU, extra at line rate (0 = constant)"),
    HW_OPT(hw_node_t, dram_idle_w, "W", "host DRAM background and refresh per node"),
    HW_OPT(hw_node_t, cpu_busy_core_w, "W", "per busy host core, above idle"),
    HW_OPT(hw_node_t, engine_cores_per_gpu, "cores", "host cores the serving engine keeps busy per iterating GPU"),
    HW_OPT(hw_node_t, per_io_cpu_s, "s", "host core time per KV I/O"),
    HW_OPT(hw_node_t, kv_io_bytes, "bytes", "bytes per KV I/O (0 = no per-I/O energy)"),
    HW_OPT(hw_node_t, nvswitch_w, "W", "node's share of NVLink switch power"),
    HW_NONNEG(hw_node_t, other_w, "W", "fans, board, conversion losses per node"),
    HW_NONNEG(hw_node_t, price_usd, "USD", "node without its GPUs"),
    {"storage_network", JB_CHOICE, offsetof(hw_node_t, storage_network), sizeof(int), 0, 0, 0, storage_net_names, NULL,
     NULL, "ports carrying KV traffic to G3.5/G4: the front-end DPUs or the GPUs' scale-out NICs"},
    JB_END,
};
static const jb_spec_t node_spec = {"node", node_fields, NULL};

static const char *const routing_names[] = {"adaptive", "ecmp", NULL};
static const char *const tclass_names[] = {"off", "kind", "tenant", NULL};

static const jb_field_t fabric_fields[] = {
    HW_POS(hw_fabric_t, port_gbit_s, "Gbit/s", "switch port speed"),
    HW_COUNT(hw_fabric_t, leaf_ports, 2, 1, "ports", "leaf switch radix"),
    HW_COUNT(hw_fabric_t, spine_ports, 2, 1, "ports", "spine switch radix"),
    HW_POS(hw_fabric_t, oversubscription, "ratio", "leaf downlink : uplink capacity"),
    HW_NONNEG(hw_fabric_t, switch_latency_s, "s", "port-to-port latency"),
    {"routing", JB_CHOICE, offsetof(hw_fabric_t, routing), sizeof(int), 0, 0, JB_REQUIRED, routing_names, NULL, NULL,
     "adaptive routing with congestion control, or static ECMP hashing"},
    HW_FRAC(hw_fabric_t, adaptive_efficiency, 1, "effective / line rate with adaptive routing"),
    HW_FRAC(hw_fabric_t, ecmp_efficiency, 1, "effective / line rate with ECMP"),
    HW_NONNEG(hw_fabric_t, switch_w, "W", "per switch"),
    HW_NONNEG(hw_fabric_t, optics_j_per_byte, "J/byte", "optics energy per byte per switch port"),
    HW_NONNEG(hw_fabric_t, switch_price_usd, "USD", "per switch"),
    HW_NONNEG(hw_fabric_t, optics_price_usd, "USD", "per switch port in use"),
    HW_BOOL(hw_fabric_t, per_flow_paths, 0, "each flow picks a spine: ECMP by hash, adaptive by load"),
    HW_BOOL(hw_fabric_t, roce_cc, 0, "RoCE congestion control: a port's rate falls under incast (DCQCN-like)"),
    HW_COUNT(hw_fabric_t, roce_cc_incast_flows, 1, 0, "flows", "flows into one port kept at line rate"),
    HW_FRAC(hw_fabric_t, roce_cc_min_efficiency, 0, "effective / line rate of a port under heavy incast"),
    {"traffic_classes", JB_CHOICE, offsetof(hw_fabric_t, traffic_classes), sizeof(int), 0, 0, 0, tclass_names, NULL,
     NULL, "weighted shares of the storage ports: off, by kind of move, or by tenant"},
    HW_COUNT(hw_fabric_t, tenants, 1, 0, "tenants", "traffic_classes tenant: node d belongs to tenant d mod tenants"),
    HW_OPT(hw_fabric_t, tc_load_weight, "weight", "traffic_classes kind: share of KV loads"),
    HW_OPT(hw_fabric_t, tc_writeback_weight, "weight", "traffic_classes kind: share of write-backs"),
    HW_OPT(hw_fabric_t, tc_prestage_weight, "weight", "traffic_classes kind: share of prestaging"),
    JB_END,
};
static const jb_spec_t fabric_spec = {"fabric", fabric_fields, NULL};

static const jb_field_t icms_fields[] = {
    HW_BOOL(hw_icms_t, present, 1, "the pod has an ICMS tier (G3.5)"),
    HW_COUNT(hw_icms_t, enclosures, 0, 0, "enclosures", "ICMS flash enclosures in the pod"),
    HW_COUNT(hw_icms_t, dpus_per_enclosure, 0, 0, "DPUs", "BlueField-4 per enclosure"),
    HW_OPT(hw_icms_t, capacity_per_dpu_bytes, "bytes", "usable flash behind each DPU"),
    HW_OPT(hw_icms_t, dpu_network_gbit_s, "Gbit/s", "per DPU"),
    HW_OPT(hw_icms_t, dpu_crypto_byte_s, "bytes/s", "line-rate crypto + CRC engines, per DPU"),
    HW_OPT(hw_icms_t, dpu_latency_s, "s", "DPU processing per I/O"),
    HW_COUNT(hw_icms_t, ssds_per_enclosure, 0, 0, "SSDs", "NVMe SSDs per enclosure"),
    HW_OPT(hw_icms_t, ssd_capacity_bytes, "bytes", "per SSD"),
    HW_OPT(hw_icms_t, ssd_read_byte_s, "bytes/s", "per SSD"),
    HW_OPT(hw_icms_t, ssd_write_byte_s, "bytes/s", "per SSD"),
    HW_OPT(hw_icms_t, ssd_latency_s, "s", "per SSD I/O"),
    HW_OPT(hw_icms_t, dpu_w, "W", "per DPU, powered and idle"),
    HW_OPT(hw_icms_t, dpu_load_w, "W", "per DPU, extra at line rate (0 = constant)"),
    HW_OPT(hw_icms_t, ssd_active_w, "W", "per SSD, busy"),
    HW_OPT(hw_icms_t, ssd_idle_w, "W", "per SSD, idle"),
    HW_OPT(hw_icms_t, enclosure_other_w, "W", "fans, PSU losses per enclosure"),
    HW_OPT(hw_icms_t, dpu_price_usd, "USD", "per DPU"),
    HW_OPT(hw_icms_t, flash_usd_per_byte, "USD/byte", "flash price"),
    HW_OPT(hw_icms_t, enclosure_price_usd, "USD", "chassis without DPUs and flash"),
    HW_OPT(hw_icms_t, io_bytes, "bytes", "bytes per NVMe-oF command (0 = no per-I/O costs)"),
    HW_OPT(hw_icms_t, dpu_arm_per_io_s, "s", "Arm-core time per NVMe-oF command on the DPU"),
    HW_COUNT(hw_icms_t, dpu_arm_cores, 0, 0, "cores", "per DPU, terminating commands in parallel"),
    HW_COUNT(hw_icms_t, queue_depth, 0, 0, "commands", "outstanding per SSD (0 = unlimited)"),
    HW_BOOL(hw_icms_t, crypto_off, 0, "bypass inline encryption (no cap, no energy)"),
    HW_BOOL(hw_icms_t, crc_off, 0, "bypass the CRC offload (no cap, no energy)"),
    HW_OPT(hw_icms_t, dpu_crc_byte_s, "bytes/s", "per DPU, separate CRC engine (0 = in the crypto rate)"),
    HW_OPT(hw_icms_t, crypto_j_per_byte, "J/byte", "crypto engine energy"),
    HW_OPT(hw_icms_t, crc_j_per_byte, "J/byte", "CRC engine energy"),
    HW_OPT(hw_icms_t, ssd_read_iops, "IOPS", "per SSD at io_bytes (0 = unlimited)"),
    HW_OPT(hw_icms_t, ssd_write_iops, "IOPS", "per SSD at io_bytes (0 = unlimited)"),
    HW_COUNT(hw_icms_t, stripe_enclosures, 0, 0, "enclosures", "a run of blocks is striped over (0/1 = one)"),
    JB_END,
};
static const jb_spec_t icms_spec = {"icms", icms_fields, NULL};

static const jb_field_t g4_fields[] = {
    HW_BOOL(hw_g4_t, present, 1, "the pod has traditional shared storage (G4)"),
    HW_COUNT(hw_g4_t, servers, 0, 0, "servers", "x86 storage servers"),
    HW_OPT(hw_g4_t, capacity_bytes, "bytes", "usable capacity, whole cluster"),
    HW_COUNT(hw_g4_t, nic_ports_per_server, 0, 0, "ports", "per server"),
    HW_OPT(hw_g4_t, nic_port_gbit_s, "Gbit/s", "per port"),
    HW_OPT(hw_g4_t, controller_byte_s, "bytes/s", "per server controller throughput"),
    HW_OPT(hw_g4_t, per_io_cpu_s, "s", "controller CPU time per I/O (one core)"),
    HW_COUNT(hw_g4_t, controller_cores, 0, 0, "cores", "per server, serving I/O in parallel"),
    HW_OPT(hw_g4_t, io_bytes, "bytes", "bytes per I/O"),
    HW_OPT(hw_g4_t, protocol_latency_s, "s", "file/object protocol round trip"),
    HW_COUNT(hw_g4_t, replication, 0, 0, "copies", "copies written per byte"),
    HW_OPT(hw_g4_t, media_read_byte_s, "bytes/s", "per server"),
    HW_OPT(hw_g4_t, media_write_byte_s, "bytes/s", "per server"),
    HW_OPT(hw_g4_t, server_w, "W", "per server, busy"),
    HW_OPT(hw_g4_t, server_idle_w, "W", "per server, idle"),
    HW_OPT(hw_g4_t, server_price_usd, "USD", "per server"),
    HW_OPT(hw_g4_t, usd_per_byte, "USD/byte", "media price per stored byte"),
    HW_OPT(hw_g4_t, metadata_ops_per_object, "ops", "metadata operations per object (one hop's bytes)"),
    HW_OPT(hw_g4_t, metadata_op_s, "s", "latency of one metadata operation"),
    JB_END,
};
static const jb_spec_t g4_spec = {"g4", g4_fields, NULL};

static const jb_field_t energy_fields[] = {
    {"pue", JB_DOUBLE, offsetof(hw_energy_t, pue), sizeof(double), 1, 5, JB_REQUIRED, NULL, NULL, "ratio",
     "facility power / IT power"},
    HW_NONNEG(hw_energy_t, hbm_j_per_byte, "J/byte", "HBM access"),
    HW_NONNEG(hw_energy_t, dram_j_per_byte, "J/byte", "host DRAM access"),
    HW_NONNEG(hw_energy_t, nvlink_j_per_byte, "J/byte", "NVLink transfer"),
    HW_NONNEG(hw_energy_t, c2c_j_per_byte, "J/byte", "NVLink-C2C transfer"),
    HW_NONNEG(hw_energy_t, pcie_j_per_byte, "J/byte", "PCIe transfer"),
    HW_NONNEG(hw_energy_t, ethernet_j_per_byte, "J/byte", "NIC SerDes, per end"),
    HW_NONNEG(hw_energy_t, ssd_read_j_per_byte, "J/byte", "SSD read"),
    HW_NONNEG(hw_energy_t, ssd_write_j_per_byte, "J/byte", "SSD write"),
    HW_OPT(hw_energy_t, ssd_per_io_j, "J",
           "per SSD I/O on top of its bytes (local NVMe and ICMS; sized by node.kv_io_bytes)"),
    JB_END,
};
static const jb_spec_t energy_spec = {"energy", energy_fields, NULL};

static const jb_field_t cost_fields[] = {
    HW_POS(hw_cost_t, depreciation_years, "years", "straight-line amortisation period"),
    HW_NONNEG(hw_cost_t, electricity_usd_per_kwh, "USD/kWh", "electricity price"),
    HW_FRAC(hw_cost_t, maintenance_fraction_per_year, 1, "yearly maintenance as a share of capex"),
    HW_NONNEG(hw_cost_t, facility_usd_per_kw_year, "USD/kW/year", "space and cooling plant per kW of IT power"),
    HW_STR(hw_cost_t, price_date, 1, "when the prices were current (YYYY-MM)"),
    JB_END,
};
static const jb_spec_t cost_spec = {"cost", cost_fields, NULL};

static int hw_pod_spec_check(void *dst, jb_error_t *err)
{
    return hw_pod_check((const hw_pod_t *)dst, err->path, sizeof err->path, err->msg, sizeof err->msg);
}

static const jb_field_t pod_fields[] = {
    /* Hidden: set by cfg_hw_load for `kvtwin fit`, never written (an empty "preset" in a resolved
     * scenario would read as a preset reference). */
    {"preset", JB_STRING, offsetof(hw_pod_t, preset), JB_MEMBER_SIZE(hw_pod_t, preset), 0, 0, JB_HIDDEN, NULL, NULL,
     NULL, "preset file this came from"},
    HW_STR(hw_pod_t, name, 1, "name of the configuration"),
    HW_STR(hw_pod_t, description, 0, "one line"),
    HW_COUNT(hw_pod_t, nodes, 1, 1, "nodes", "compute nodes in the pod"),
    HW_OBJ(hw_pod_t, gpu, gpu_spec, 1, "the GPU"),
    HW_OBJ(hw_pod_t, node, node_spec, 1, "a compute node (tray or server)"),
    HW_OBJ(hw_pod_t, fabric, fabric_spec, 1, "leaf-spine scale-out Ethernet"),
    HW_OBJ(hw_pod_t, icms, icms_spec, 0, "ICMS flash tier behind BlueField-4 (G3.5)"),
    HW_OBJ(hw_pod_t, g4, g4_spec, 0, "traditional shared storage (G4)"),
    HW_OBJ(hw_pod_t, energy, energy_spec, 1, "PUE and energy per byte moved"),
    HW_OBJ(hw_pod_t, cost, cost_spec, 1, "amortisation and operating prices"),
    JB_END,
};

const jb_spec_t cfg_hw_pod_spec = {"hardware", pod_fields, hw_pod_spec_check};

/* Binds a whole document's root, or one section of it, into dst with defaults first; errors are located
 * in the file (or --set argument) the offending value came from. */
int cfg_bind_located(const jb_spec_t *spec, const cfg_doc_t *d, const cJSON *obj, const char *base, void *dst,
                     char *err, size_t errlen)
{
    jb_error_t e = {{0}, {0}};
    if (jb_bind(spec, obj, dst, base, &e) == 0)
        return 0;
    cfg_doc_error(d, e.path, e.msg, err, errlen);
    return -1;
}

int cfg_load_preset_doc(const char *kind, const char *name_or_path, const char *const *sets, int nsets, cfg_doc_t *d,
                        char *err, size_t errlen)
{
    char file[1400];
    if (strchr(name_or_path, '/') || strstr(name_or_path, ".json")) {
        snprintf(file, sizeof file, "%s", name_or_path);
    } else {
        snprintf(file, sizeof file, "%s/%s/%s.json", cfg_config_dir(), kind, name_or_path);
        FILE *f = fopen(file, "r");
        if (!f) {
            char names[1024];
            cfg_list_presets(kind, names, sizeof names);
            snprintf(err, errlen, "unknown %s preset \"%s\"; available: %s", kind, name_or_path, names);
            return -1;
        }
        fclose(f);
    }
    if (cfg_doc_load(d, file, err, errlen))
        return -1;
    for (int i = 0; i < nsets; i++) {
        if (cfg_doc_set(d, sets[i], err, errlen)) {
            cfg_doc_free(d);
            return -1;
        }
    }
    return 0;
}

int cfg_hw_load(const char *name_or_path, const char *const *sets, int nsets, hw_pod_t *out, char *err, size_t errlen)
{
    cfg_doc_t d;
    if (cfg_load_preset_doc("hardware", name_or_path, sets, nsets, &d, err, errlen))
        return -1;
    hw_pod_defaults(out);
    int rc = cfg_bind_located(&cfg_hw_pod_spec, &d, d.root, "", out, err, errlen);
    if (rc == 0 && !out->preset[0] && !strchr(name_or_path, '/'))
        snprintf(out->preset, sizeof out->preset, "%s", name_or_path);
    cfg_doc_free(&d);
    return rc;
}
