/* Per-flow paths (sim/core/fabric.h): ECMP collisions on the uplinks of a many-to-one pattern, and adaptive
 * routing spreading the same flows, in SimGrid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config/scenario.h"
#include "sim/core/fabric.h"
#include "sim/core/platform.h"
#include "sim/core/sgb.h"
#include "testutil.h"

#define FLOWS 8
#define FLOW_BYTES 1e10

static platform_t fpf;
static double flow_end_s[FLOWS];
static uint32_t flow_spine[FLOWS];
static uint32_t flow_dst[FLOWS]; /* instance each flow goes to */

static void flow_actor(void *arg)
{
    uint32_t i = (uint32_t)(uintptr_t)arg;
    pf_ep_t src = {PF_ICMS, i}, dst = {PF_INST, flow_dst[i]};
    pf_route_t r;
    pf_ep_t alias;
    ck_assert(fab_route_flow(&fpf, src, dst, &r, &alias, &flow_spine[i]));
    ck_assert_uint_eq(alias.kind, PF_ICMS);
    char name[40];
    pf_alias_name(alias, flow_spine[i], name, sizeof name);
    pf_route_begin(&fpf, &r);
    fab_flow_changed(&fpf, &r);
    char dname[32];
    pf_host_name(dst, dname, sizeof dname);
    sgb_transfer(sgb_host(name), sgb_host(dname), FLOW_BYTES);
    pf_route_end(&fpf, &r);
    fab_flow_changed(&fpf, &r);
    flow_end_s[i] = sgb_now();
}

/* Eight enclosures each send 1e10 bytes to one of eight instances behind one compute leaf, all at once.
 * The fabric: 128-port leaves at 15:1 keep 8 uplinks of 100 GB/s, one per spine; each flow alone runs at
 * 100 GB/s (the node's 800 Gbit/s port and one uplink), i.e. 0.1 s. A spine that k flows share gives them
 * 100 / k GB/s each, so the pattern ends after k_max x 0.1 s. Returns the makespan; *k_max the most flows
 * on one spine. */
static sgb_actor_t *victim;
static double victim_at_s;

static void killer_actor(void *arg)
{
    (void)arg;
    sgb_sleep_until(victim_at_s);
    sgb_kill(victim);
}

static void victim_actor(void *arg)
{
    victim = sgb_self();
    flow_actor(arg);
}

/* n_flows flows from enclosures 0.. to instances (incast: all to instance 0; else flow i to instance i);
 * cc: RoCE congestion control on (incast_flows 2, min_efficiency 0.5); kill_at_s > 0: flow 1 is killed
 * then, as a fault kills a transfer worker. */
static double pattern(const char *routing, uint32_t n_flows, bool incast, bool cc, double kill_at_s, uint32_t *k_max)
{
    char rset[64];
    snprintf(rset, sizeof rset, "hardware.fabric.routing=%s", routing);
    const char *sets[] = {"hardware.nodes=18",
                          "deployment.tp=4",
                          "hardware.fabric.oversubscription=15",
                          "hardware.fabric.per_flow_paths=true",
                          "hardware.icms.enclosures=8",
                          rset,
                          cc ? "hardware.fabric.roce_cc=true" : "hardware.fabric.roce_cc=false",
                          "hardware.fabric.roce_cc_incast_flows=2",
                          "hardware.fabric.roce_cc_min_efficiency=0.5"};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    ck_assert_msg(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 9, -1, err, sizeof err) ==
                      0,
                  "%s", err);
    ck_assert_msg(pf_build(&fpf, sc, err, sizeof err) == 0, "%s", err);
    ck_assert(fpf.per_flow);
    ck_assert_uint_eq(fpf.n_spine, 8);
    ck_assert_double_eq_tol(fpf.links[fpf.l_up].bw_byte_s, 100e9, 1);
    const char *dir = tu_scratch_dir("fabric");
    char xml[1024];
    snprintf(xml, sizeof xml, "%s/platform-%s.xml", dir, routing);
    ck_assert_msg(pf_write_xml(&fpf, xml, err, sizeof err) == 0, "%s", err);
    int argc = 1;
    char arg0[] = "check_fabric", *argv[] = {arg0, NULL};
    sgb_init(&argc, argv);
    sgb_load_platform(xml);
    for (uint32_t i = 0; i < n_flows; i++) {
        flow_dst[i] = incast ? 0 : i;
        flow_end_s[i] = 0;
        bool v = kill_at_s > 0 && i == 1;
        sgb_spawn("flow", sgb_host("cpu-0"), v ? victim_actor : flow_actor, (void *)(uintptr_t)i, false);
    }
    if (kill_at_s > 0) {
        victim_at_s = kill_at_s;
        sgb_spawn("killer", sgb_host("cpu-0"), killer_actor, NULL, false);
    }
    sgb_run(0);
    uint32_t per[16] = {0};
    double end = 0;
    for (uint32_t i = 0; i < n_flows; i++) {
        per[flow_spine[i]]++;
        end = fmax(end, flow_end_s[i]);
    }
    *k_max = 0;
    for (uint32_t s = 0; s < fpf.n_spine; s++)
        *k_max = per[s] > *k_max ? per[s] : *k_max;
    if (kill_at_s > 0)
        end = flow_end_s[0];
    pf_free(&fpf);
    scenario_free(sc);
    free(sc);
    return end;
}

