/* Per-I/O model of the storage paths (sim/core/storage_path.h): rates and latencies on hand-built
 * hardware, one request's transfer time in SimGrid against the hand computation, the same request through the
 * whole simulator (ICMS unstriped and striped, G4 with and without its metadata chain), and stripe arithmetic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config/scenario.h"
#include "sim/core/platform.h"
#include "sim/core/sgb.h"
#include "sim/core/storage_path.h"
#include "testutil.h"

/* One enclosure as the hand computations below assume it. */
static hw_icms_t hand_icms(void)
{
    hw_icms_t ic;
    memset(&ic, 0, sizeof ic);
    ic.present = true;
    ic.enclosures = 16;
    ic.dpus_per_enclosure = 4;
    ic.dpu_crypto_byte_s = 100e9;
    ic.dpu_latency_s = 5e-6;
    ic.ssds_per_enclosure = 20;
    ic.ssd_read_byte_s = 28e9;
    ic.ssd_write_byte_s = 14e9;
    ic.ssd_latency_s = 60e-6;
    return ic;
}

START_TEST(bandwidth_only_by_default)
{
    /* No per-I/O key: the DPUs are their crypto rate, the SSDs their bandwidth, one round trip of latency. */
    hw_icms_t ic = hand_icms();
    ck_assert_double_eq_tol(sp_icms_dpu_byte_s(&ic), 4 * 100e9, 1);
    ck_assert_double_eq_tol(sp_icms_ssd_byte_s(&ic, false), 20 * 28e9, 1);
    ck_assert_double_eq_tol(sp_icms_ssd_byte_s(&ic, true), 20 * 14e9, 1);
    ck_assert_double_eq_tol(sp_icms_latency_s(&ic), 65e-6, 1e-15);
    ck_assert_double_eq(sp_icms_ios(&ic, 1e9), 1);
    ck_assert_double_eq(sp_icms_engine_j_per_byte(&ic), 0);
}
END_TEST

START_TEST(per_io_costs)
{
    hw_icms_t ic = hand_icms();
    ic.io_bytes = 4096;
    ic.dpu_arm_per_io_s = 2e-6;
    ic.dpu_arm_cores = 16;
    ic.ssd_read_iops = 3e6;
    ic.queue_depth = 64;
    /* 4 KiB commands: Arm 16 x 4096 / 2 us = 32.768 GB/s per DPU (< 100 GB/s crypto), x 4 = 131.072 GB/s.
     * SSD: IOPS 3e6 x 4096 = 12.288 GB/s; queue depth 64 x 4096 / (5 + 60 + 2 us) = 3.91260 GB/s, the
     * smallest, x 20 drives = 78.2519 GB/s: IOPS-bound (queue-depth-bound) at 4 KiB. */
    ck_assert_double_eq_tol(sp_icms_dpu_byte_s(&ic), 131.072e9, 1e3);
    ck_assert_double_eq_tol(sp_icms_latency_s(&ic), 67e-6, 1e-15);
    ck_assert_double_eq_tol(sp_icms_ssd_byte_s(&ic, false), 20 * 64 * 4096 / 67e-6, 1e3);
    ck_assert_double_eq(sp_icms_ios(&ic, 1e6), 245); /* ceil(1e6 / 4096) */
    /* 1 MiB commands: Arm 16 x 1 MiB / 2 us per DPU is far above the crypto engine, so 4 x 100 GB/s; the
     * SSDs reach their 28 GB/s bandwidth (IOPS 3e6 x 1 MiB, queue 64 x 1 MiB / 67 us are above it). */
    ic.io_bytes = 1048576;
    ck_assert_double_eq_tol(sp_icms_dpu_byte_s(&ic), 400e9, 1);
    ck_assert_double_eq_tol(sp_icms_ssd_byte_s(&ic, false), 560e9, 1);
    /* Crypto off lifts its cap (the Arm cores remain) and its energy; CRC as a separate slower engine caps. */
    ic.crypto_j_per_byte = 2e-12;
    ic.crc_j_per_byte = 1e-12;
    ck_assert_double_eq_tol(sp_icms_engine_j_per_byte(&ic), 3e-12, 1e-24);
    ic.crypto_off = true;
    ck_assert_double_eq_tol(sp_icms_engine_j_per_byte(&ic), 1e-12, 1e-24);
    ck_assert_double_eq_tol(sp_icms_dpu_byte_s(&ic), 4 * 16 * 1048576 / 2e-6, 1e3);
    ic.dpu_crc_byte_s = 50e9;
    ck_assert_double_eq_tol(sp_icms_dpu_byte_s(&ic), 200e9, 1);
    ic.crc_off = true;
    ck_assert_double_eq(sp_icms_engine_j_per_byte(&ic), 0);
    /* G4: protocol 500 us + CPU 20 us + 3 metadata operations of 100 us = 820 us. */
    hw_g4_t g;
    memset(&g, 0, sizeof g);
    g.protocol_latency_s = 500e-6;
    g.per_io_cpu_s = 20e-6;
    g.metadata_ops_per_object = 3;
    g.metadata_op_s = 100e-6;
    ck_assert_double_eq_tol(sp_g4_latency_s(&g), 820e-6, 1e-12);
}
END_TEST

