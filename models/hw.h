/* Hardware description of a pod: GPUs, compute nodes (host CPU, DRAM, local NVMe, NICs, DPUs), the
 * leaf-spine Ethernet fabric, the ICMS flash tier behind BlueField DPUs (G3.5) and traditional shared
 * storage (G4). Plain data filled from configs/hardware/ (one JSON file per preset); every field carries its unit in its name.
 * SI units: bytes, bytes per second, seconds, watts, dollars; link speeds in Gbit/s where vendors quote
 * them so. Sources and confidence of every preset value: docs/parameters.md.
 * hw.c adds the derived figures (tier capacities and bandwidths, switch counts) that the platform
 * generator, the power and cost models and `kvtwin hw show` share, so they are computed once. */
#ifndef KVTWIN_HW_H
#define KVTWIN_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Efficiency factors of the step-time model (achieved / peak), fitted per GPU and precision by
 * `kvtwin fit` from measured points; presets carry the fitted values. A calibration whose
 * compute_efficiency is 0 is absent (see hw_gpu_calib). */
typedef struct st_calib {
    double compute_efficiency;   /* matmul FLOP/s achieved / peak */
    double memory_efficiency;    /* HBM bytes/s achieved / peak */
    double comm_efficiency;      /* NVLink achieved / peak */
    double step_overhead_s;      /* fixed per-iteration cost (scheduling, kernel launches) */
    double per_seq_overhead_s;   /* per request in the batch */
    double collective_latency_s; /* per hop of a collective: a ring all-reduce over n GPUs takes 2 (n - 1) hops,
                                    an all-to-all n - 1, a pipeline send 1 */
    double prefill_overhead_s;   /* extra fixed cost of an iteration that carries prefill (engines often run
                                    prefill outside their captured CUDA graphs) */
} st_calib_t;

typedef struct hw_gpu {
    char name[48];
    double hbm_capacity_bytes;
    double hbm_bandwidth_byte_s;
    double bf16_dense_flop_s;
    double fp8_dense_flop_s;           /* 0 = no FP8 tensor cores */
    double fp4_dense_flop_s;           /* 0 = no FP4 tensor cores */
    double nvlink_bandwidth_byte_s;    /* per GPU, per direction */
    double host_link_bandwidth_byte_s; /* NVLink-C2C or PCIe to the host CPU, per direction */
    double host_link_latency_s;
    double pcie_bandwidth_byte_s; /* PCIe to NIC / local NVMe, per direction */
    double tdp_w;
    double idle_w;
    double memory_bound_power_fraction; /* share of the dynamic range (TDP - idle) drawn when memory-bound */
    double comm_power_fraction;         /* share of the dynamic range drawn during collectives */
    double power_cap_w;                 /* board power limit set by the operator (0 = none; TDP applies) */
    double price_usd;
    uint32_t nvlink_domain_gpus; /* GPUs one NVLink switch fabric joins (8 for HGX, 72 for NVL72) */
    bool host_link_c2c;          /* host link is NVLink-C2C (energy per byte differs from PCIe) */
    st_calib_t calib;            /* fitted efficiency factors: BF16 compute (the default) */
    st_calib_t calib_fp8;        /* FP8 compute; absent = use calib */
    st_calib_t calib_fp4;        /* FP4 compute; absent = use calib_fp8, then calib */
    char calib_source[200];      /* where the calibrations come from: fitted here, or borrowed */
} hw_gpu_t;