static double many_to_one(const char *routing, uint32_t *k_max)
{
    return pattern(routing, FLOWS, false, false, 0, k_max);
}

START_TEST(ecmp_collides)
{
    uint32_t k;
    double t = many_to_one("ecmp", &k);
    /* Eight flows hashed onto eight spines collide unless the hash is a permutation (8!/8^8 = 0.24 %). */
    ck_assert_uint_ge(k, 2);
    ck_assert_double_eq_tol(t, k * FLOW_BYTES / 100e9, 1e-6);
    /* Aggregate throughput below the 800 GB/s the eight uplinks offer. */
    ck_assert(FLOWS * FLOW_BYTES / t < 0.6 * 800e9);
}
END_TEST

START_TEST(adaptive_spreads)
{
    uint32_t k;
    double t = many_to_one("adaptive", &k);
    ck_assert_uint_eq(k, 1);
    ck_assert_double_eq_tol(t, FLOW_BYTES / 100e9, 1e-6);
}
END_TEST

/* Incast: the eight enclosures all send to instance 0, whose 800 Gbit/s port is the bottleneck (adaptive
 * routing gives each flow its own spine). Without congestion control the port runs at line rate, 8e10 bytes
 * in 0.8 s; with it, eight flows into one port direction run it at 0.5 + 0.5 x 2/8 = 0.625 of line rate,
 * 1.28 s. Below the incast threshold (two flows) nothing changes. */
START_TEST(roce_cc_incast_off)
{
    uint32_t k;
    ck_assert_double_eq_tol(pattern("adaptive", FLOWS, true, false, 0, &k), FLOWS * FLOW_BYTES / 100e9, 1e-6);
}
END_TEST

START_TEST(roce_cc_incast_on)
{
    uint32_t k;
    ck_assert_double_eq_tol(pattern("adaptive", FLOWS, true, true, 0, &k), FLOWS * FLOW_BYTES / 100e9 / 0.625, 1e-6);
    hw_fabric_t f = {.roce_cc = true, .roce_cc_incast_flows = 2, .roce_cc_min_efficiency = 0.5};
    ck_assert_double_eq(fab_cc_efficiency(&f, 2), 1);
    ck_assert_double_eq_tol(fab_cc_efficiency(&f, 8), 0.625, 1e-12);
    f.roce_cc = false;
    ck_assert_double_eq(fab_cc_efficiency(&f, 8), 1);
}
END_TEST

/* At the threshold (two flows into the port) congestion control changes nothing: 2e10 bytes in 0.2 s. */
START_TEST(roce_cc_below_threshold)
{
    uint32_t k;
    ck_assert_double_eq_tol(pattern("adaptive", 2, true, true, 0, &k), 2 * FLOW_BYTES / 100e9, 1e-6);
}
END_TEST

/* A transfer killed mid-flight (a fault on its path, sim/core/faults.h) gives its share back at once: two
 * flows into instance 0 share its 100 GB/s port (50 GB/s each); flow 1 is killed at 0.1 s, when flow 0
 * has moved 5e9 of its 1e10 bytes, which then finish at the full 100 GB/s: flow 0 ends at 0.15 s, not 0.2. */
START_TEST(killed_transfer_frees_its_share)
{
    uint32_t k;
    double t = pattern("adaptive", 2, true, false, 0.1, &k);
    ck_assert_double_eq_tol(t, 0.15, 1e-6);
}
END_TEST

/* ---- traffic classes ------------------------------------------------------------------------------------ */

