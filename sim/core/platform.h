/* The pod as SimGrid sees it, generated from the hardware config at start-up.
 *
 * Hosts: one per model instance (its TP x PP GPUs, aggregated: a KV load lands on all of them at once),
 * one host CPU/DRAM and one local-NVMe host per domain (the nodes an instance's GPUs sit on), one per ICMS
 * enclosure and one per G4 storage server. Links are the resources that contend: NVLink-C2C or PCIe of
 * each instance, DRAM and NVMe of each domain, node ports (front-end DPU or GPU NICs), leaf-spine uplinks
 * (derated by the routing's effective efficiency), and inside each enclosure/server its ports, DPU
 * engines (or x86 controller) and flash. Routes are explicit link lists in a Full zone, generated only for
 * the host pairs the simulation uses; the spine of a pair is a static hash, as ECMP would pick it.
 * Link latencies are zero in the XML so sharing is plain max-min; each route's latency is kept here and
 * added analytically by the transfer layer. */
#ifndef KVTWIN_PLATFORM_H
#define KVTWIN_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/config/scenario.h"
#include "sim/out/energy.h"

typedef enum pf_kind { PF_INST = 0, PF_CPU, PF_SSD, PF_ICMS, PF_G4, PF_KINDS } pf_kind_t;

typedef struct pf_ep {
    uint8_t kind; /* pf_kind_t */
    uint32_t idx;
} pf_ep_t;

typedef struct pf_link {
    char name[24];
    double bw_byte_s;
    bool splitduplex;
    uint32_t active[2]; /* transfers in flight per direction (0 = UP, 1 = DOWN) */
    uint32_t down;      /* faults active on it now (sim/core/faults.h): per-flow paths avoid it */
    double cc_eff[2];   /* congestion control or class share: the fraction SimGrid has now per direction (0 = 1) */
    double dir_bw[2];   /* a class link: the rate its share is of, per direction (the endpoint's bottleneck) */
} pf_link_t;

#define PF_MAX_HOPS 12

typedef struct pf_hop {
    uint32_t link;
    uint8_t down; /* SPLITDUPLEX direction: 0 = UP, 1 = DOWN */
} pf_hop_t;

typedef struct pf_route {
    pf_hop_t hop[PF_MAX_HOPS];
    uint8_t n;
    double latency_s;              /* fixed part: device access, DPU/controller, NICs, switch hops */
    double j_per_byte[EN_CLASSES]; /* energy of moving one byte along the route, by component class */
} pf_route_t;

typedef struct platform {
    uint32_t n_inst, n_domains, n_nodes;
    uint32_t inst_gpus;     /* GPUs per instance (of the prefill pool when the pools' TP differ) */
    uint32_t *gpus_of_inst; /* n_inst: GPUs of each instance (per-pool TP) */
    uint32_t nodes_per_domain;
    uint32_t *domain_of_inst; /* n_inst */
    uint32_t n_icms, n_g4;
    uint32_t n_leaf, n_spine, n_compute_leaves;
    uint32_t *leaf_of_attach; /* leaf of each domain's (or instance's) network attachment */
    uint32_t *leaf_of_icms, *leaf_of_g4;
    bool storage_via_gpu_nic;
    pf_link_t *links;
    uint32_t n_links;
    /* first link index of each family */
    uint32_t *nvl_of_inst; /* NVLink domain (NVL72 rack, HGX node) of each instance: GPUs laid out in order */
    bool inst_routes;      /* instance <-> instance routes are in the XML (disaggregation's KV transfers) */
    bool peer_routes;      /* host memory <-> other domains' instances (peer KV, kv.peer_g2) */
    uint32_t n_prefill; /* disaggregation: instances [0, n_prefill) prefill, the rest decode (the planner moves it) */
    bool any_pair;      /* the planner may move the boundary: routes between every pair of instances */
    uint32_t l_nvl;     /* each instance's NVLink ports into its domain's switches (disaggregation) */
    uint32_t l_c2c, l_pcie, l_nic, l_dram, l_nvme, l_nvmew, l_fe, l_up, l_eport, l_edpu, l_essd, l_essdw, l_g4nic,
        l_g4ctl, l_g4m, l_g4mw;
    bool per_flow;     /* hardware.fabric.per_flow_paths with more than one spine: storage endpoints get one
                        * alias host per spine (fabric.h) */
    uint64_t flow_seq; /* flows routed so far, the ECMP hash's input */
    /* Traffic classes (hardware.fabric.traffic_classes, fabric.h): n_cls classes with weights cls_w; link
     * l_cls + k * n_cls + c is class c's share of storage endpoint k's port (k: enclosures, then G4
     * servers), reached through the endpoint's class alias host "icms-E~cC". */
    uint32_t n_cls, l_cls;
    double cls_w[8];
    const hw_pod_t *hw; /* borrowed from the scenario */
    double ethernet_j_per_byte, optics_j_per_byte;
} platform_t;