typedef struct hw_node {
    uint32_t gpus;                /* GPUs per node (compute tray / server) */
    uint32_t cpus;                /* host CPUs per node */
    double dram_capacity_bytes;   /* per node */
    double dram_bandwidth_byte_s; /* per node */
    double dram_kv_fraction;      /* share of DRAM usable as G2 KV cache */
    double cpu_idle_w;            /* per CPU */
    double cpu_max_w;             /* per CPU */
    uint32_t nvme_drives;         /* local NVMe drives per node (G3) */
    double nvme_capacity_bytes;   /* per drive */
    double nvme_read_byte_s;      /* per drive */
    double nvme_write_byte_s;     /* per drive */
    double nvme_latency_s;
    double nvme_kv_fraction; /* share of local NVMe usable as G3 KV cache */
    double nvme_active_w;    /* per drive */
    double nvme_idle_w;      /* per drive */
    uint32_t nic_ports_per_gpu;
    double nic_port_gbit_s;
    double nic_latency_s;
    double nic_w;                /* per port, powered with links up and no traffic */
    double nic_load_w;           /* per port, extra at line rate (packet processing, DMA); 0 = constant */
    uint32_t dpus;               /* front-end DPUs per node */
    double dpu_gbit_s;           /* per DPU, front-end network */
    double dpu_w;                /* per DPU, powered and idle */
    double dpu_load_w;           /* per DPU, extra at line rate; 0 = constant */
    double dram_idle_w;          /* per node: DIMM background and refresh power (per-byte energy is in energy) */
    double cpu_busy_core_w;      /* per core kept busy, above the CPU's idle power */
    double engine_cores_per_gpu; /* cores the serving engine keeps busy per GPU while it iterates */
    double per_io_cpu_s;         /* host core time per KV I/O (submission, completion, copies) */
    double kv_io_bytes;          /* bytes per KV I/O through the host, NVMe or the DPU */
    double nvswitch_w;           /* this node's share of the NVLink switch power */
    double other_w;              /* fans, board, conversion losses per node */
    double price_usd;            /* node without GPUs (CPUs, DRAM, NVMe, NICs, chassis) */
    int storage_network;         /* hw_storage_net_t: which ports carry KV traffic to G3.5/G4 */
} hw_node_t;

/* KV traffic to the pod's storage tiers leaves a node through its front-end DPUs (the ICMS design: flash
 * on the front-end RDMA fabric) or through the GPUs' own scale-out NICs. */
typedef enum hw_storage_net { HW_STORAGE_NET_DPU = 0, HW_STORAGE_NET_GPU_NIC } hw_storage_net_t;

typedef enum hw_routing { HW_ROUTING_ADAPTIVE = 0, HW_ROUTING_ECMP } hw_routing_t;
/* Traffic classes at the storage ports (sim/core/fabric.h): none, by kind of move, or by tenant. */
typedef enum hw_tclass { HW_TC_OFF = 0, HW_TC_KIND, HW_TC_TENANT } hw_tclass_t;

typedef struct hw_fabric {
    double port_gbit_s;            /* leaf and spine port speed */
    uint32_t leaf_ports;           /* ports per leaf switch (radix) */
    uint32_t spine_ports;          /* ports per spine switch (radix) */
    double oversubscription;       /* leaf downlink : uplink capacity */
    double switch_latency_s;       /* port to port */
    int routing;                   /* hw_routing_t */
    double adaptive_efficiency;    /* effective / line rate with adaptive routing + congestion control */
    double ecmp_efficiency;        /* effective / line rate with static ECMP hashing */
    double switch_w;               /* per leaf switch; a spine counts spine_ports / leaf_ports of it */
    double optics_j_per_byte;      /* transceiver energy per byte crossing a switch port */
    double switch_price_usd;       /* per leaf switch; a spine scales by radix like switch_w */
    double optics_price_usd;       /* per switch port (transceiver or CPO share) */
    bool per_flow_paths;           /* each flow picks its spine (ECMP: by hash; adaptive: least loaded) instead of the
                          * pair's static spine derated by the efficiency factors (sim/core/fabric.h) */
    bool roce_cc;                  /* RoCE congestion control under incast (DCQCN-like, sim/core/fabric.h) */
    uint32_t roce_cc_incast_flows; /* flows into one port direction up to which it keeps line rate */
    double roce_cc_min_efficiency; /* effective / line rate a port tends to under heavy incast */
    int traffic_classes;           /* hw_tclass_t */
    uint32_t tenants;              /* HW_TC_TENANT: node (domain) d belongs to tenant d mod tenants */
    double tc_load_weight;         /* HW_TC_KIND: weights of KV loads, write-backs and prestage */
    double tc_writeback_weight;
    double tc_prestage_weight;
} hw_fabric_t;