#define TC_FLOWS 8
static double tc_end_s[TC_FLOWS];
static uint32_t tc_inst[TC_FLOWS];
static int tc_kind[TC_FLOWS]; /* kv_move_kind_t of each flow: 0 load, 3 prestage */
static uint32_t tc_per_flow;  /* flows that took a per-flow path (spine and class composed) */
static uint32_t tc_spines;    /* bit s: a flow crossed spine s */

static void tc_flow_actor(void *arg)
{
    uint32_t i = (uint32_t)(uintptr_t)arg;
    pf_ep_t src = {PF_ICMS, 0}, dst = {PF_INST, tc_inst[i]};
    pf_route_t r;
    char from[48], to[32];
    pf_host_name(src, from, sizeof from);
    pf_host_name(dst, to, sizeof to);
    pf_ep_t st, alias;
    uint32_t c = fab_class(&fpf, tc_kind[i], src, dst, &st), spine;
    if (fab_route_flow(&fpf, src, dst, &r, &alias, &spine)) {
        /* Per-flow paths: the spine's alias, and with classes the one that also carries the class link. */
        tc_per_flow++;
        tc_spines |= 1u << spine;
        if (c != UINT32_MAX) {
            ck_assert(alias.kind == st.kind && alias.idx == st.idx);
            fab_class_hop(&fpf, st, c, true, &r);
            pf_flow_class_alias_name(alias, spine, c, from, sizeof from);
        } else
            pf_alias_name(alias, spine, from, sizeof from);
    } else {
        pf_route(&fpf, src, dst, &r);
        if (c != UINT32_MAX) {
            fab_class_hop(&fpf, st, c, true, &r);
            pf_class_alias_name(st, c, from, sizeof from);
        }
    }
    pf_route_begin(&fpf, &r);
    fab_flow_changed(&fpf, &r);
    sgb_transfer(sgb_host(from), sgb_host(to), FLOW_BYTES);
    pf_route_end(&fpf, &r);
    fab_flow_changed(&fpf, &r);
    tc_end_s[i] = sgb_now();
}

/* Two tenants (nodes of even and odd index) load from enclosure 0 at once: tenant 0 with five flows, tenant
 * 1 with three, each to its own instance (100 GB/s port). Returns when tenant 1's first flow ends; *rate the enclosure's read
 * rate R (its slowest stage). */
/* Writes fpf's platform under the scratch folder dir, runs the TC_FLOWS flows of tc_inst/tc_kind on it, and
 * frees fpf and sc. */
static void tc_run(scenario_t *sc, const char *dir_name)
{
    char err[2048];
    const char *dir = tu_scratch_dir(dir_name);
    char xml[1024];
    snprintf(xml, sizeof xml, "%s/platform.xml", dir);
    ck_assert_msg(pf_write_xml(&fpf, xml, err, sizeof err) == 0, "%s", err);
    int argc = 1;
    char arg0[] = "check_fabric", *argv[] = {arg0, NULL};
    sgb_init(&argc, argv);
    sgb_load_platform(xml);
    for (uint32_t i = 0; i < TC_FLOWS; i++)
        sgb_spawn("flow", sgb_host("cpu-0"), tc_flow_actor, (void *)(uintptr_t)i, false);
    sgb_run(0);
    pf_free(&fpf);
    scenario_free(sc);
    free(sc);
}

static double tenants_pattern(bool classes, bool per_flow, double *rate)
{
    /* per_flow: adaptive per-flow paths over 8 spines of one 100 GB/s uplink each (as pattern()). */
    const char *sets[] = {"hardware.nodes=18",
                          "deployment.tp=4",
                          "hardware.icms.enclosures=1",
                          classes ? "hardware.fabric.traffic_classes=tenant" : "hardware.fabric.traffic_classes=off",
                          "hardware.fabric.tenants=2",
                          "hardware.fabric.oversubscription=15",
                          "hardware.fabric.routing=adaptive",
                          "hardware.fabric.per_flow_paths=true"};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    tc_per_flow = tc_spines = 0;
    ck_assert_msg(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, per_flow ? 8 : 5, -1, err,
                                sizeof err) == 0,
                  "%s", err);
    ck_assert_msg(pf_build(&fpf, sc, err, sizeof err) == 0, "%s", err);
    const pf_link_t *L = fpf.links;
    *rate = fmin(fmin(L[fpf.l_eport].bw_byte_s, L[fpf.l_edpu].bw_byte_s), L[fpf.l_essd].bw_byte_s);
    uint32_t n0 = 0, n1 = 0;
    for (uint32_t i = 0; i < fpf.n_inst && n0 + n1 < TC_FLOWS; i++) {
        bool odd = fpf.domain_of_inst[i] % 2;
        if (odd && n1 < 3)
            tc_inst[5 + n1++] = i;
        else if (!odd && n0 < 5)
            tc_inst[n0++] = i;
    }
    ck_assert_uint_eq(n0 + n1, TC_FLOWS);
    tc_run(sc, "fabric-tc");
    return fmin(fmin(tc_end_s[5], tc_end_s[6]), tc_end_s[7]);
}

