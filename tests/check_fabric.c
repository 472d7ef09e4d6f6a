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

static void flow_actor(void *arg)
{
    uint32_t i = (uint32_t)(uintptr_t)arg;
    pf_ep_t src = {PF_ICMS, i}, dst = {PF_INST, i};
    pf_route_t r;
    pf_ep_t alias;
    ck_assert(fab_route_flow(&fpf, src, dst, &r, &alias, &flow_spine[i]));
    ck_assert_uint_eq(alias.kind, PF_ICMS);
    char name[40];
    pf_alias_name(alias, flow_spine[i], name, sizeof name);
    pf_route_begin(&fpf, &r);
    char dname[32];
    pf_host_name(dst, dname, sizeof dname);
    sgb_transfer(sgb_host(name), sgb_host(dname), FLOW_BYTES);
    pf_route_end(&fpf, &r);
    flow_end_s[i] = sgb_now();
}

/* Eight enclosures each send 1e10 bytes to one of eight instances behind one compute leaf, all at once.
 * The fabric: 128-port leaves at 15:1 keep 8 uplinks of 100 GB/s, one per spine; each flow alone runs at
 * 100 GB/s (the node's 800 Gbit/s port and one uplink), i.e. 0.1 s. A spine that k flows share gives them
 * 100 / k GB/s each, so the pattern ends after k_max x 0.1 s. Returns the makespan; *k_max the most flows
 * on one spine. */
static double many_to_one(const char *routing, uint32_t *k_max)
{
    char rset[64];
    snprintf(rset, sizeof rset, "hardware.fabric.routing=%s", routing);
    const char *sets[] = {"hardware.nodes=18",
                          "deployment.tp=4",
                          "hardware.fabric.oversubscription=15",
                          "hardware.fabric.per_flow_paths=true",
                          "hardware.icms.enclosures=8",
                          rset};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    ck_assert_msg(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 6, -1, err, sizeof err) ==
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
    for (uint32_t i = 0; i < FLOWS; i++)
        sgb_spawn("flow", sgb_host("cpu-0"), flow_actor, (void *)(uintptr_t)i, false);
    sgb_run(0);
    uint32_t per[16] = {0};
    double end = 0;
    for (uint32_t i = 0; i < FLOWS; i++) {
        per[flow_spine[i]]++;
        end = fmax(end, flow_end_s[i]);
    }
    *k_max = 0;
    for (uint32_t s = 0; s < fpf.n_spine; s++)
        *k_max = per[s] > *k_max ? per[s] : *k_max;
    pf_free(&fpf);
    scenario_free(sc);
    free(sc);
    return end;
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

int main(void)
{
    Suite *s = suite_create("fabric");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ecmp_collides);
    tcase_add_test(tc, adaptive_spreads);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