typedef struct hw_icms {
    bool present;
    uint32_t enclosures;
    uint32_t dpus_per_enclosure;
    double capacity_per_dpu_bytes; /* flash behind each BlueField-4 */
    double dpu_network_gbit_s;     /* per DPU */
    double dpu_crypto_byte_s;      /* line-rate crypto + CRC engines, per DPU */
    double dpu_latency_s;          /* DPU processing per I/O */
    uint32_t ssds_per_enclosure;
    double ssd_capacity_bytes; /* per SSD (raw; must hold the DPUs' capacity) */
    double ssd_read_byte_s;    /* per SSD */
    double ssd_write_byte_s;   /* per SSD */
    double ssd_latency_s;
    double dpu_w;             /* per DPU, powered and idle */
    double dpu_load_w;        /* per DPU, extra at line rate; 0 = constant */
    double ssd_active_w;      /* per SSD */
    double ssd_idle_w;        /* per SSD */
    double enclosure_other_w; /* fans, PSU losses per enclosure */
    double dpu_price_usd;
    double flash_usd_per_byte;
    double enclosure_price_usd; /* chassis without DPUs and flash */
    /* Per-I/O model of the path (sim/core/storage_path.h); every key 0/false = not modelled, which keeps
     * the bandwidth-only path (the DPU a crypto-rate cap, the drives their bandwidth). */
    double io_bytes;            /* bytes per NVMe-oF command (0 = no per-I/O costs) */
    double dpu_arm_per_io_s;    /* Arm-core time to terminate one NVMe-oF command on the BlueField-4 */
    uint32_t dpu_arm_cores;     /* per DPU, serving commands in parallel */
    uint32_t queue_depth;       /* outstanding commands per SSD (caps throughput by Little's law) */
    bool crypto_off;            /* inline encryption bypassed: no crypto cap, no crypto energy */
    bool crc_off;               /* CRC/T10-DIF offload bypassed */
    double dpu_crc_byte_s;      /* per DPU, when CRC is a separate engine (0 = inside dpu_crypto_byte_s) */
    double crypto_j_per_byte;   /* crypto engine energy per byte */
    double crc_j_per_byte;      /* CRC engine energy per byte */
    double ssd_read_iops;       /* per SSD at io_bytes (0 = bandwidth-bound only) */
    double ssd_write_iops;      /* per SSD */
    uint32_t stripe_enclosures; /* enclosures a run of consecutive blocks is striped over (0/1 = one) */
} hw_icms_t;

typedef struct hw_g4 {
    bool present;
    uint32_t servers;
    double capacity_bytes; /* usable, whole cluster */
    uint32_t nic_ports_per_server;
    double nic_port_gbit_s;
    double controller_byte_s;  /* per server: x86 controller throughput */
    double per_io_cpu_s;       /* controller CPU time per I/O (one core) */
    uint32_t controller_cores; /* per server: cores serving I/O in parallel */
    double io_bytes;           /* bytes per I/O */
    double protocol_latency_s; /* file/object protocol round trip */
    uint32_t replication;      /* copies written per byte */
    double media_read_byte_s;  /* per server */
    double media_write_byte_s; /* per server */
    double server_w;           /* per server, busy */
    double server_idle_w;      /* per server, idle */
    double server_price_usd;
    double usd_per_byte;
    double metadata_ops_per_object; /* metadata lookups/updates per object (one object = one hop's bytes) */
    double metadata_op_s;           /* latency of one metadata operation */
} hw_g4_t;

typedef struct hw_energy {
    double pue; /* facility power / IT power (1 = IT only) */
    double hbm_j_per_byte;
    double dram_j_per_byte;
    double nvlink_j_per_byte;
    double c2c_j_per_byte;
    double pcie_j_per_byte;
    double ethernet_j_per_byte; /* NIC SerDes; optics are in the fabric */
    double ssd_read_j_per_byte;
    double ssd_write_j_per_byte;
    double ssd_per_io_j; /* per SSD I/O (controller and flash command work), on top of the bytes */
} hw_energy_t;

typedef struct hw_cost {
    double depreciation_years;
    double electricity_usd_per_kwh;
    double maintenance_fraction_per_year; /* of capex */
    double facility_usd_per_kw_year;      /* space, cooling plant, per kW of IT power */
    char price_date[16];                  /* when the prices were current, YYYY-MM */
} hw_cost_t;