/* Lays out instances, domains, leaves and links for a scenario. Errors (GPUs that do not tile into
 * instances, a fabric too small) come back as one line. */
int pf_build(platform_t *pf, const scenario_t *sc, char *err, size_t errlen);
void pf_free(platform_t *pf);
/* The GPU an instance runs on: its pool's (deployment.disagg.*_hardware), else the pod's. */
const hw_gpu_t *pf_inst_gpu(const platform_t *pf, const scenario_t *sc, uint32_t inst);

/* Instance to instance (a KV handoff): over NVLink inside an NVLink domain, else over the instances'
 * network side and the fabric. pf_has_route accepts such pairs; the XML holds them when pf->inst_routes. */
bool pf_same_nvlink(const platform_t *pf, uint32_t a, uint32_t b);
/* Writes the SimGrid platform XML (hosts, links, every route the simulation may use). */
int pf_write_xml(const platform_t *pf, const char *path, char *err, size_t errlen);

/* Endpoints of a kind (pf_kind_t) on this platform. */
uint32_t pf_count(const platform_t *pf, int kind);

/* "inst-3", "cpu-0", "ssd-0", "icms-2", "g4-1" */
void pf_host_name(pf_ep_t ep, char *buf, size_t len);

/* The route from src to dst (data flows src -> dst). Asserts on pairs the platform has no route for. */
void pf_route(const platform_t *pf, pf_ep_t src, pf_ep_t dst, pf_route_t *out);
/* The same over a given spine (spine < n_spine), for per-flow paths. */
void pf_route_spine(const platform_t *pf, pf_ep_t src, pf_ep_t dst, uint32_t spine, pf_route_t *out);
/* Leaves of the two ends of a route across the fabric; false if the route stays in a leaf or a domain. */
bool pf_route_leaves(const platform_t *pf, pf_ep_t src, pf_ep_t dst, uint32_t *leaf_a, uint32_t *leaf_b);
/* The leaf an endpoint attaches to (its node's ports or its storage ports). */
uint32_t pf_ep_leaf(const platform_t *pf, pf_ep_t ep);
/* True if the route from src to dst leaves the domain through network ports (a leaf switch), false for
 * NVLink and for the links inside a domain. */
bool pf_route_networked(const platform_t *pf, pf_ep_t src, pf_ep_t dst);
/* The up-link index of a leaf towards a spine. */
uint32_t pf_uplink(const platform_t *pf, uint32_t leaf, uint32_t spine);
/* "icms-2~s3": the alias host of a storage endpoint whose routes use spine s (per-flow paths). */
void pf_alias_name(pf_ep_t ep, uint32_t spine, char *buf, size_t len);
bool pf_has_route(const platform_t *pf, pf_ep_t src, pf_ep_t dst);
/* "icms-2~c1": the alias host of a storage endpoint whose routes carry class c's link. */
void pf_class_alias_name(pf_ep_t ep, uint32_t c, char *buf, size_t len);
/* "icms-2~s3~c1": per-flow paths with traffic classes, the alias whose routes use spine s and carry class
 * c's link. */
void pf_flow_class_alias_name(pf_ep_t ep, uint32_t spine, uint32_t c, char *buf, size_t len);
/* Class c's link at storage endpoint ep (an enclosure or G4 server). */
uint32_t pf_class_link(const platform_t *pf, pf_ep_t ep, uint32_t c);

/* Bandwidth a new transfer on the route would get now: the smallest fair share over its links. */
double pf_route_share_byte_s(const platform_t *pf, const pf_route_t *r);
/* Bottleneck bandwidth of the route when idle. */
double pf_route_peak_byte_s(const platform_t *pf, const pf_route_t *r);

/* Flow bookkeeping for the estimates above. */
void pf_route_begin(platform_t *pf, const pf_route_t *r);
void pf_route_end(platform_t *pf, const pf_route_t *r);

/* The ICMS enclosure / G4 server that serves a block (striping by block id). */
uint32_t pf_icms_of_block(const platform_t *pf, uint64_t block_id);
uint32_t pf_g4_of_block(const platform_t *pf, uint64_t block_id);

#endif