/* Without classes the eight flows share the enclosure's read rate R (400 GB/s) max-min, R/8 each: tenant 1
 * gets 3/8 of it, because it has 3/8 of the flows. */
START_TEST(tenant_starved_without_classes)
{
    double R;
    double t = tenants_pattern(false, false, &R);
    ck_assert(R / 8 < 100e9); /* the enclosure, not the instances' ports, is the bottleneck */
    ck_assert_double_eq_tol(t, FLOW_BYTES / (R / 8), 1e-6);
    ck_assert_uint_eq(tc_per_flow, 0);
}
END_TEST

/* With tenant classes of equal weight each tenant gets R/2 whatever its flow count: tenant 1's three flows run
 * at R/6 each, tenant 0's five share the other half at R/10. */
START_TEST(tenant_share_with_classes)
{
    double R;
    double t = tenants_pattern(true, false, &R);
    ck_assert(R / 6 < 100e9);
    ck_assert_double_eq_tol(t, FLOW_BYTES / (R / 6), 1e-6);
}
END_TEST

/* Per-flow paths and traffic classes composed (loop index: classes off, on): the eight flows cross the fabric
 * on spines of their own (adaptive routing, 100 GB/s uplinks: not the bottleneck), and the enclosure's share
 * is the same as with static paths: R/8 per flow without classes, R/6 for tenant 1's with them. */
START_TEST(tenant_share_with_per_flow_paths)
{
    double R;
    bool classes = _i == 1;
    double t = tenants_pattern(classes, true, &R);
    ck_assert_uint_eq(tc_per_flow, TC_FLOWS);
    ck_assert_uint_eq(__builtin_popcount(tc_spines), TC_FLOWS);
    ck_assert_double_eq_tol(t, FLOW_BYTES / (R / (classes ? 6 : 8)), 1e-6);
}
END_TEST

/* Weighted: classes by kind, KV loads weighted 3 against prestage 1. Four prestage and four load flows from
 * enclosure 0 (R = 400 GB/s) to eight instances: loads get 3/4 of R, 75 GB/s per flow, and end at 0.133 s
 * (0.200 s without classes, 50 GB/s each). */
static double kinds_pattern(void)
{
    const char *sets[] = {"hardware.nodes=18",
                          "deployment.tp=4",
                          "hardware.icms.enclosures=1",
                          "hardware.fabric.traffic_classes=kind",
                          "hardware.fabric.tc_load_weight=3",
                          "hardware.fabric.tc_prestage_weight=1"};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    ck_assert_msg(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 6, -1, err, sizeof err) ==
                      0,
                  "%s", err);
    ck_assert_msg(pf_build(&fpf, sc, err, sizeof err) == 0, "%s", err);
    for (uint32_t i = 0; i < TC_FLOWS; i++) {
        tc_inst[i] = i;
        tc_kind[i] = i < 4 ? 3 : 0;
    }
    tc_run(sc, "fabric-kind");
    return tc_end_s[4];
}

START_TEST(kind_weighted_share)
{
    ck_assert_double_eq_tol(kinds_pattern(), FLOW_BYTES / 75e9, 1e-6);
    ck_assert(tc_end_s[0] > tc_end_s[4]); /* prestage waits for the loads' share to free */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fabric");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ecmp_collides);
    tcase_add_test(tc, adaptive_spreads);
    tcase_add_test(tc, roce_cc_incast_off);
    tcase_add_test(tc, roce_cc_incast_on);
    tcase_add_test(tc, roce_cc_below_threshold);
    tcase_add_test(tc, killed_transfer_frees_its_share);
    tcase_add_test(tc, tenant_starved_without_classes);
    tcase_add_test(tc, tenant_share_with_classes);
    tcase_add_loop_test(tc, tenant_share_with_per_flow_paths, 0, 2);
    tcase_add_test(tc, kind_weighted_share);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
