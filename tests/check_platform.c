/* Platform generation: the hosts, links and routes a hardware preset and deployment imply, checked in
 * kvtwin's own layout and in the SimGrid platform it generates. */
#include <math.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/dynar.h>

#include "sim/config/scenario.h"
#include "sim/core/platform.h"
#include "testutil.h"

static scenario_t *load(const char *const *sets, int nsets)
{
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    int rc = scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, nsets, -1, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    return sc;
}

START_TEST(rubin_rack_layout)
{
    /* One NVL72 rack: 18 trays of 4 GPUs; TP 4 gives one instance per tray. */
    const char *sets[] = {"hardware.nodes=18", "deployment.tp=4", "deployment.instances=0"};
    scenario_t *sc = load(sets, 3);
    platform_t pf;
    char err[512];
    ck_assert_msg(pf_build(&pf, sc, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(pf.n_inst, 18);
    ck_assert_uint_eq(pf.n_domains, 18);
    ck_assert_uint_eq(pf.nodes_per_domain, 1);
    ck_assert_uint_eq(pf.n_icms, sc->hw.icms.enclosures);
    ck_assert(pf.n_leaf >= 2); /* compute and storage leaves */
    /* The instance's host link aggregates its GPUs' NVLink-C2C. */
    ck_assert_double_eq_tol(pf.links[pf.l_c2c].bw_byte_s, 4 * sc->hw.gpu.host_link_bandwidth_byte_s, 1);
    /* A load from ICMS crosses the enclosure's flash, DPUs and ports, the fabric and the node's port. */
    pf_route_t r;
    ck_assert(!pf_has_route(&pf, (pf_ep_t){PF_ICMS, pf.n_icms}, (pf_ep_t){PF_INST, 5}));
    pf_route(&pf, (pf_ep_t){PF_ICMS, pf.n_icms - 1}, (pf_ep_t){PF_INST, 5}, &r);
    ck_assert_uint_ge(r.n, 5);
    ck_assert(r.latency_s > sc->hw.icms.ssd_latency_s);
    double j = 0;
    for (int c = 0; c < EN_CLASSES; c++)
        j += r.j_per_byte[c];
    ck_assert(j > 0);
    ck_assert(r.j_per_byte[EN_ICMS] > 0);
    /* Per byte, by hand from the Vera Rubin preset: the enclosure's flash read (8.9e-10) plus one SSD command
     * per NVMe-oF command of the per-I/O path (1e-5 J per 131072 bytes) plus its BlueField-4's load (60 W at 800 Gbit/s = 1e11 bytes/s: 6e-10) plus its
     * crypto and CRC engines (5e-12 + 1e-12); the tray's BlueField-4 the same 6e-10; the host core 10 us of
     * 2.84 W per MiB; two NIC SerDes ends. */
    ck_assert_double_eq_tol(r.j_per_byte[EN_ICMS], 8.9e-10 + 1e-5 / 131072 + 6e-10 + 6e-12, 1e-21);
    ck_assert_double_eq_tol(r.j_per_byte[EN_DPU], 6e-10, 1e-21);
    ck_assert_double_eq_tol(r.j_per_byte[EN_HOST_CPU], 2.84 * 10e-6 / 1048576, 1e-21);
    ck_assert_double_eq_tol(r.j_per_byte[EN_NIC], 2 * pf.ethernet_j_per_byte, 1e-21);
    ck_assert_double_eq_tol(pf_route_peak_byte_s(&pf, &r),
                            fmin(pf.links[pf.l_fe + 5].bw_byte_s, pf_route_peak_byte_s(&pf, &r)), 1);
    /* Fair-share estimate halves when a flow already uses the bottleneck. */
    double alone = pf_route_share_byte_s(&pf, &r);
    pf_route_begin(&pf, &r);
    ck_assert_double_eq_tol(pf_route_share_byte_s(&pf, &r), alone / 2, alone * 1e-9);
    pf_route_end(&pf, &r);
    pf_free(&pf);
    scenario_free(sc);
    free(sc);
}
END_TEST

START_TEST(instances_spanning_nodes)
{
    const char *sets[] = {"hardware.nodes=18", "deployment.tp=8"};
    scenario_t *sc = load(sets, 2);
    platform_t pf;
    char err[512];
    ck_assert_msg(pf_build(&pf, sc, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(pf.n_inst, 9);
    ck_assert_uint_eq(pf.nodes_per_domain, 2);
    ck_assert_uint_eq(pf.n_domains, 9);
    /* The domain's DRAM link adds its two trays. */
    ck_assert_double_eq_tol(pf.links[pf.l_dram].bw_byte_s, 2 * sc->hw.node.dram_bandwidth_byte_s, 1);
    pf_free(&pf);
    scenario_free(sc);
    free(sc);
}
END_TEST

START_TEST(bad_tiling_is_an_error)
{
    const char *sets[] = {"hardware.nodes=2", "deployment.tp=3", "model.preset=llama-3.1-8b"};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    /* TP 3 does not divide the model's heads: the scenario itself is rejected. */
    ck_assert_int_eq(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 3, -1, err, sizeof err),
                     -1);
    ck_assert_msg(strstr(err, "deployment.tp") != NULL, "%s", err);
    scenario_free(sc);
    free(sc);
    const char *sets2[] = {"hardware.nodes=1", "deployment.tp=4", "deployment.instances=2"};
    sc = load(sets2, 3);
    platform_t pf;
    ck_assert_int_eq(pf_build(&pf, sc, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "do not fit") != NULL, "%s", err);
    pf_free(&pf);
    scenario_free(sc);
    free(sc);
}
END_TEST

START_TEST(simgrid_platform_matches)
{
    const char *sets[] = {"hardware.nodes=18", "deployment.tp=4"};
    scenario_t *sc = load(sets, 2);
    platform_t pf;
    char err[512];
    ck_assert(pf_build(&pf, sc, err, sizeof err) == 0);
    const char *dir = tu_scratch_dir("platform");
    char xml[1024];
    snprintf(xml, sizeof xml, "%s/platform.xml", dir);
    ck_assert_msg(pf_write_xml(&pf, xml, err, sizeof err) == 0, "%s", err);
    int argc = 1;
    char arg0[] = "check_platform", *argv[] = {arg0, NULL};
    simgrid_init(&argc, argv);
    simgrid_load_platform(xml);
    ck_assert_uint_eq(sg_host_count(), pf.n_inst + 2 * pf.n_domains + pf.n_icms + pf.n_g4);
    size_t expected_links = 0; /* a SPLITDUPLEX link is two SimGrid links, _UP and _DOWN */
    for (uint32_t l = 0; l < pf.n_links; l++)
        expected_links += pf.links[l].splitduplex ? 2 : 1;
    /* SimGrid adds its own loopback link. */
    ck_assert_uint_eq(sg_link_count(), expected_links + (sg_link_by_name("__loopback__") ? 1 : 0));
    for (uint32_t l = 0; l < pf.n_links; l++) {
        char name[40];
        snprintf(name, sizeof name, "%s%s", pf.links[l].name, pf.links[l].splitduplex ? "_UP" : "");
        sg_link_t link = sg_link_by_name(name);
        ck_assert_msg(link != NULL, "link %s missing", name);
        ck_assert_double_eq_tol(sg_link_get_bandwidth(link), pf.links[l].bw_byte_s, pf.links[l].bw_byte_s * 1e-12);
    }
    ck_assert_ptr_nonnull(sg_host_by_name("icms-0"));
    ck_assert_ptr_nonnull(sg_host_by_name("inst-17"));
    ck_assert_ptr_nonnull(sg_host_by_name("cpu-17"));
    pf_free(&pf);
    scenario_free(sc);
    free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("platform");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rubin_rack_layout);
    tcase_add_test(tc, instances_spanning_nodes);
    tcase_add_test(tc, bad_tiling_is_an_error);
    tcase_add_test(tc, simgrid_platform_matches);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