static double single_done_s;
static sgb_host_t *single_src, *single_dst;
static double single_latency_s;

static void single_request(void *arg)
{
    (void)arg;
    sgb_sleep_for(single_latency_s);
    sgb_transfer(single_src, single_dst, 1e9);
    single_done_s = sgb_now();
}

START_TEST(single_request_time)
{
    /* One request loads 1e9 bytes from enclosure 0 into instance 0 of a Rubin rack with 4 KiB commands,
     * per-I/O parameters as in per_io_costs. Its bottleneck is the enclosure's SSDs at 20 x 64 x 4096 / 67 us = 78.2519 GB/s (the
     * node's 800 Gbit/s front-end port is 100 GB/s, the DPUs 131 GB/s), so it takes the route's latency,
     * 67 us of command round trip plus the fabric's and the host link's, + 1e9 / 78.2519e9 = 12.779 ms. */
    const char *sets[] = {"hardware.nodes=18",
                          "deployment.tp=4",
                          "hardware.icms.io_bytes=4096",
                          "hardware.icms.dpu_arm_per_io_s=2e-6",
                          "hardware.icms.dpu_arm_cores=16",
                          "hardware.icms.ssd_read_iops=3e6",
                          "hardware.icms.queue_depth=64"};
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    ck_assert_msg(scenario_load(sc, tu_source("configs/scenarios/rubin-agentic.json"), sets, 7, -1, err, sizeof err) ==
                      0,
                  "%s", err);
    ck_assert_double_eq(sc->hw.icms.dpu_latency_s, 5e-6);
    ck_assert_double_eq(sc->hw.icms.ssd_latency_s, 60e-6);
    ck_assert_uint_eq(sc->hw.icms.ssds_per_enclosure, 20);
    platform_t pf;
    ck_assert_msg(pf_build(&pf, sc, err, sizeof err) == 0, "%s", err);
    pf_route_t r;
    pf_route(&pf, (pf_ep_t){PF_ICMS, 0}, (pf_ep_t){PF_INST, 0}, &r);
    const hw_pod_t *hw = &sc->hw;
    double fabric_s = hw->gpu.host_link_latency_s + 2 * hw->node.nic_latency_s + 3 * hw->fabric.switch_latency_s;
    ck_assert_double_eq_tol(r.latency_s, 67e-6 + fabric_s, 1e-12);
    ck_assert_double_eq_tol(pf_route_peak_byte_s(&pf, &r), 78.2519e9, 1e5);
    const char *dir = tu_scratch_dir("storage_path");
    char xml[1024];
    snprintf(xml, sizeof xml, "%s/platform.xml", dir);
    ck_assert_msg(pf_write_xml(&pf, xml, err, sizeof err) == 0, "%s", err);
    int argc = 1;
    char arg0[] = "check_storage_path", *argv[] = {arg0, NULL};
    sgb_init(&argc, argv);
    sgb_load_platform(xml);
    single_src = sgb_host("icms-0");
    single_dst = sgb_host("inst-0");
    single_latency_s = r.latency_s;
    sgb_spawn("req", single_dst, single_request, NULL, false);
    sgb_run(0);
    ck_assert_double_eq_tol(single_done_s, 67e-6 + fabric_s + 1e9 / 78.2519e9, 1e-8);
    pf_free(&pf);
    scenario_free(sc);
    free(sc);
}
END_TEST

