/* Per-flow paths through the leaf-spine fabric (hardware.fabric.per_flow_paths). Without them a host pair
 * has one static spine and the uplinks are derated by an efficiency factor; with them every transfer that
 * crosses the fabric picks its spine when it starts: ECMP by a hash of the flow (so concurrent large flows
 * can land on one uplink and halve each other's rate, whatever the load of the others), adaptive routing the
 * spine whose two uplinks carry the fewest flows now (ties broken from the flow's hash). SimGrid routes are
 * static per host pair, so each storage endpoint has one alias host per spine whose routes use that spine
 * (platform.c writes them); the transfer runs from or to the alias. */
#ifndef KVTWIN_FABRIC_H
#define KVTWIN_FABRIC_H

#include "sim/core/platform.h"

/* The spine for a flow from leaf_a to leaf_b; flow_key is its hash input. */
uint32_t fab_pick_spine(const platform_t *pf, uint32_t leaf_a, uint32_t leaf_b, uint64_t flow_key);

/* For a transfer src -> dst on a per-flow platform: picks the spine, fills r with the route over it and
 * returns true with *alias_ep the endpoint (ICMS, else G4) whose alias host for *spine carries it; false
 * (r untouched) when the route does not cross the fabric or paths are static. */
bool fab_route_flow(platform_t *pf, pf_ep_t src, pf_ep_t dst, pf_route_t *r, pf_ep_t *alias_ep, uint32_t *spine);

/* RoCE congestion control (hardware.fabric.roce_cc), after a flow on route r started or ended: each network
 * port on r (node NICs and front-end DPUs, leaf-spine uplinks, enclosure and G4 ports) carrying n flows in
 * one direction runs at line rate x eff(n), eff = 1 up to roce_cc_incast_flows = n0 and
 * eff = e_min + (1 - e_min) n0 / n beyond (DCQCN's rate cuts and PFC pauses under incast: the more senders
 * converge on one port, the more of its time is lost, down to roce_cc_min_efficiency = e_min). The
 * capacity SimGrid shares is set per direction, so flows in progress slow down at once. Off: nothing. */
void fab_flow_changed(platform_t *pf, const pf_route_t *r);
/* (It also resizes the class links of the storage ports on r: see fab_class.) */
/* Traffic classes (hardware.fabric.traffic_classes): a transfer between a node (instance, host memory,
 * local NVMe) and a storage endpoint (ICMS enclosure, G4 server) belongs to a class: its kind of move
 * (KV loads, write-backs, prestage; weights tc_*_weight) or the tenant of its node (node d: tenant
 * d mod tenants, equal weights). Each class has its own link at each storage port, in series with the
 * port, whose capacity is the port's x w_c / (sum of w over the classes with flows there now, per
 * direction) -- weighted shares between classes as 802.1Qaz ETS gives them, work-conserving between the
 * classes present, max-min among one class's flows -- so a class with many flows cannot take another's
 * share. The class of job src -> dst, or UINT32_MAX (no classes, or not a node <-> storage transfer);
 * *storage is its storage end. */
uint32_t fab_class(const platform_t *pf, int move_kind, pf_ep_t src, pf_ep_t dst, pf_ep_t *storage);
/* Adds class c's link at the storage end to route r (storage_is_src: its UP direction). With per-flow paths
 * the transfer then uses the alias of its spine and class (pf_flow_class_alias_name). */
void fab_class_hop(const platform_t *pf, pf_ep_t storage, uint32_t c, bool storage_is_src, pf_route_t *r);

/* eff(n) above for n flows in one direction of a port (1 when roce_cc is off). */
double fab_cc_efficiency(const hw_fabric_t *f, uint32_t flows);

#endif
