/* Hardware description of a pod: GPUs, compute nodes (host CPU, DRAM, local NVMe, NICs, DPUs), the
 * leaf-spine Ethernet fabric, the ICMS flash tier behind BlueField DPUs (G3.5) and traditional shared
 * storage (G4). Plain data filled from configs/hardware/ (one JSON file per preset); every field carries its unit in its name.
 * SI units: bytes, bytes per second, seconds, watts, dollars; link speeds in Gbit/s where vendors quote
 * them so. Sources and confidence of every preset value: docs/parameters.md. */
#ifndef KVTWIN_HW_H
#define KVTWIN_HW_H

#include <stdbool.h>
#include <stdint.h>

/* Efficiency factors of the step-time model (achieved / peak), fitted per GPU and precision by
 * `kvtwin fit` from measured points; presets carry the fitted values. */
typedef struct st_calib {
    double compute_efficiency;   /* matmul FLOP/s achieved / peak */
    double memory_efficiency;    /* HBM bytes/s achieved / peak */
    double comm_efficiency;      /* NVLink achieved / peak */
    double step_overhead_s;      /* fixed per-iteration cost (scheduling, kernel launches) */
    double per_seq_overhead_s;   /* per request in the batch */
} st_calib_t;

typedef struct hw_gpu {
    char name[48];
    double hbm_capacity_bytes;
    double hbm_bandwidth_byte_s;
    double bf16_dense_flop_s;
    double fp8_dense_flop_s;
    double fp4_dense_flop_s;
    double nvlink_bandwidth_byte_s;     /* per GPU, per direction */
    double host_link_bandwidth_byte_s;  /* NVLink-C2C or PCIe to the host CPU, per direction */
    double host_link_latency_s;
    double pcie_bandwidth_byte_s;       /* PCIe to NIC / local NVMe, per direction */
    double tdp_w;
    double idle_w;
    double memory_bound_power_fraction; /* share of the dynamic range drawn when memory-bound */
    double price_usd;
    st_calib_t calib;                   /* fitted efficiency factors */
} hw_gpu_t;

typedef struct hw_node {
    uint32_t gpus;                  /* GPUs per node (compute tray / server) */
    uint32_t cpus;                  /* host CPUs per node */
    double dram_capacity_bytes;     /* per node */
    double dram_bandwidth_byte_s;   /* per node */
    double dram_kv_fraction;        /* share of DRAM usable as G2 KV cache */
    double cpu_idle_w;              /* per CPU */
    double cpu_max_w;               /* per CPU */
    uint32_t nvme_drives;           /* local NVMe drives per node (G3) */
    double nvme_capacity_bytes;     /* per drive */
    double nvme_read_byte_s;        /* per drive */
    double nvme_write_byte_s;       /* per drive */
    double nvme_latency_s;
    double nvme_kv_fraction;        /* share of local NVMe usable as G3 KV cache */
    double nvme_active_w;           /* per drive */
    double nvme_idle_w;             /* per drive */
    uint32_t nic_ports_per_gpu;
    double nic_port_gbit_s;
    double nic_latency_s;
    double nic_w;                   /* per port */
    uint32_t dpus;                  /* front-end DPUs per node */
    double dpu_w;                   /* per DPU */
    double other_w;                 /* fans, board, conversion losses per node */
    double price_usd;               /* node without GPUs (CPUs, DRAM, NVMe, NICs, chassis) */
    double dpu_network_gbit_s;      /* per front-end DPU */
    int storage_network;            /* hw_storage_net_t: which ports carry KV traffic to G3.5/G4 */
} hw_node_t;

/* KV traffic to the pod's storage tiers leaves a node through its front-end DPUs (the ICMS design: flash
 * on the front-end RDMA fabric) or through the GPUs' own scale-out NICs. */
typedef enum hw_storage_net { HW_STORAGE_NET_DPU = 0, HW_STORAGE_NET_GPU_NIC } hw_storage_net_t;

typedef enum hw_routing { HW_ROUTING_ADAPTIVE = 0, HW_ROUTING_ECMP } hw_routing_t;

typedef struct hw_fabric {
    double port_gbit_s;             /* leaf and spine port speed */
    uint32_t leaf_ports;            /* ports per leaf switch (radix) */
    double oversubscription;        /* leaf downlink : uplink capacity */
    double switch_latency_s;        /* port to port */
    int routing;                    /* hw_routing_t */
    double adaptive_efficiency;     /* effective / line rate with adaptive routing + congestion control */
    double ecmp_efficiency;         /* effective / line rate with static ECMP hashing */
    double switch_w;                /* per switch */
    double optics_j_per_byte;       /* transceiver energy per byte crossing a switch port */
    double switch_price_usd;
} hw_fabric_t;

typedef struct hw_icms {
    bool present;
    uint32_t enclosures;
    uint32_t dpus_per_enclosure;
    double capacity_per_dpu_bytes;   /* flash behind each BlueField-4 */
    double dpu_network_gbit_s;       /* per DPU */
    double dpu_crypto_byte_s;        /* line-rate crypto + CRC engines, per DPU */
    double dpu_latency_s;            /* DPU processing per I/O */
    uint32_t ssds_per_enclosure;
    double ssd_read_byte_s;          /* per SSD */
    double ssd_write_byte_s;         /* per SSD */
    double ssd_latency_s;
    double dpu_w;                    /* per DPU */
    double ssd_active_w;             /* per SSD */
    double ssd_idle_w;               /* per SSD */
    double enclosure_other_w;        /* fans, PSU losses per enclosure */
    double dpu_price_usd;
    double flash_usd_per_byte;
    double enclosure_price_usd;      /* chassis without DPUs and flash */
} hw_icms_t;

typedef struct hw_g4 {
    bool present;
    uint32_t servers;
    double capacity_bytes;           /* usable, whole cluster */
    uint32_t nic_ports_per_server;
    double nic_port_gbit_s;
    double controller_byte_s;        /* per server: x86 controller throughput */
    double per_io_cpu_s;             /* controller CPU time per I/O */
    double io_bytes;                 /* bytes per I/O */
    double protocol_latency_s;       /* file/object protocol round trip */
    uint32_t replication;            /* copies written per byte */
    double media_read_byte_s;        /* per server */
    double media_write_byte_s;       /* per server */
    double server_w;
    double server_price_usd;
    double usd_per_byte;
} hw_g4_t;

typedef struct hw_energy {
    double pue;                      /* facility power / IT power (1 = IT only) */
    double hbm_j_per_byte;
    double dram_j_per_byte;
    double nvlink_j_per_byte;
    double c2c_j_per_byte;
    double pcie_j_per_byte;
    double ethernet_j_per_byte;      /* NIC SerDes; optics are in the fabric */
    double ssd_read_j_per_byte;
    double ssd_write_j_per_byte;
} hw_energy_t;

typedef struct hw_cost {
    double depreciation_years;
    double electricity_usd_per_kwh;
    double maintenance_fraction_per_year; /* of capex */
    double facility_usd_per_kw_year;      /* space, cooling plant, per kW of IT power */
    char price_date[16];                  /* when the prices were current, YYYY-MM */
} hw_cost_t;

typedef struct hw_pod {
    char name[64];
    char description[160];
    uint32_t nodes;                  /* compute nodes in the pod */
    hw_gpu_t gpu;
    hw_node_t node;
    hw_fabric_t fabric;
    hw_icms_t icms;
    hw_g4_t g4;
    hw_energy_t energy;
    hw_cost_t cost;
} hw_pod_t;

static inline uint32_t hw_pod_gpus(const hw_pod_t *p)
{
    return p->nodes * p->node.gpus;
}

#endif