/* kv_wait of the one request in the window of tests/fixtures/scenarios/storage-path-one.json (request 2
 * loads request 1's 128 blocks of a 32K-token prompt, 10,737,418,240 bytes of Llama-3.1-70B BF16 KV, on the
 * other instance) run through the whole simulator with the given overrides. */
static double one_load_s(const char *tag, const char *const *sets, int nsets, double *load_bytes)
{
    const char *dir = tu_scratch_dir(tag);
    char outdir[1100];
    snprintf(outdir, sizeof outdir, "%s/run", dir);
    const char *args[32] = {
        "run", tu_source("tests/fixtures/scenarios/storage-path-one.json"), "--quiet", "--force", "--out", outdir};
    int n = 6;
    for (int i = 0; i < nsets; i++) {
        args[n++] = "--set";
        args[n++] = sets[i];
    }
    char *err = NULL;
    int rc = tu_run_kvtwin_argv(NULL, &err, n, args);
    ck_assert_msg(rc == 0, "kvtwin run failed (%d): %s", rc, err ? err : "");
    free(err);
    cJSON *j = tu_read_summary(outdir);
    ck_assert_double_eq(tu_num(j, "requests", "in_window", NULL), 1);
    const cJSON *lb =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "transfers"), "load_bytes_by_source_tier");
    *load_bytes = tu_num(lb, "G3.5", NULL, NULL) + tu_num(lb, "G4", NULL, NULL);
    double kv = tu_num(j, "latency_s", "kv_wait", "mean");
    cJSON_Delete(j);
    return kv;
}