typedef struct hw_pod {
    char preset[64]; /* preset file it came from ("" if built inline) */
    char name[64];
    char description[160];
    uint32_t nodes; /* compute nodes in the pod */
    hw_gpu_t gpu;
    hw_node_t node;
    hw_fabric_t fabric;
    hw_icms_t icms;
    hw_g4_t g4;
    hw_energy_t energy;
    hw_cost_t cost;
} hw_pod_t;

/* 64-bit: 2^29 nodes of 8 GPUs overflow 32 bits. */
static inline uint64_t hw_pod_gpus(const hw_pod_t *p)
{
    return (uint64_t)p->nodes * p->node.gpus;
}

/* Values a preset may leave out (efficiencies, fractions, energy defaults); everything a preset must
 * state (capacities, bandwidths, counts) stays 0 so that a missing value is caught by hw_pod_check. */
void hw_pod_defaults(hw_pod_t *p);

/* Cross-field validation after binding: required positive values, ICMS and G4 values only when their
 * section is present, consistency (flash behind the DPUs fits on the SSDs, a node fits an NVLink domain).
 * Returns 0, or -1 with the offending key's path relative to the pod ("icms.enclosures") in path and a
 * one-line message. */
int hw_pod_check(const hw_pod_t *p, char *path, size_t pathlen, char *msg, size_t msglen);

/* The calibration to use for a compute precision (llm_dtype_t): FP4 falls back to FP8 then BF16, FP8
 * to BF16, so a preset only carries the calibrations it was fitted for. */
const st_calib_t *hw_gpu_calib(const hw_gpu_t *g, int compute_dtype);

/* Peak dense tensor FLOP/s at a compute precision (llm_dtype_t); 0 if the GPU lacks it. */
double hw_gpu_peak_flop_s(const hw_gpu_t *g, int compute_dtype);

/* Fabric sizing from the endpoints it must join: leaf and spine switch counts of a two-tier leaf-spine
 * with the configured radix and oversubscription. */
typedef struct hw_fabric_size {
    uint64_t endpoints;     /* ports facing hosts: GPU NICs, node DPUs, ICMS DPUs, G4 servers */
    uint32_t down_per_leaf; /* host-facing ports per leaf */
    uint32_t up_per_leaf;   /* spine-facing ports per leaf */
    uint64_t leaves;        /* counts are 64-bit: they multiply node counts */
    uint64_t spines;
    uint64_t switch_ports;       /* all switch ports in use (optics count) */
    double leaf_equivalents;     /* leaves + spines x spine_ports / leaf_ports: power and price units */
    double effective_efficiency; /* of the configured routing */
    double bisection_byte_s;     /* effective leaf-to-spine capacity */
} hw_fabric_size_t;

void hw_fabric_sizing(const hw_pod_t *p, hw_fabric_size_t *out);

/* Capacity and aggregate bandwidth of each KV tier for the whole pod. */
typedef struct hw_tier {
    const char *name; /* "G1 HBM", ... */
    bool present;
    double capacity_bytes;    /* raw capacity of the tier, pod-wide */
    double kv_capacity_bytes; /* share usable for KV (HBM: before weights, see steptime) */
    double read_byte_s;       /* aggregate read bandwidth */
    double write_byte_s;      /* aggregate write bandwidth */
    double latency_s;         /* access latency seen by a transfer (device + protocol) */
} hw_tier_t;

enum { HW_TIER_G1 = 0, HW_TIER_G2, HW_TIER_G3, HW_TIER_G35, HW_TIER_G4, HW_TIERS };

void hw_tiers(const hw_pod_t *p, hw_tier_t out[HW_TIERS]);

/* Per-DPU and per-enclosure ICMS figures: the flash bandwidth behind a DPU and what its network port,
 * crypto engines and SSDs allow; the effective bandwidth is the smallest. */
double hw_icms_dpu_read_byte_s(const hw_icms_t *c);
double hw_icms_dpu_write_byte_s(const hw_icms_t *c);

/* G4 per-server effective throughput: the smallest of NICs, controller, media and the CPU's I/O rate
 * (per_io_cpu_s per io_bytes); writes are divided by the replication factor. */
/* What the controller's cores can serve when each I/O costs per_io_cpu_s of one core. */
double hw_g4_io_byte_s(const hw_g4_t *g);
double hw_g4_server_read_byte_s(const hw_g4_t *g);
double hw_g4_server_write_byte_s(const hw_g4_t *g);

#endif