START_TEST(single_request_end_to_end)
{
    /* The same per-I/O enclosure as single_request_time, now through the engine, the KV manager and the
     * transfer workers: the load waits one command round trip (DPU 5 + SSD 60 + Arm 2 us) plus the fabric's
     * latency (host link, two NICs, three switches), then streams at the queue-depth bound of the SSDs,
     * 20 x 64 x 4096 / 67 us = 78.2519 GB/s (the tray's 800 Gbit/s DPU port is 100 GB/s). */
    scenario_t *sc = calloc(1, sizeof *sc);
    char err[2048];
    ck_assert_msg(scenario_load(sc, tu_source("tests/fixtures/scenarios/storage-path-one.json"), NULL, 0, -1, err,
                                sizeof err) == 0,
                  "%s", err);
    const hw_pod_t *hw = &sc->hw;
    double fabric_s = hw->gpu.host_link_latency_s + 2 * hw->node.nic_latency_s + 3 * hw->fabric.switch_latency_s;
    double bytes = 128.0 * 256 * 327680, got;
    double rate = 20 * 64 * 4096 / 67e-6;
    double kv = one_load_s("sp-one", NULL, 0, &got);
    ck_assert_double_eq(got, bytes);
    ck_assert_double_eq_tol(kv, 67e-6 + fabric_s + bytes / rate, 1e-9);

    /* Striped over 4 enclosures, KV over the GPUs' NICs (4 x 2 x 800 Gbit/s per instance, above 4 x 78 GB/s):
     * 32 blocks from each enclosure at once, a quarter of the time. Unstriped the 4 enclosures change nothing. */
    const char *striped[] = {"hardware.icms.enclosures=4", "hardware.icms.stripe_enclosures=4",
                             "hardware.node.storage_network=gpu-nic"};
    kv = one_load_s("sp-stripe", striped, 3, &got);
    ck_assert_double_eq_tol(kv, 67e-6 + fabric_s + bytes / 4 / rate, 1e-9);
    kv = one_load_s("sp-nostripe", striped, 1, &got);
    ck_assert_double_eq_tol(kv, 67e-6 + fabric_s + bytes / rate, 1e-9);

    /* G4 instead: one server, its controller's 40 GB/s the bottleneck; fixed latency protocol 500 us + CPU
     * 20 us + the preset's 2 metadata operations of 100 us. Without the metadata chain, 200 us less. */
    const char *g4[] = {"hardware.icms.present=false", "kv.g35.enabled=false", "kv.g4.enabled=true",
                        "hardware.g4.present=true", "hardware.g4.metadata_ops_per_object=0"};
    ck_assert_double_eq(hw->g4.metadata_ops_per_object, 2);
    ck_assert_double_eq(hw->g4.metadata_op_s, 100e-6);
    kv = one_load_s("sp-g4", g4, 4, &got);
    ck_assert_double_eq(got, bytes);
    ck_assert_double_eq_tol(kv, 720e-6 + fabric_s + bytes / 40e9, 1e-9);
    kv = one_load_s("sp-g4-nometa", g4, 5, &got);
    ck_assert_double_eq_tol(kv, 520e-6 + fabric_s + bytes / 40e9, 1e-9);
    scenario_free(sc);
    free(sc);
}
END_TEST

START_TEST(stripe_arithmetic)
{
    uint64_t per[16];
    /* Unstriped: the whole hop on the enclosure of its first block, which is the per-block hash. */
    ck_assert_uint_eq(sp_stripe_split(6, 10, 16, 1, per), 1);
    ck_assert_uint_eq(per[sp_stripe_enclosure(6, 16, 1)], 10);
    /* Width 4: blocks 6..15 are groups 1 (6, 7), 2 (8..11) and 3 (12..15); within a group consecutive
     * blocks land on consecutive enclosures, so group 2 touches 4 enclosures once each. */
    uint32_t touched = sp_stripe_split(6, 10, 16, 4, per);
    uint64_t sum = 0;
    for (int e = 0; e < 16; e++)
        sum += per[e];
    ck_assert_uint_eq(sum, 10);
    ck_assert(touched >= 4 && touched <= 10);
    uint64_t check[16] = {0};
    for (uint64_t b = 6; b < 16; b++)
        check[sp_stripe_enclosure(b, 16, 4)]++;
    for (int e = 0; e < 16; e++)
        ck_assert_uint_eq(per[e], check[e]);
    uint32_t base = sp_stripe_enclosure(8, 16, 4);
    for (uint32_t k = 0; k < 4; k++)
        ck_assert_uint_eq(sp_stripe_enclosure(8 + k, 16, 4), (base + k) % 16);
    /* A full stripe of 4 aligned blocks over 4 enclosures: one block each. */
    ck_assert_uint_eq(sp_stripe_split(8, 4, 16, 4, per), 4);
    /* A width above the enclosure count is clamped: 64 aligned blocks over all 16, 4 each. */
    ck_assert_uint_eq(sp_stripe_split(0, 64, 16, 100, per), 16);
    for (int e = 0; e < 16; e++)
        ck_assert_uint_eq(per[e], 4);
    ck_assert_uint_eq(sp_stripe_split(0, 0, 16, 4, per), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("storage_path");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bandwidth_only_by_default);
    tcase_add_test(tc, per_io_costs);
    tcase_add_test(tc, single_request_time);
    tcase_add_test(tc, single_request_end_to_end);
    tcase_add_test(tc, stripe_arithmetic);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
